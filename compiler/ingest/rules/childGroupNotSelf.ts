/** childGroupNotSelf: a ClusterGroup or Group cannot list itself in childGroups (docs/reference/iptables-egress.md §6.5). */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { groupViews } from './walk.js';

export const childGroupNotSelf: PolicyRule = {
  name: 'childGroupNotSelf',
  reference: '§6.5',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const g of groupViews(ctx.objects)) {
      (g.spec?.childGroups ?? []).forEach((child, i) => {
        if (child === g.name) out.push(report(g.src, g.ref, ['spec', 'childGroups', i], Msg.childGroupSelf(`${g.kind} ${g.name}`)));
      });
    }
    return out;
  },
};
