/** toServicesAlone: an egress rule with toServices sets no `to`, `ports` or `protocols` (docs/reference/iptables-egress.md §6.1 item 5). */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import type { AntreaEgressRule } from '../../../schemas/antreaPolicy.js';
import { report, type PolicyRule } from './context.js';
import { antreaRules } from './walk.js';

export const toServicesAlone: PolicyRule = {
  name: 'toServicesAlone',
  reference: '§6.1 item 5',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const view of ctx.antreaPolicies) {
      for (const site of antreaRules(view)) {
        if (site.direction !== 'egress') continue;
        const rule = site.rule as AntreaEgressRule;
        if (rule.toServices === undefined) continue;
        if ((rule.to ?? []).length > 0) out.push(report(view.src, view.ref, [...site.path, 'to'], Msg.toServicesCombined('to')));
        if (rule.ports !== undefined) out.push(report(view.src, view.ref, [...site.path, 'ports'], Msg.toServicesCombined('ports')));
        if (rule.protocols !== undefined) {
          out.push(report(view.src, view.ref, [...site.path, 'protocols'], Msg.toServicesCombined('protocols')));
        }
      }
    }
    return out;
  },
};
