/**
 * OpenFlow priorities of Antrea-native rules (docs/reference/ovs-pipeline.md §3.4, Antrea's priority.go):
 * multi-tier tables use 65000 − (200·T + f·P + R) with f = 100 in the application tier and 20 elsewhere;
 * baseline tables use 180 − (10·P + R). Distinct (T, P, R) slots must stay distinct and ordered; where the
 * formula collides (fractional P), later slots are pushed down one by one, keeping the order.
 */
import { BASELINE_TIER_PRIORITY } from '../resolve/antreaPolicy.js';

export const MULTI_TIER_TOP = 65000;
export const MULTI_TIER_BOTTOM = 100;
export const BASELINE_TOP = 180;
export const BASELINE_BOTTOM = 10;
/** Antrea's established/related bypass sits just above every policy rule. */
export const ESTABLISHED_BYPASS_PRIORITY = 64990;

export interface PrioritySlot {
  tier: number;
  policy: number;
  rule: number;
}

export function isBaseline(tier: number): boolean {
  return tier >= BASELINE_TIER_PRIORITY;
}

function initial(s: PrioritySlot): number {
  if (isBaseline(s.tier)) return Math.max(BASELINE_BOTTOM, Math.trunc(BASELINE_TOP - (10 * s.policy + s.rule)));
  const factor = s.tier === 250 ? 100 : 20;
  return Math.max(MULTI_TIER_BOTTOM, Math.trunc(MULTI_TIER_TOP - (200 * s.tier + Math.trunc(factor * s.policy) + s.rule)));
}

const slotKey = (s: PrioritySlot) => `${s.tier}/${s.policy}/${s.rule}`;

/**
 * Priorities for the slots of one table family (multi-tier or baseline; ingress and egress are separate
 * tables but share the numbering, as in Antrea). Returns undefined when the range is exhausted.
 */
export function assignPriorities(slots: readonly PrioritySlot[]): Map<string, number> | undefined {
  const unique = new Map(slots.map((s) => [slotKey(s), s]));
  const ordered = [...unique.values()].sort((a, b) => a.tier - b.tier || a.policy - b.policy || a.rule - b.rule);
  const out = new Map<string, number>();
  let previous = Infinity;
  for (const s of ordered) {
    const bottom = isBaseline(s.tier) ? BASELINE_BOTTOM : MULTI_TIER_BOTTOM;
    const p = Math.min(initial(s), previous - 1);
    if (p < bottom) return undefined;
    out.set(slotKey(s), p);
    previous = p;
  }
  return out;
}

export function priorityOf(map: ReadonlyMap<string, number>, s: PrioritySlot): number {
  const p = map.get(slotKey(s));
  if (p === undefined) throw new Error(`internal: no priority for slot ${slotKey(s)}`);
  return p;
}
