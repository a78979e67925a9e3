/**
 * tierPriorityImmutable (update): a Tier that the previous snapshot held keeps its priority (docs/reference/iptables-egress.md §6.4, Update).
 * Antrea lets only its own controller change it; no snapshot speaks for the controller.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { refOf, report, type PolicyRule } from './context.js';

export const tierPriorityImmutable: PolicyRule = {
  name: 'tierPriorityImmutable',
  reference: '§6.4 (update)',
  check(ctx) {
    const out: Diagnostic[] = [];
    if (!ctx.previous) return out;
    for (const t of ctx.objects.tiers) {
      const prev = ctx.previousTier(t.obj.metadata.name);
      if (prev && prev.obj.spec.priority !== t.obj.spec.priority) {
        out.push(
          report(t, refOf('Tier', t.obj, false), ['spec', 'priority'], Msg.tierPriorityChanged(prev.obj.spec.priority, t.obj.spec.priority)),
        );
      }
    }
    return out;
  },
};
