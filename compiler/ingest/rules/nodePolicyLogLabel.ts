/**
 * nodePolicyLogLabel (warning): in a policy applied to Nodes, a logged rule's logLabel longer than 12 characters is
 * cut in the iptables log prefix (docs/reference/iptables-egress.md §6.1 item 12; docs/reference/iptables-egress.md §1.7, §1.10).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { antreaRules, isNodePolicy } from './walk.js';
import { groupSelectsNodes } from './nodePolicyLimits.js';

export const NODE_LOG_LABEL_MAX = 12;

export const nodePolicyLogLabel: PolicyRule = {
  name: 'nodePolicyLogLabel',
  reference: '§6.1 item 12',
  check(ctx) {
    const out: Diagnostic[] = [];
    const selectsNodes = groupSelectsNodes(ctx);
    for (const view of ctx.antreaPolicies) {
      if (!isNodePolicy(view, selectsNodes)) continue;
      for (const site of antreaRules(view)) {
        const label = site.rule.logLabel ?? '';
        if (site.rule.enableLogging === true && label.length > NODE_LOG_LABEL_MAX) {
          out.push(report(view.src, view.ref, [...site.path, 'logLabel'], Msg.nodeLogLabelTooLong(label), { severity: 'warning' }));
        }
      }
    }
    return out;
  },
};
