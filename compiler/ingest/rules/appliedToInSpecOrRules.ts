/**
 * appliedToInSpecOrRules: a policy says what it applies to in exactly one place — spec.appliedTo, or the appliedTo
 * of every one of its rules (docs/reference/iptables-egress.md §6.1 item 4, first three checks).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { antreaRules } from './walk.js';

export const appliedToInSpecOrRules: PolicyRule = {
  name: 'appliedToInSpecOrRules',
  reference: '§6.1 item 4',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const view of ctx.antreaPolicies) {
      const inSpec = (view.src.obj.spec.appliedTo ?? []).length > 0;
      const rules = antreaRules(view);
      const withAppliedTo = rules.filter((s) => (s.rule.appliedTo ?? []).length > 0);
      if (inSpec && withAppliedTo.length > 0) {
        for (const s of withAppliedTo) out.push(report(view.src, view.ref, [...s.path, 'appliedTo'], Msg.appliedToInSpecAndRules()));
      } else if (!inSpec && withAppliedTo.length === 0) {
        out.push(report(view.src, view.ref, ['spec', 'appliedTo'], Msg.appliedToMissing()));
      } else if (withAppliedTo.length > 0 && withAppliedTo.length < rules.length) {
        for (const s of rules) {
          if (!withAppliedTo.includes(s)) out.push(report(view.src, view.ref, s.path, Msg.appliedToOnSomeRules()));
        }
      }
    }
    return out;
  },
};
