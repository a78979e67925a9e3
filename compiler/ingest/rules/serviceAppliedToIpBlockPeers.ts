/**
 * serviceAppliedToIpBlockPeers: when a policy or an ingress rule applies to Services (its first appliedTo entry
 * names a Service), that rule's sources are ipBlock peers only, each holding nothing but the ipBlock (docs/reference/iptables-egress.md §6.1
 * item 6).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import type { AppliedTo } from '../../../schemas/antreaPolicy.js';
import { report, type PolicyRule } from './context.js';
import { PEER_FIELDS, antreaRules, fieldsSet, rulePeers } from './walk.js';

const appliesToServices = (list: readonly AppliedTo[] | undefined): boolean => list?.[0]?.service !== undefined;

export const serviceAppliedToIpBlockPeers: PolicyRule = {
  name: 'serviceAppliedToIpBlockPeers',
  reference: '§6.1 item 6',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const view of ctx.antreaPolicies) {
      const policyLevel = appliesToServices(view.src.obj.spec.appliedTo);
      for (const site of antreaRules(view)) {
        if (site.direction !== 'ingress' || !(policyLevel || appliesToServices(site.rule.appliedTo))) continue;
        for (const { peer, path } of rulePeers(site)) {
          if (peer.ipBlock === undefined || fieldsSet(peer, PEER_FIELDS).length > 1) {
            out.push(report(view.src, view.ref, path, Msg.servicePolicyPeer()));
          }
        }
      }
    }
    return out;
  },
};
