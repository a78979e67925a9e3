/**
 * appliedToServicesIngressOnly: a ClusterNetworkPolicy applied to Services has only ingress rules, and an appliedTo
 * list naming a Service names nothing but Services (docs/reference/iptables-egress.md §6.1 item 4). ANNPs cannot name Services at all
 * (crdFieldPlacement).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { appliedToLists } from './walk.js';

export const appliedToServicesIngressOnly: PolicyRule = {
  name: 'appliedToServicesIngressOnly',
  reference: '§6.1 item 4',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const view of ctx.antreaPolicies) {
      if (view.kind !== 'ClusterNetworkPolicy') continue;
      const hasEgress = (view.src.obj.spec.egress ?? []).length > 0;
      for (const list of appliedToLists(view)) {
        let services = 0;
        list.entries.forEach((entry, i) => {
          if (entry.service === undefined) return;
          services++;
          if (list.scope === 'egress' || (list.scope === 'policy' && hasEgress)) {
            out.push(report(view.src, view.ref, [...list.path, i, 'service'], Msg.serviceAppliedToEgress()));
          }
        });
        if (services > 0 && services < list.entries.length) out.push(report(view.src, view.ref, list.path, Msg.serviceAppliedToMixed()));
      }
    }
    return out;
  },
};
