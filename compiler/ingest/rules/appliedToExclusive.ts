/**
 * appliedToExclusive: an appliedTo entry that sets group, nodeSelector, serviceAccount or service sets nothing
 * else (docs/reference/iptables-egress.md §6.1 item 4).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { APPLIED_TO_FIELDS, appliedToLists, fieldsSet } from './walk.js';

const ALONE = ['group', 'nodeSelector', 'serviceAccount', 'service'] as const;

export const appliedToExclusive: PolicyRule = {
  name: 'appliedToExclusive',
  reference: '§6.1 item 4',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const view of ctx.antreaPolicies) {
      for (const list of appliedToLists(view)) {
        list.entries.forEach((entry, i) => {
          const set = fieldsSet(entry, APPLIED_TO_FIELDS);
          const lone = ALONE.find((f) => set.includes(f));
          if (lone && set.length > 1) out.push(report(view.src, view.ref, [...list.path, i], Msg.appliedToNotAlone(lone)));
        });
      }
    }
    return out;
  },
};
