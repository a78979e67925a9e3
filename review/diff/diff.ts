/**
 * `dpc diff OLD NEW`: the artifact diff per Node, then the connectivity diff traced through both sides' bundles.
 */
import { diffArtifacts } from './artifacts.js';
import { connectivityDiff, type ConnectivityStats, type Evaluator } from './connectivity.js';
import type { DiffReport } from './formats.js';
import { readRules, ruleText, type RuleInfo } from './origins.js';
import type { CompiledVersion } from './version.js';

export interface ReviewResult {
  readonly report: DiffReport;
  readonly stats?: ConnectivityStats;
  /** Rule ID → what it is, per side (for positions and reports). */
  readonly rules: { readonly old: ReadonlyMap<number, RuleInfo>; readonly new: ReadonlyMap<number, RuleInfo> };
}

function allRules(v: CompiledVersion): Map<number, RuleInfo> {
  const out = new Map<number, RuleInfo>();
  for (const files of v.nodes.values()) for (const [id, r] of readRules(files)) out.set(id, r);
  return out;
}

export function reviewDiff(
  oldV: CompiledVersion,
  newV: CompiledVersion,
  evaluators: { old: Evaluator; new: Evaluator } | undefined,
): ReviewResult {
  const nodes = diffArtifacts(oldV, newV);
  const rules = { old: allRules(oldV), new: allRules(newV) };
  const ruleNames = new Map<number, string>();
  for (const m of [rules.old, rules.new]) for (const [id, r] of m) ruleNames.set(id, ruleText(r));
  if (!evaluators) {
    return { report: { labels: { old: oldV.label, new: newV.label }, nodes, connectivity: [], connectivityNote: 'not computed (no packet interpreter)', ruleNames }, rules };
  }
  const conn = connectivityDiff(oldV, newV, nodes, evaluators);
  return { report: { labels: { old: oldV.label, new: newV.label }, nodes, connectivity: conn.changes, ruleNames }, stats: conn.stats, rules };
}

/** `diff`'s convention: 0 the same, 1 different. */
export const differs = (r: DiffReport): boolean => r.nodes.length > 0 || r.connectivity.length > 0;
