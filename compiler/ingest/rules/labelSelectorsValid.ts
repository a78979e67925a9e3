/**
 * labelSelectorsValid: every label selector is one Kubernetes can evaluate — matchLabels keys are qualified names
 * and values are label values (Antrea's webhook, docs/reference/iptables-egress.md §6.1 items 4–5 and §6.5); matchExpressions keys are
 * qualified names, values are label values (Antrea's CRD pattern), In/NotIn carry values and Exists/DoesNotExist
 * carry none (the API server's selector validation, which Antrea's selector conversion relies on). Applies to
 * Kubernetes NetworkPolicies too.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { labelValueProblem, qualifiedNameProblem } from './syntax.js';
import { allSelectors } from './walk.js';

export const labelSelectorsValid: PolicyRule = {
  name: 'labelSelectorsValid',
  reference: '§6.1, §6.5, Kubernetes API',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const { src, ref, selector, path } of allSelectors(ctx.objects, ctx.antreaPolicies)) {
      for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
        const kp = qualifiedNameProblem(key);
        if (kp) out.push(report(src, ref, [...path, 'matchLabels', key], Msg.labelKeyInvalid(key, kp)));
        const vp = labelValueProblem(value);
        if (vp) out.push(report(src, ref, [...path, 'matchLabels', key], Msg.labelValueInvalid(value, vp)));
      }
      (selector.matchExpressions ?? []).forEach((req, i) => {
        const rp = [...path, 'matchExpressions', i];
        const kp = qualifiedNameProblem(req.key);
        if (kp) out.push(report(src, ref, [...rp, 'key'], Msg.labelKeyInvalid(req.key, kp)));
        const values = req.values ?? [];
        if ((req.operator === 'In' || req.operator === 'NotIn') && values.length === 0) {
          out.push(report(src, ref, [...rp, 'values'], Msg.selectorValuesRequired(req.operator)));
        }
        if ((req.operator === 'Exists' || req.operator === 'DoesNotExist') && values.length > 0) {
          out.push(report(src, ref, [...rp, 'values'], Msg.selectorValuesForbidden(req.operator)));
        }
        values.forEach((v, j) => {
          const vp = labelValueProblem(v);
          if (vp) out.push(report(src, ref, [...rp, 'values', j], Msg.labelValueInvalid(v, vp)));
        });
      });
    }
    return out;
  },
};
