/**
 * Tier facts of Antrea's API (docs/reference/ovs-pipeline.md §3.4): the system Tiers antrea-controller creates
 * at start, the legacy capitalized names, and which Tier a policy's `spec.tier` means. Admission rules (ingest)
 * and the model both read them here, so there is exactly one copy.
 */

/** Antrea's system Tiers and their priorities. */
export const SYSTEM_TIERS: ReadonlyMap<string, number> = new Map([
  ['emergency', 50],
  ['securityops', 100],
  ['networkops', 150],
  ['platform', 200],
  ['application', 250],
  ['baseline', 253],
]);

/** The baseline Tier's priority: its rules go to the default tables, below K8s NetworkPolicy. */
export const BASELINE_TIER_PRIORITY = 253;

/** The application Tier's priority: Antrea spreads policy priorities wider there (priority.go). */
export const APPLICATION_TIER_PRIORITY = 250;

/** The capitalized spellings from Antrea 0.9, still accepted in `spec.tier` and mapped to the system Tiers. */
export const STATIC_TIER_NAMES: ReadonlyMap<string, string> = new Map(
  ['Emergency', 'SecurityOps', 'NetworkOps', 'Platform', 'Application', 'Baseline'].map((n) => [n, n.toLowerCase()]),
);

/** The Tier a policy's `spec.tier` names: empty means application; the old capitalized names mean the system Tiers. */
export function effectiveTierName(tier: string | undefined): string {
  if (tier === undefined || tier === '') return 'application';
  return STATIC_TIER_NAMES.get(tier) ?? tier;
}

export function isSystemTier(name: string): boolean {
  return SYSTEM_TIERS.has(name);
}

export function isBaselineTier(priority: number): boolean {
  return priority >= BASELINE_TIER_PRIORITY;
}
