/** Tier facts shared by the Tier and policy rules. */
import type { TierObject } from '../../../schemas/antreaPolicy.js';
import { isSystemTier } from '../../../schemas/tiers.js';
import type { Located, RuleContext } from './context.js';

/** A Tier the previous snapshot already held with the same priority: it exists, so a newcomer yields to it. */
export function tierPreExisted(ctx: RuleContext, t: Located<TierObject>): boolean {
  const prev = ctx.previousTier(t.obj.metadata.name);
  return prev !== undefined && prev.obj.spec.priority === t.obj.spec.priority;
}

/** Non-system Tiers of the snapshot that no earlier rule refused. */
export function liveCustomTiers(ctx: RuleContext): Located<TierObject>[] {
  return ctx.objects.tiers.filter((t) => !isSystemTier(t.obj.metadata.name) && !ctx.isRefused(t.loc));
}

export function byName(a: Located<TierObject>, b: Located<TierObject>): number {
  const na = a.obj.metadata.name;
  const nb = b.obj.metadata.name;
  return na < nb ? -1 : na > nb ? 1 : 0;
}
