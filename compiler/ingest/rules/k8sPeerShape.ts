/**
 * k8sPeerShape: a Kubernetes NetworkPolicy peer sets podSelector, namespaceSelector or ipBlock, and an ipBlock
 * stands alone (the API server's peer validation).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import type { K8sNetworkPolicyPeer } from '../../../schemas/networkPolicy.js';
import { refOf, report, type PolicyRule } from './context.js';
import { fieldsSet } from './walk.js';

export const k8sPeerShape: PolicyRule = {
  name: 'k8sPeerShape',
  reference: 'Kubernetes API',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const src of ctx.objects.networkPolicies) {
      const ref = refOf('NetworkPolicy', src.obj, true);
      const check = (peer: K8sNetworkPolicyPeer, path: (string | number)[]) => {
        const set = fieldsSet(peer, ['podSelector', 'namespaceSelector', 'ipBlock']);
        if (set.length === 0) out.push(report(src, ref, path, Msg.k8sPeerEmpty()));
        else if (set.length > 1 && set.includes('ipBlock')) out.push(report(src, ref, path, Msg.k8sPeerIpBlockWithSelector()));
      };
      (src.obj.spec.ingress ?? []).forEach((r, i) => (r.from ?? []).forEach((p, j) => check(p, ['spec', 'ingress', i, 'from', j])));
      (src.obj.spec.egress ?? []).forEach((r, i) => (r.to ?? []).forEach((p, j) => check(p, ['spec', 'egress', i, 'to', j])));
    }
    return out;
  },
};
