/**
 * Node policies on one Node → iptables chains, rules, jumps and ipsets (docs/reference/iptables-egress.md §1, §2.1).
 *
 * Chains (filter table, per family): ANTREA-INPUT / ANTREA-OUTPUT, reached from INPUT / OUTPUT by jumps Antrea
 * adds with `iptables -A`; each holds the tunnel allow rule and jumps to the static pre-chain (established,
 * related and loopback traffic) and then to the rule chain. ANTREA-POL-INGRESS-RULES / ANTREA-POL-EGRESS-RULES
 * hold one core rule per policy rule in priority order; a rule with more than one service jumps to its own chain
 * ANTREA-POL-<ID>, one line per service. Peers of more than one address become the hash:net set
 * ANTREA-POL-<ID>-<4|6>. Nothing ends in a default deny: unmatched packets return to INPUT / OUTPUT.
 */
import type { DataplaneConfig } from '../model/config.js';
import type { NodeInfo } from '../model/model.js';
import { formatCidr, formatIP, isHostCidr, type Cidr, type Family } from '../net/ip.js';
import { nodeRuleChain, nodeRuleIpset } from '../allocate/nodeRuleIds.js';
import type { AllocatedNodeRule } from '../allocate/nodeRuleIds.js';
import { nodeRuleComment } from '../resolve/nodePolicy.js';
import type { ServiceMatch } from '../resolve/types.js';
import {
  comment,
  compareIpsetMembers,
  conntrackMatch,
  EMPTY_HOST_RULES,
  icmpMatches,
  iptablesText,
  jumpTo,
  logTarget,
  portMatches,
  setMatch,
  target,
  type HostOrigin,
  type HostRules,
  type IptablesChain,
  type IptablesJump,
  type IptablesRule,
  type IptMatch,
  type IptTarget,
  type Ipset,
} from './iptables.js';
import { appendAll } from '../util/append.js';

export const NODE_POLICY_CHAINS = {
  input: 'ANTREA-INPUT',
  output: 'ANTREA-OUTPUT',
  preIngress: 'ANTREA-POL-PRE-INGRESS-RULES',
  preEgress: 'ANTREA-POL-PRE-EGRESS-RULES',
  ingress: 'ANTREA-POL-INGRESS-RULES',
  egress: 'ANTREA-POL-EGRESS-RULES',
} as const;

const FEATURE = 'NodeNetworkPolicy';
const STATIC: HostOrigin = { kind: 'Node', feature: FEATURE };
const C = NODE_POLICY_CHAINS;

/** Antrea's log label is cut to 12 characters so the prefix fits the kernel's 29 (reference §1.7). */
const LOG_LABEL_MAX = 12;

function logPrefix(r: AllocatedNodeRule): string {
  const label = r.logLabel ? `${iptablesText(r.logLabel).slice(0, LOG_LABEL_MAX)}:` : '';
  return `Antrea:${r.direction === 'Ingress' ? 'I' : 'O'}:${r.action}:${label}`;
}

function actionTarget(r: AllocatedNodeRule, family: Family): IptTarget | undefined {
  switch (r.action) {
    case 'Allow':
      return target(family, 'ACCEPT');
    case 'Drop':
      return target(family, 'DROP');
    case 'Reject':
      return target(family, 'REJECT');
    case 'Pass':
      // Antrea writes no target for Pass: the line only counts, and evaluation goes on.
      return undefined;
  }
}

function serviceMatches(s: ServiceMatch, family: Family): IptMatch[] {
  if (s.protocol === 'ICMP') return icmpMatches(family, s.icmpType, s.icmpCode);
  const proto = s.protocol.toLowerCase() as 'tcp' | 'udp' | 'sctp';
  const sport = s.srcPort !== undefined ? ([s.srcPort, s.srcEndPort ?? s.srcPort] as const) : undefined;
  const dport = s.port !== undefined ? ([s.port, s.endPort ?? s.port] as const) : undefined;
  return portMatches(proto, sport, dport);
}

/** A member as ipset save prints it for hash:net: a host entry without its prefix length. */
const ipsetMember = (c: Cidr): string => (isHostCidr(c) ? formatIP({ family: c.family, value: c.base }) : formatCidr(c));

interface FamilyAddresses {
  /** undefined: any address, no match written. */
  match?: IptMatch;
  set?: Ipset;
}

/**
 * Per compile: each rule's address match and set per family, made once and shared by every Node the rule applies
 * to (sets of thousands of members, on hundreds of Nodes).
 */
export type NodePolicyCache = Map<string, FamilyAddresses | null>;
export const createNodePolicyCache = (): NodePolicyCache => new Map();

function addressMatch(r: AllocatedNodeRule, family: Family, origin: HostOrigin, cache: NodePolicyCache): FamilyAddresses | null {
  const key = `${r.id}/${family}`;
  let hit = cache.get(key);
  if (hit === undefined) {
    hit = makeAddressMatch(r, family, origin);
    cache.set(key, hit);
  }
  return hit;
}

/** How a rule's peers are matched in one family, or null when it has no address there (no lines at all). */
function makeAddressMatch(r: AllocatedNodeRule, family: Family, origin: HostOrigin): FamilyAddresses | null {
  const cidrs = r.addresses.filter((c) => c.family === family);
  if (cidrs.length === 0) return null;
  if (cidrs.some((c) => c.prefix === 0)) return {};
  const dir = r.direction === 'Ingress' ? 'src' : 'dst';
  if (cidrs.length === 1) return { match: { kind: 'addr', dir, cidr: formatCidr(cidrs[0]!) } };
  const name = nodeRuleIpset(r.id, family);
  const members = [...cidrs].sort(compareIpsetMembers).map(ipsetMember);
  return { match: setMatch(name, dir), set: { name, type: 'hash:net', family, members, origin } };
}

