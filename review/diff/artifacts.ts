/**
 * The artifact half of `dpc diff OLD NEW`: per Node, a unified diff of every artifact the Node runs (flows, groups,
 * meters, iptables, ipsets, routes, OVSDB operations, the rule map), each changed line with its origin. Only
 * bundle.json is left out: it holds the other files' digests, so it changes whenever they do and says nothing more.
 */
import { flowOrigin, iptablesOrigin, ipsetOrigin, readRules, type Origin, type RuleInfo } from './origins.js';
import { hunks, lineOps, type Op } from './udiff.js';
import type { BundleFiles, CompiledVersion } from './version.js';

export interface ChangedLine {
  readonly t: '-' | '+';
  readonly line: string;
  readonly origin?: Origin;
}

export interface ArtifactDiff {
  readonly path: string;
  /** `diff -u` text, with each changed line's origin on the line after it as `#   <origin>`? No: kept apart, see `lines`. */
  readonly unified: string;
  readonly lines: readonly ChangedLine[];
  readonly added: number;
  readonly removed: number;
}

export interface NodeArtifactDiff {
  readonly node: string;
  /** added/removed: the Node exists on one side only. */
  readonly status: 'changed' | 'added' | 'removed';
  readonly files: readonly ArtifactDiff[];
  /** Rule IDs of the changed flow lines (both sides), for the connectivity diff and the report. */
  readonly ruleIds: ReadonlySet<number>;
}

const IGNORED = new Set(['bundle.json']);

const splitLines = (text: string | undefined): string[] => (text ? text.replace(/\n$/, '').split('\n') : []);

function originOf(path: string, line: string, files: BundleFiles | undefined, rules: ReadonlyMap<number, RuleInfo>): Origin | undefined {
  if (path === 'openflow/flows.txt') return flowOrigin(line, rules);
  if (path.startsWith('iptables/')) return iptablesOrigin(line);
  if (path.startsWith('ipset/')) return ipsetOrigin(line, files);
  return undefined;
}

/** One artifact's diff, or undefined when both sides hold the same text. */
export function diffArtifact(
  path: string,
  oldText: string | undefined,
  newText: string | undefined,
  sides: { old?: BundleFiles; new?: BundleFiles },
  rules: { old: ReadonlyMap<number, RuleInfo>; new: ReadonlyMap<number, RuleInfo> },
): ArtifactDiff | undefined {
  if (oldText === newText) return undefined;
  const ops = lineOps(splitLines(oldText), splitLines(newText));
  const lines: ChangedLine[] = [];
  const origin = (o: Op): Origin | undefined =>
    o.t === '-' ? originOf(path, o.line, sides.old, rules.old) : originOf(path, o.line, sides.new, rules.new);
  const out: string[] = [`--- ${oldText === undefined ? '/dev/null' : `a/${path}`}`, `+++ ${newText === undefined ? '/dev/null' : `b/${path}`}`];
  for (const h of hunks(ops)) {
    out.push(h.header);
    for (const o of h.ops) {
      out.push(`${o.t}${o.line}`);
      if (o.t === ' ') continue;
      const org = origin(o);
      lines.push({ t: o.t, line: o.line, ...(org ? { origin: org } : {}) });
    }
  }
  return {
    path,
    unified: `${out.join('\n')}\n`,
    lines,
    added: lines.filter((l) => l.t === '+').length,
    removed: lines.filter((l) => l.t === '-').length,
  };
}

export function diffNode(node: string, oldFiles: BundleFiles | undefined, newFiles: BundleFiles | undefined): NodeArtifactDiff | undefined {
  const rules = { old: readRules(oldFiles), new: readRules(newFiles) };
  const paths = [...new Set([...(oldFiles?.keys() ?? []), ...(newFiles?.keys() ?? [])])].filter((p) => !IGNORED.has(p)).sort();
  const files: ArtifactDiff[] = [];
  for (const path of paths) {
    const d = diffArtifact(path, oldFiles?.get(path), newFiles?.get(path), { ...(oldFiles ? { old: oldFiles } : {}), ...(newFiles ? { new: newFiles } : {}) }, rules);
    if (d) files.push(d);
  }
  if (files.length === 0 && oldFiles && newFiles) return undefined;
  const ruleIds = new Set<number>();
  for (const f of files) for (const l of f.lines) if (l.origin?.rule) ruleIds.add(l.origin.rule.id);
  return { node, status: !oldFiles ? 'added' : !newFiles ? 'removed' : 'changed', files, ruleIds };
}

/** Every Node whose bundle differs, in name order. */
export function diffArtifacts(oldV: CompiledVersion, newV: CompiledVersion): NodeArtifactDiff[] {
  const names = [...new Set([...oldV.nodes.keys(), ...newV.nodes.keys()])].sort();
  const out: NodeArtifactDiff[] = [];
  for (const n of names) {
    const d = diffNode(n, oldV.nodes.get(n), newV.nodes.get(n));
    if (d) out.push(d);
  }
  return out;
}

/** The unified diff of one Node with each changed line's origin beside it, as `dpc diff` prints it. */
export function annotatedText(d: NodeArtifactDiff): string {
  let out = '';
  for (const f of d.files) {
    const byLine = new Map<string, string>();
    for (const l of f.lines) if (l.origin) byLine.set(`${l.t}${l.line}`, l.origin.text);
    for (const line of f.unified.replace(/\n$/, '').split('\n')) {
      const o = line.startsWith('---') || line.startsWith('+++') ? undefined : byLine.get(line);
      out += o ? `${line}\t# ${o}\n` : `${line}\n`;
    }
  }
  return out;
}
