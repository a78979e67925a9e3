/**
 * OpenFlow priorities of policy rules (docs/reference/ovs-pipeline.md §3.3–3.4, Antrea's priority.go). Each table
 * family has a named band; a rule's slot (tier, policy priority, rule position) maps into its band by Antrea's
 * formula, and distinct slots stay distinct and ordered: where the formula collides (fractional policy
 * priorities), later slots are pushed down one by one, keeping the order.
 */
import { APPLICATION_TIER_PRIORITY, isBaselineTier } from '../../schemas/tiers.js';

export interface PriorityBand {
  /** The tables the band's rules live in, as messages name them. */
  tables: string;
  /** The highest priority a rule of the band may get, and the lowest. */
  top: number;
  bottom: number;
  /** How far apart consecutive tiers, policy priorities and rule positions are placed. */
  tierStep: number;
  policyStep: (tier: number) => number;
}

/** Antrea-native rules of every Tier but baseline: AntreaPolicy{Egress,Ingress}Rule, 65000 − (200·T + f·P + R). */
export const MultiTierBand: PriorityBand = {
  tables: 'AntreaPolicy*Rule',
  top: 65000,
  bottom: 100,
  tierStep: 200,
  // The application Tier holds most policies, so Antrea gives its policy priorities five times the room.
  policyStep: (tier) => (tier === APPLICATION_TIER_PRIORITY ? 100 : 20),
};

/** Baseline-Tier rules: {Egress,Ingress}DefaultRule below K8s NetworkPolicy, 180 − (10·P + R). */
export const BaselineBand: PriorityBand = {
  tables: '*DefaultRule',
  top: 180,
  bottom: 10,
  tierStep: 0, // one Tier only
  policyStep: () => 10,
};

/** K8s NetworkPolicy: match flows at 200, the action flow one step below (docs/reference/ovs-pipeline.md §3.3). */
export const K8sRulePriority = { match: 200, action: 190 } as const;

/** Antrea's established/related bypass sits just above every policy rule. */
export const ESTABLISHED_BYPASS_PRIORITY = 64990;

export interface PrioritySlot {
  tier: number;
  policy: number;
  rule: number;
}

export function bandOf(tier: number): PriorityBand {
  return isBaselineTier(tier) ? BaselineBand : MultiTierBand;
}

function initial(band: PriorityBand, s: PrioritySlot): number {
  const wanted = band.top - (band.tierStep * s.tier + Math.trunc(band.policyStep(s.tier) * s.policy) + s.rule);
  return Math.max(band.bottom, Math.trunc(wanted));
}

const slotKey = (s: PrioritySlot) => `${s.tier}/${s.policy}/${s.rule}`;

/**
 * Priorities for the slots of one band (ingress and egress are separate tables but share the numbering, as in
 * Antrea). Returns undefined when the band is exhausted.
 */
export function assignPriorities(band: PriorityBand, slots: readonly PrioritySlot[]): Map<string, number> | undefined {
  const unique = new Map(slots.map((s) => [slotKey(s), s]));
  const ordered = [...unique.values()].sort((a, b) => a.tier - b.tier || a.policy - b.policy || a.rule - b.rule);
  const out = new Map<string, number>();
  let previous = Infinity;
  for (const s of ordered) {
    const p = Math.min(initial(band, s), previous - 1);
    if (p < band.bottom) return undefined;
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
