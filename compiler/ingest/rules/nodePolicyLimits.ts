/**
 * nodePolicyLimits (dpc's decision on limits Antrea documents but does not check; docs/reference/iptables-egress.md §6.1, after item 12):
 * a ClusterNetworkPolicy applied to Nodes applies to Nodes only (no Pod or other entries beside nodeSelector), and
 * uses no FQDN peers, l7Protocols or toServices, which Node policies (iptables) cannot enforce. That only ACNPs
 * target Nodes is crdFieldPlacement's business.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { antreaRules, rulePeers, toServicesOf } from './walk.js';

export const nodePolicyLimits: PolicyRule = {
  name: 'nodePolicyLimits',
  reference: '§6.1 (documented Node limits; dpc)',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const view of ctx.antreaPolicies) {
      if (view.kind !== 'ClusterNetworkPolicy') continue;
      const appliedTo = view.src.obj.spec.appliedTo ?? [];
      if (!appliedTo.some((a) => a.nodeSelector !== undefined)) continue;
      appliedTo.forEach((a, i) => {
        if (a.nodeSelector === undefined) out.push(report(view.src, view.ref, ['spec', 'appliedTo', i], Msg.nodeAppliedToMixed()));
      });
      for (const site of antreaRules(view)) {
        for (const { peer, path } of rulePeers(site)) {
          if (peer.fqdn) out.push(report(view.src, view.ref, [...path, 'fqdn'], Msg.nodePolicyUnsupported('fqdn')));
        }
        if ((site.rule.l7Protocols ?? []).length > 0) {
          out.push(report(view.src, view.ref, [...site.path, 'l7Protocols'], Msg.nodePolicyUnsupported('l7Protocols')));
        }
        if (toServicesOf(site) !== undefined) {
          out.push(report(view.src, view.ref, [...site.path, 'toServices'], Msg.nodePolicyUnsupported('toServices')));
        }
      }
    }
    return out;
  },
};
