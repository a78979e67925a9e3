/**
 * tierPriorityUnique: no two Tiers share a priority, Antrea's system Tiers included (docs/reference/iptables-egress.md §6.4, Create).
 * Antrea refuses the later of two Tiers; in a snapshot the earlier one is the Tier the previous snapshot already
 * held. Without such a Tier, every Tier of the clash is refused: the snapshot does not say which one exists.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import type { TierObject } from '../../../schemas/antreaPolicy.js';
import { refOf, report, type Located, type PolicyRule } from './context.js';
import { SYSTEM_TIERS } from '../../../schemas/tiers.js';
import { byName, liveCustomTiers, tierPreExisted } from './tiers.js';

export const tierPriorityUnique: PolicyRule = {
  name: 'tierPriorityUnique',
  reference: '§6.4',
  check(ctx) {
    const out: Diagnostic[] = [];
    const systemAt = new Map([...SYSTEM_TIERS].map(([name, p]) => [p, name]));
    const byPriority = new Map<number, Located<TierObject>[]>();
    for (const t of liveCustomTiers(ctx)) {
      const list = byPriority.get(t.obj.spec.priority);
      if (list) list.push(t);
      else byPriority.set(t.obj.spec.priority, [t]);
    }
    for (const [p, tiers] of byPriority) {
      tiers.sort(byName);
      const system = systemAt.get(p);
      if (system !== undefined) {
        const obj = ctx.tiersNamed(system)[0];
        const related = obj ? [{ at: { loc: obj.loc }, message: `Tier ${system} is here` }] : [];
        for (const t of tiers) out.push(report(t, refOf('Tier', t.obj, false), ['spec', 'priority'], Msg.tierPriorityTaken(p, system), { related }));
        continue;
      }
      if (tiers.length < 2) continue;
      const keepers = tiers.filter((t) => tierPreExisted(ctx, t));
      for (const t of tiers) {
        if (keepers.includes(t)) continue;
        const holder = keepers[0] ?? tiers.find((x) => x !== t)!;
        out.push(
          report(t, refOf('Tier', t.obj, false), ['spec', 'priority'], Msg.tierPriorityTaken(p, holder.obj.metadata.name), {
            related: [{ at: { loc: holder.loc, field: ['spec', 'priority'] }, message: `Tier ${holder.obj.metadata.name} has priority ${p} here` }],
          }),
        );
      }
    }
    return out;
  },
};
