/**
 * passNotInBaselineTier: rules of a policy in the baseline Tier (name compared without case) cannot Pass: there is
 * no lower Tier to pass to (docs/reference/iptables-egress.md §6.1 item 2; docs/reference/ovs-pipeline.md §3.4).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { antreaRules } from './walk.js';

export const passNotInBaselineTier: PolicyRule = {
  name: 'passNotInBaselineTier',
  reference: '§6.1 item 2',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const view of ctx.antreaPolicies) {
      if ((view.src.obj.spec.tier ?? '').toLowerCase() !== 'baseline') continue;
      for (const site of antreaRules(view)) {
        if (site.rule.action === 'Pass') out.push(report(view.src, view.ref, [...site.path, 'action'], Msg.passInBaseline()));
      }
    }
    return out;
  },
};
