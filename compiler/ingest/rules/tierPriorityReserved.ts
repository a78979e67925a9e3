/**
 * tierPriorityReserved: a Tier may not take a priority Antrea keeps for itself — 251, 252, 254 and 255 always, 220
 * for new Tiers while the upstream ClusterNetworkPolicy feature gate is on — and a Tier carrying a system Tier's name
 * must carry that Tier's priority (docs/reference/iptables-egress.md §6.4, Create; system Tiers: docs/reference/ovs-pipeline.md §3.4).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { refOf, report, type PolicyRule } from './context.js';
import { SYSTEM_TIERS } from '../../../schemas/tiers.js';
import { tierPreExisted } from './tiers.js';

const RESERVED = new Set([251, 252, 254, 255]);
const UPSTREAM_CNP_PRIORITY = 220;

export const tierPriorityReserved: PolicyRule = {
  name: 'tierPriorityReserved',
  reference: '§6.4',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const t of ctx.objects.tiers) {
      const name = t.obj.metadata.name;
      const p = t.obj.spec.priority;
      const ref = refOf('Tier', t.obj, false);
      const system = SYSTEM_TIERS.get(name);
      if (system !== undefined) {
        if (p !== system) out.push(report(t, ref, ['spec', 'priority'], Msg.systemTierPriority(name, system)));
      } else if (RESERVED.has(p)) {
        out.push(report(t, ref, ['spec', 'priority'], Msg.tierPriorityReserved(p)));
      } else if (p === UPSTREAM_CNP_PRIORITY && ctx.featureGates['ClusterNetworkPolicy'] === true && !tierPreExisted(ctx, t)) {
        out.push(report(t, ref, ['spec', 'priority'], Msg.tierPriorityReservedForUpstream(p)));
      }
    }
    return out;
  },
};