function families(node: NodeInfo): Family[] {
  return node.addresses.some((a) => a.family === 6) ? [4, 6] : [4];
}

function tunnelMatches(config: DataplaneConfig): IptMatch[] {
  if (config.tunnelType === 'gre') return [{ kind: 'proto', proto: 'gre' }];
  const port = config.tunnelPort ?? (config.tunnelType === 'vxlan' ? 4789 : 6081);
  return portMatches('udp', undefined, [port, port]);
}

/** Antrea's fixed host chains and the jumps into them; present on every Node once the gate is on. */
function staticRules(family: Family, config: DataplaneConfig): { chains: IptablesChain[]; rules: IptablesRule[]; jumps: IptablesJump[] } {
  const chains = Object.values(C).map((chain): IptablesChain => ({ family, table: 'filter', chain, origin: STATIC }));
  const rule = (chain: string, matches: IptMatch[], t: IptTarget): IptablesRule => ({ family, table: 'filter', chain, matches, target: t, origin: STATIC });
  const accept = target(family, 'ACCEPT');
  const rules = [
    rule(C.input, [comment('Antrea: allow tunnel input packets'), ...tunnelMatches(config)], accept),
    rule(C.input, [comment('Antrea: jump to static ingress NodeNetworkPolicy rules')], jumpTo(C.preIngress)),
    rule(C.input, [comment('Antrea: jump to ingress NodeNetworkPolicy rules')], jumpTo(C.ingress)),
    rule(C.output, [comment('Antrea: allow tunnel output packets'), ...tunnelMatches(config)], accept),
    rule(C.output, [comment('Antrea: jump to static egress NodeNetworkPolicy rules')], jumpTo(C.preEgress)),
    rule(C.output, [comment('Antrea: jump to egress NodeNetworkPolicy rules')], jumpTo(C.egress)),
    rule(C.preIngress, [conntrackMatch(['ESTABLISHED', 'RELATED']), comment('Antrea: allow ingress established or related packets')], accept),
    rule(C.preIngress, [{ kind: 'iface', dir: 'in', name: 'lo' }, comment('Antrea: allow ingress packets from loopback')], accept),
    rule(C.preEgress, [conntrackMatch(['ESTABLISHED', 'RELATED']), comment('Antrea: allow egress established or related packets')], accept),
    rule(C.preEgress, [{ kind: 'iface', dir: 'out', name: 'lo' }, comment('Antrea: allow egress packets to loopback')], accept),
  ];
  const jumps: IptablesJump[] = [
    { family, table: 'filter', builtin: 'INPUT', position: 'append', chain: C.input, comment: 'Antrea: jump to Antrea input rules', origin: STATIC },
    { family, table: 'filter', builtin: 'OUTPUT', position: 'append', chain: C.output, comment: 'Antrea: jump to Antrea output rules', origin: STATIC },
  ];
  return { chains, rules, jumps };
}

/** One policy rule in one family: its core lines (LOG, then action) and, with several services, its own chain. */
function ruleRecords(
  r: AllocatedNodeRule,
  family: Family,
  out: { chains: IptablesChain[]; rules: IptablesRule[]; ipsets: Ipset[] },
  cache: NodePolicyCache,
): void {
  const origin: HostOrigin = { kind: r.policy.type, name: r.policy.name, rule: r.ruleName, feature: FEATURE };
  const addr = addressMatch(r, family, origin, cache);
  if (!addr) return;
  if (addr.set) out.ipsets.push(addr.set);
  const core = r.direction === 'Ingress' ? C.ingress : C.egress;
  const base: IptMatch[] = addr.match ? [addr.match] : [];
  const line = (chain: string, matches: IptMatch[], t?: IptTarget): IptablesRule => {
    const rec: IptablesRule = { family, table: 'filter', chain, matches, origin };
    return t ? { ...rec, target: t } : rec;
  };
  const services = r.services ?? [];
  const tail = comment(iptablesText(nodeRuleComment(r)));
  const act = actionTarget(r, family);
  if (services.length > 1) {
    const chain = nodeRuleChain(r.id);
    out.chains.push({ family, table: 'filter', chain, origin });
    for (const s of services) {
      const m = serviceMatches(s, family);
      if (r.logging) out.rules.push(line(chain, m, logTarget(logPrefix(r))));
      out.rules.push(line(chain, m, act));
    }
    out.rules.push(line(core, [...base, tail], jumpTo(chain)));
    return;
  }
  const m = [...base, ...(services.length === 1 ? serviceMatches(services[0]!, family) : [])];
  if (r.logging) out.rules.push(line(core, m, logTarget(logPrefix(r))));
  out.rules.push(line(core, [...m, tail], act));
}

/** The Node's host records: empty unless the NodeNetworkPolicy gate is on. `rules` come in chain order. */
export function planNodePolicy(
  node: NodeInfo,
  rules: readonly AllocatedNodeRule[],
  enabled: boolean,
  config: DataplaneConfig,
  cache: NodePolicyCache,
): HostRules {
  if (!enabled) return EMPTY_HOST_RULES;
  const chains: IptablesChain[] = [];
  const out = { chains, rules: [] as IptablesRule[], ipsets: [] as Ipset[] };
  const jumps: IptablesJump[] = [];
  for (const family of families(node)) {
    const s = staticRules(family, config);
    appendAll(chains, s.chains);
    appendAll(out.rules, s.rules);
    appendAll(jumps, s.jumps);
    for (const r of rules) ruleRecords(r, family, out, cache);
  }
  return { chains, rules: out.rules, jumps, ipsets: out.ipsets };
}
