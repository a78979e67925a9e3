/**
 * tierCountLimit: at most 20 Tiers, Antrea's 6 system Tiers included (docs/reference/iptables-egress.md §6.4, Create: Antrea counts distinct
 * priorities, which tierPriorityUnique has made one per Tier). Tiers the previous snapshot held are kept first, then
 * new ones by priority and name; the rest are refused.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { refOf, report, type PolicyRule } from './context.js';
import { SYSTEM_TIERS } from '../../../schemas/tiers.js';
import { byName, liveCustomTiers, tierPreExisted } from './tiers.js';

export const MAX_TIERS = 20;

export const tierCountLimit: PolicyRule = {
  name: 'tierCountLimit',
  reference: '§6.4',
  check(ctx) {
    const out: Diagnostic[] = [];
    const room = MAX_TIERS - SYSTEM_TIERS.size;
    const tiers = liveCustomTiers(ctx);
    if (tiers.length <= room) return out;
    const ranked = [...tiers].sort((a, b) => {
      const pa = tierPreExisted(ctx, a) ? 0 : 1;
      const pb = tierPreExisted(ctx, b) ? 0 : 1;
      if (pa !== pb) return pa - pb;
      if (a.obj.spec.priority !== b.obj.spec.priority) return a.obj.spec.priority - b.obj.spec.priority;
      return byName(a, b);
    });
    for (const t of ranked.slice(room)) out.push(report(t, refOf('Tier', t.obj, false), [], Msg.tooManyTiers(MAX_TIERS)));
    return out;
  },
};
