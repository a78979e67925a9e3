/**
 * protocolEntriesSingle: each `protocols` entry of an Antrea rule is exactly one of icmp / igmp, and each
 * `l7Protocols` entry exactly one of http / tls. Mirrors the `oneOf` of Antrea's CRD schemas (docs/reference/iptables-egress.md §6.1, Schema).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { antreaRules, fieldsSet } from './walk.js';

export const protocolEntriesSingle: PolicyRule = {
  name: 'protocolEntriesSingle',
  reference: '§6.1 (schema)',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const view of ctx.antreaPolicies) {
      for (const site of antreaRules(view)) {
        (site.rule.protocols ?? []).forEach((p, i) => {
          if (fieldsSet(p, ['icmp', 'igmp']).length !== 1) {
            out.push(report(view.src, view.ref, [...site.path, 'protocols', i], Msg.protocolEntryKinds('icmp', 'igmp')));
          }
        });
        (site.rule.l7Protocols ?? []).forEach((p, i) => {
          if (fieldsSet(p, ['http', 'tls']).length !== 1) {
            out.push(report(view.src, view.ref, [...site.path, 'l7Protocols', i], Msg.protocolEntryKinds('http', 'tls')));
          }
        });
      }
    }
    return out;
  },
};
