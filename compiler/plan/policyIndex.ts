/**
 * Which policy rules concern which Node: built once per compile from the allocated rules, so planning a Node
 * costs what concerns it, not every rule of the cluster. Each rule's origin is made here, once, and shared by
 * every record planned for it on every Node.
 */
import type { AllocatedIsolation, AllocatedPolicies, AllocatedRule } from '../allocate/policyRules.js';
import type { AllocatedNodeRule } from '../allocate/nodeRuleIds.js';
import type { PodInfo } from '../model/model.js';
import type { Origin } from './flow.js';

export interface NodeRule {
  rule: AllocatedRule;
  origin: Origin;
  /** The rule's appliedTo Pods on this Node. */
  local: readonly PodInfo[];
}

export interface NodeIsolation {
  isolation: AllocatedIsolation;
  origin: Origin;
  local: readonly PodInfo[];
}

export interface NodePolicies {
  /** In rule key order. */
  rules: readonly NodeRule[];
  isolation: readonly NodeIsolation[];
  /** Node-policy rules applied to this Node, in chain order. */
  nodeRules?: readonly AllocatedNodeRule[];
}

export const NO_POLICIES: NodePolicies = { rules: [], isolation: [] };

export function ruleOrigin(r: AllocatedRule): Origin {
  const o = { feature: 'NetworkPolicy' as const, kind: r.policy.type, name: r.policy.name, rule: r.ruleName ?? `${r.direction.toLowerCase()}[${r.rulePosition}]` };
  return r.policy.namespace === undefined ? o : { ...o, namespace: r.policy.namespace };
}

function isolationOrigin(i: AllocatedIsolation): Origin {
  const o = { feature: 'NetworkPolicy' as const, kind: i.policy.type, name: i.policy.name, rule: `${i.direction.toLowerCase()} isolation` };
  return i.policy.namespace === undefined ? o : { ...o, namespace: i.policy.namespace };
}

function byNode(pods: readonly PodInfo[]): Map<string, PodInfo[]> {
  const m = new Map<string, PodInfo[]>();
  for (const p of pods) {
    const list = m.get(p.nodeName);
    if (list) list.push(p);
    else m.set(p.nodeName, [p]);
  }
  return m;
}

export function indexPoliciesByNode(policies: AllocatedPolicies): ReadonlyMap<string, NodePolicies> {
  const out = new Map<string, { rules: NodeRule[]; isolation: NodeIsolation[]; nodeRules: AllocatedNodeRule[] }>();
  const entry = (node: string) => {
    let e = out.get(node);
    if (!e) out.set(node, (e = { rules: [], isolation: [], nodeRules: [] }));
    return e;
  };
  // Rules whose appliedTo one selector picked share its Pod list (resolve/selection.ts caches by selector): split
  // each list once. On bench's 1,000 × 30,000 × 3,000 that is 254 k Pods to place instead of 657 k.
  const split = new Map<readonly PodInfo[], Map<string, PodInfo[]>>();
  const splitByNode = (pods: readonly PodInfo[]) => {
    let m = split.get(pods);
    if (!m) split.set(pods, (m = byNode(pods)));
    return m;
  };
  for (const rule of policies.nodeRules ?? []) for (const node of rule.nodes) entry(node).nodeRules.push(rule);
  for (const rule of policies.rules) {
    const origin = ruleOrigin(rule);
    for (const [node, local] of splitByNode(rule.appliedTo)) entry(node).rules.push({ rule, origin, local });
  }
  for (const isolation of policies.isolation) {
    const origin = isolationOrigin(isolation);
    for (const [node, local] of splitByNode(isolation.pods)) entry(node).isolation.push({ isolation, origin, local });
  }
  return out;
}

/** What no Node after this one needs: rules and isolations last applied here, and peer Pod lists last named here. */
export interface LastUses {
  rules: AllocatedRule[];
  isolation: AllocatedIsolation[];
  peerPods: (readonly PodInfo[])[];
}

/**
 * For Nodes planned in `order`, the Node after which each rule, isolation and peer Pod list is needed no more.
 * A compile forgets what its caches hold for them there (releasePlanCache, releaseBundleCache), so the caches hold
 * what the Nodes still to come use rather than every rule of the cluster: less memory on 5,000-Node snapshots,
 * and less for each of V8's full collections to mark.
 */
export function lastUses(order: readonly string[], byNode: ReadonlyMap<string, NodePolicies>): Map<string, LastUses> {
  const ruleAt = new Map<AllocatedRule, string>();
  const isolationAt = new Map<AllocatedIsolation, string>();
  const podsAt = new Map<readonly PodInfo[], string>();
  for (const node of order) {
    const policies = byNode.get(node);
    if (!policies) continue;
    for (const { rule } of policies.rules) {
      ruleAt.set(rule, node);
      podsAt.set(rule.peers.pods, node);
    }
    for (const { isolation } of policies.isolation) isolationAt.set(isolation, node);
  }
  const out = new Map<string, LastUses>();
  const at = (node: string) => {
    let e = out.get(node);
    if (!e) out.set(node, (e = { rules: [], isolation: [], peerPods: [] }));
    return e;
  };
  for (const [rule, node] of ruleAt) at(node).rules.push(rule);
  for (const [isolation, node] of isolationAt) at(node).isolation.push(isolation);
  for (const [pods, node] of podsAt) at(node).peerPods.push(pods);
  return out;
}
