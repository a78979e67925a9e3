/**
 * policyTierExists: the Tier an ACNP or ANNP names exists — empty means application, the capitalized names of
 * Antrea 0.9 mean the system Tiers, which always exist; any other name must be a Tier of the snapshot that no
 * earlier rule refused (docs/reference/iptables-egress.md §6.1 item 1).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { effectiveTierName, isSystemTier } from '../../../schemas/tiers.js';

export const policyTierExists: PolicyRule = {
  name: 'policyTierExists',
  reference: '§6.1 item 1',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const view of ctx.antreaPolicies) {
      const name = effectiveTierName(view.src.obj.spec.tier);
      if (isSystemTier(name)) continue;
      const found = ctx.tiersNamed(name);
      if (found.some((t) => !ctx.isRefused(t.loc))) continue;
      out.push(report(view.src, view.ref, ['spec', 'tier'], Msg.tierNotFound(name, found.length > 0)));
    }
    return out;
  },
};
