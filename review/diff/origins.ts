/**
 * Where an artifact line comes from, read from the artifacts alone: a flow's cookie carries its rule ID (low 32
 * bits) and category (bits 40–47, Antrea's cookie layout), which the Node's visibility/rules.json explains; an
 * iptables rule carries Antrea's `-m comment`; an ipset is named after the iptables rules that match it.
 */
import type { BundleFiles, PolicyRef } from './version.js';

export interface RuleInfo {
  readonly id: number;
  readonly policy: PolicyRef;
  readonly rule?: string;
  readonly direction: string;
  readonly action: string;
  readonly rulePosition?: number;
}

export interface Origin {
  /** Human text: `K8sNetworkPolicy shop/api Ingress rule 0 (Allow)`, `PodConnectivity`, an iptables comment. */
  readonly text: string;
  readonly rule?: RuleInfo;
}

const CATEGORIES = ['table-miss', 'PodConnectivity', 'NetworkPolicy', 'Service', 'Egress'];

export function readRules(files: BundleFiles | undefined): Map<number, RuleInfo> {
  const text = files?.get('visibility/rules.json');
  const out = new Map<number, RuleInfo>();
  if (!text) return out;
  const doc = JSON.parse(text) as { rules?: RuleInfo[] };
  for (const r of doc.rules ?? []) out.set(r.id, r);
  return out;
}

export function ruleText(r: RuleInfo): string {
  const p = r.policy;
  const which = r.rule ?? (r.rulePosition !== undefined ? `rule ${r.rulePosition}` : r.action === 'Isolate' ? 'isolation' : '');
  return `${p.type} ${p.namespace ? `${p.namespace}/` : ''}${p.name} ${r.direction}${which ? ` ${which}` : ''} (${r.action})`;
}

/** The cookie of a flow line, split as Antrea lays it out; undefined for a line without one. */
export function flowCookie(line: string): { category: number; ruleId: number } | undefined {
  const m = /^cookie=0x([0-9a-f]+)/.exec(line);
  if (!m) return undefined;
  const v = BigInt(`0x${m[1]}`);
  return { category: Number((v >> 40n) & 0xffn), ruleId: Number(v & 0xffffffffn) };
}

export function flowOrigin(line: string, rules: ReadonlyMap<number, RuleInfo>): Origin | undefined {
  const c = flowCookie(line);
  if (!c) return undefined;
  const rule = c.ruleId ? rules.get(c.ruleId) : undefined;
  if (rule) return { text: ruleText(rule), rule };
  return { text: CATEGORIES[c.category] ?? `category ${c.category}` };
}

const COMMENT = /--comment (?:"((?:[^"\\]|\\.)*)"|(\S+))/;

export function iptablesOrigin(line: string): Origin | undefined {
  const m = COMMENT.exec(line);
  const text = m ? (m[1] ?? m[2])! : undefined;
  return text ? { text } : undefined;
}

/** An ipset line's origin: the comment of an iptables rule of the same Node that matches the set. */
export function ipsetOrigin(line: string, files: BundleFiles | undefined): Origin | undefined {
  const set = /^(?:create|add|del)\s+(\S+)/.exec(line)?.[1];
  if (!set) return undefined;
  for (const path of ['iptables/ipv4.rules', 'iptables/ipv6.rules']) {
    for (const l of (files?.get(path) ?? '').split('\n')) {
      if (l.includes(`--match-set ${set} `)) {
        const o = iptablesOrigin(l);
        if (o) return o;
      }
    }
  }
  return undefined;
}
