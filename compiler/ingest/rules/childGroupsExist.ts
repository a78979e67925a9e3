/**
 * childGroupsExist (warning): a child group that is not in the snapshot counts as empty. Antrea accepts such a child
 * on purpose (it may be created later), so this only warns (docs/reference/iptables-egress.md §6.5).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { groupViews } from './walk.js';

export const childGroupsExist: PolicyRule = {
  name: 'childGroupsExist',
  reference: '§6.5',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const g of groupViews(ctx.objects)) {
      (g.spec?.childGroups ?? []).forEach((child, i) => {
        if (child === g.name) return; // childGroupNotSelf
        const found = g.kind === 'ClusterGroup' ? ctx.clusterGroupsNamed(child) : ctx.groupsNamed(g.namespace!, child);
        // A child that exists but was refused has its own error.
        if (found.length > 0) return;
        out.push(report(g.src, g.ref, ['spec', 'childGroups', i], Msg.childGroupMissing(g.kind, child), { severity: 'warning' }));
      });
    }
    return out;
  },
};
