/**
 * peerNamespacesValid: a peer's `namespaces` is not combined with namespaceSelector, sets exactly one of match and
 * sameLabels, and its sameLabels are label keys (docs/reference/iptables-egress.md §6.1 item 5; the CRD's minProperties/maxProperties 1).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { qualifiedNameProblem } from './syntax.js';
import { antreaRules, fieldsSet, rulePeers } from './walk.js';

export const peerNamespacesValid: PolicyRule = {
  name: 'peerNamespacesValid',
  reference: '§6.1 item 5',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const view of ctx.antreaPolicies) {
      for (const site of antreaRules(view)) {
        for (const { peer, path } of rulePeers(site)) {
          const ns = peer.namespaces;
          if (!ns) continue;
          const at = [...path, 'namespaces'];
          if (peer.namespaceSelector !== undefined) out.push(report(view.src, view.ref, at, Msg.namespacesWithNamespaceSelector()));
          const criteria = fieldsSet(ns, ['match', 'sameLabels']).length;
          if (criteria !== 1) out.push(report(view.src, view.ref, at, Msg.namespacesCriteria(criteria)));
          (ns.sameLabels ?? []).forEach((k, i) => {
            const why = qualifiedNameProblem(k);
            if (why) out.push(report(view.src, view.ref, [...at, 'sameLabels', i], Msg.labelKeyInvalid(k, why)));
          });
        }
      }
    }
    return out;
  },
};
