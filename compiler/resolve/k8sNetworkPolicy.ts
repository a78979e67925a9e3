/**
 * Kubernetes NetworkPolicy → intents (docs/reference/ovs-pipeline.md §3.1, §3.3). Every rule allows; a policy
 * isolates its Pods in each of its policyTypes, so whatever no rule allows is dropped.
 */
import type { NetworkPolicyObject, K8sNetworkPolicyPeer } from '../../schemas/networkPolicy.js';
import type { Located } from '../diagnostics/diagnostic.js';
import { ipBlockCidrs, MATCH_ALL_CIDRS, mergePeers } from './peers.js';
import type { Selection } from './selection.js';
import { hasNamedPorts, rulePorts, splitByServices } from './services.js';
import type { Direction, PeerSet, PolicyIntents, PolicyRef, RuleIntent } from './types.js';

function peerSet(peers: readonly K8sNetworkPolicyPeer[] | undefined, namespace: string, sel: Selection): PeerSet {
  if (!peers || peers.length === 0) return { pods: [], cidrs: MATCH_ALL_CIDRS };
  return mergePeers(
    peers.map((p) =>
      p.ipBlock
        ? { pods: [], cidrs: ipBlockCidrs(p.ipBlock) }
        : { pods: sel.pods(p.podSelector ?? (p.namespaceSelector ? undefined : {}), p.namespaceSelector, namespace), cidrs: [] },
    ),
  );
}

/** policyTypes as the API server defaults them: Ingress always, Egress when there are egress rules. */
export function effectivePolicyTypes(spec: NetworkPolicyObject['spec']): Direction[] {
  const types = spec.policyTypes;
  if (types && types.length > 0) {
    // Most policies say [Ingress, Egress]: answered without a Set and a sort (75,000 policies at small Namespaces).
    if (types.length === 2 && types[0] !== types[1]) return ['Egress', 'Ingress'];
    return [...new Set(types)].sort() as Direction[];
  }
  return spec.egress && spec.egress.length > 0 ? ['Egress', 'Ingress'] : ['Ingress'];
}

export function resolveK8sNetworkPolicy(np: Located<NetworkPolicyObject>, sel: Selection, out: PolicyIntents): void {
  const namespace = np.obj.metadata.namespace ?? 'default';
  const name = np.obj.metadata.name;
  const policy: PolicyRef = { type: 'K8sNetworkPolicy', namespace, name };
  if (np.obj.metadata.uid) policy.uid = np.obj.metadata.uid;
  const spec = np.obj.spec;
  const appliedTo = sel.pods(spec.podSelector ?? {}, undefined, namespace);
  const base = `K8sNetworkPolicy/${namespace}/${name}`;
  for (const direction of effectivePolicyTypes(spec)) {
    out.isolation.push({ key: `${base}/${direction}/isolate`, policy, direction, pods: appliedTo });
    const rules = direction === 'Ingress' ? spec.ingress ?? [] : spec.egress ?? [];
    rules.forEach((rule, i) => {
      const peersIn = direction === 'Ingress' ? (rule as { from?: K8sNetworkPolicyPeer[] }).from : (rule as { to?: K8sNetworkPolicyPeer[] }).to;
      const ports = rulePorts(rule.ports);
      const intent = (key: string, to: RuleIntent['appliedTo'], peers: PeerSet, services: RuleIntent['services']): RuleIntent => {
        const r: RuleIntent = {
          key: `${base}/${direction}/${i}${key ? `/${key}` : ''}`,
          policy,
          direction,
          action: 'Allow',
          policyPriority: 0,
          rulePosition: i,
          appliedTo: to,
          peers,
          logging: false,
          loc: np.loc,
        };
        if (services !== undefined) r.services = services;
        return r;
      };
      if (direction === 'Ingress') {
        const peers = peerSet(peersIn, namespace, sel);
        for (const g of splitByServices(ports, appliedTo)) out.rules.push(intent(g.key, g.pods, peers, g.services));
        return;
      }
      // Egress: named ports resolve on the destination Pods; an empty `to` then means every Pod.
      const peers = hasNamedPorts(ports) && (!peersIn || peersIn.length === 0)
        ? { pods: sel.pods(undefined, {}, undefined), cidrs: [] }
        : peerSet(peersIn, namespace, sel);
      if (!hasNamedPorts(ports)) {
        out.rules.push(intent('', appliedTo, peers, ports.fixed));
        return;
      }
      for (const g of splitByServices(ports, peers.pods)) out.rules.push(intent(g.key, appliedTo, { pods: g.pods, cidrs: [] }, g.services));
      if (peers.cidrs.length > 0) out.rules.push(intent('cidrs', appliedTo, { pods: [], cidrs: peers.cidrs }, ports.fixed ?? []));
    });
  }
}
