/**
 * Antrea NetworkPolicy (namespaced) and ClusterNetworkPolicy → intents (docs/reference/ovs-pipeline.md §3.4).
 * Rules keep their tier, policy priority and position, from which allocate/ computes OpenFlow priorities.
 * Antrea-native rules never isolate: traffic no rule matches falls through to the next tier or table.
 */
import type { AntreaPolicySpec, AntreaRule, AppliedTo, Peer } from '../../schemas/antreaPolicy.js';
import { fieldPathText, type Diagnostic, type FieldPath, type ObjectLocation } from '../diagnostics/diagnostic.js';
import { Msg } from '../diagnostics/messages.js';
import type { ClusterModel, PodInfo } from '../model/model.js';
import { EMPTY_PEERS, groupMembers, ipBlockCidrs, MATCH_ALL_CIDRS, mergePeers, nodePeers } from './peers.js';
import type { Selection } from './selection.js';
import { hasNamedPorts, rulePorts, splitByServices, type RulePorts } from './services.js';
import type { Direction, PeerSet, PolicyIntents, PolicyRef, RuleIntent } from './types.js';

/** The baseline Tier's priority: its rules go to the default tables, below K8s NetworkPolicy. */
export const BASELINE_TIER_PRIORITY = 253;

export interface AntreaPolicyInput {
  kind: 'ClusterNetworkPolicy' | 'NetworkPolicy';
  namespace?: string;
  name: string;
  uid?: string;
  spec: AntreaPolicySpec;
  loc: ObjectLocation;
}

interface Ctx {
  model: ClusterModel;
  sel: Selection;
  input: AntreaPolicyInput;
  diags: Diagnostic[];
}

function refuse(c: Ctx, field: FieldPath, what: string): void {
  c.diags.push({
    severity: 'error',
    ...Msg.policyFeatureNotCompiled(what),
    object: { kind: c.input.kind, namespace: c.input.namespace, name: c.input.name },
    field: fieldPathText(field),
    at: { loc: c.input.loc, field },
  });
}

/** A group missing from the snapshot selects nothing, as in Antrea; ingest warned (rules/groupReferencesExist.ts). */
function groupPeers(c: Ctx, name: string): PeerSet {
  return groupMembers(c.model, c.sel, name, c.input.namespace) ?? EMPTY_PEERS;
}

function serviceAccountPods(c: Ctx, sa: { name: string; namespace: string }): readonly PodInfo[] {
  return c.model.pods.filter((p) => !p.hostNetwork && p.namespace === sa.namespace && (p.serviceAccount ?? 'default') === sa.name);
}

function resolveAppliedTo(c: Ctx, entries: readonly AppliedTo[], field: FieldPath): readonly PodInfo[] {
  const parts: PeerSet[] = [];
  entries.forEach((a, i) => {
    const at = [...field, i];
    if (a.service) return refuse(c, [...at, 'service'], 'appliedTo.service (NodePort Service policy)');
    if (a.externalEntitySelector) return refuse(c, [...at, 'externalEntitySelector'], 'externalEntitySelector');
    if (a.group) {
      parts.push({ pods: groupPeers(c, a.group).pods, cidrs: [] });
      return;
    }
    if (a.serviceAccount) {
      parts.push({ pods: serviceAccountPods(c, a.serviceAccount), cidrs: [] });
      return;
    }
    parts.push({ pods: c.sel.pods(a.podSelector, a.namespaceSelector, c.input.namespace), cidrs: [] });
  });
  return mergePeers(parts).pods;
}

/** A peer that depends on the appliedTo Pod's own Namespace (`namespaces.match: Self` or `sameLabels`). */
function isNamespaceRelative(p: Peer): boolean {
  return p.namespaces !== undefined;
}

function resolvePeer(c: Ctx, p: Peer, field: FieldPath): PeerSet {
  if (p.fqdn !== undefined) return (refuse(c, [...field, 'fqdn'], 'an fqdn peer'), EMPTY_PEERS);
  if (p.scope === 'ClusterSet') return (refuse(c, [...field, 'scope'], 'a ClusterSet-scoped peer'), EMPTY_PEERS);
  if (p.externalEntitySelector) return (refuse(c, [...field, 'externalEntitySelector'], 'externalEntitySelector'), EMPTY_PEERS);
  if (p.ipBlock) return { pods: [], cidrs: ipBlockCidrs(p.ipBlock) };
  if (p.group) return groupPeers(c, p.group);
  if (p.nodeSelector) return nodePeers(c.sel, p.nodeSelector);
  if (p.serviceAccount) return { pods: serviceAccountPods(c, p.serviceAccount), cidrs: [] };
  return { pods: c.sel.pods(p.podSelector, p.namespaceSelector, c.input.namespace), cidrs: [] };
}

/** How appliedTo Pods are partitioned for namespace-relative peers: by Namespace, or by the values of labels. */
function partitionKey(c: Ctx, p: Peer, pod: PodInfo): string | undefined {
  if (p.namespaces?.match === 'Self') return pod.namespace;
  const keys = p.namespaces?.sameLabels ?? [];
  const labels = c.model.namespaces.get(pod.namespace)?.labels ?? {};
  if (keys.some((k) => labels[k] === undefined)) return undefined; // Namespaces lacking a key match nothing
  return JSON.stringify(keys.map((k) => labels[k]));
}

function namespacesOfPartition(c: Ctx, p: Peer, key: string): string[] {
  if (p.namespaces?.match === 'Self') return [key];
  const keys = p.namespaces?.sameLabels ?? [];
  return [...c.model.namespaces.values()]
    .filter((ns) => !keys.some((k) => ns.labels[k] === undefined) && JSON.stringify(keys.map((k) => ns.labels[k])) === key)
    .map((ns) => ns.name);
}

function checkRuleSupported(c: Ctx, rule: AntreaRule, field: FieldPath): void {
  if (rule.l7Protocols && rule.l7Protocols.length > 0) refuse(c, [...field, 'l7Protocols'], 'an L7 rule (l7Protocols)');
  if ('toServices' in rule && rule.toServices && rule.toServices.length > 0) refuse(c, [...field, 'toServices'], 'a toServices peer');
  (rule.protocols ?? []).forEach((p, i) => {
    if (p.igmp) refuse(c, [...field, 'protocols', i, 'igmp'], 'an IGMP rule');
  });
}

export function resolveAntreaPolicy(
  model: ClusterModel,
  sel: Selection,
  input: AntreaPolicyInput,
  tierPriority: number,
  tierName: string,
  out: PolicyIntents,
  diags: Diagnostic[],
): void {
  const c: Ctx = { model, sel, input, diags };
  const type = input.kind === 'ClusterNetworkPolicy' ? 'AntreaClusterNetworkPolicy' : 'AntreaNetworkPolicy';
  const policy: PolicyRef = { type, name: input.name };
  if (input.namespace !== undefined) policy.namespace = input.namespace;
  if (input.uid) policy.uid = input.uid;
  const base = input.namespace === undefined ? `${type}/${input.name}` : `${type}/${input.namespace}/${input.name}`;
  const errorsBefore = diags.length;
  const policyAppliedTo = input.spec.appliedTo ? resolveAppliedTo(c, input.spec.appliedTo, ['spec', 'appliedTo']) : undefined;

  for (const direction of ['Ingress', 'Egress'] as Direction[]) {
    const listName = direction === 'Ingress' ? 'ingress' : 'egress';
    const rules: readonly AntreaRule[] = (direction === 'Ingress' ? input.spec.ingress : input.spec.egress) ?? [];
    rules.forEach((rule, position) => {
      const field = ['spec', listName, position];
      checkRuleSupported(c, rule, field);
      const appliedTo = rule.appliedTo ? resolveAppliedTo(c, rule.appliedTo, [...field, 'appliedTo']) : policyAppliedTo ?? [];
      const peerList: readonly Peer[] = (direction === 'Ingress' ? (rule as { from?: Peer[] }).from : (rule as { to?: Peer[] }).to) ?? [];
      const peerField = [...field, direction === 'Ingress' ? 'from' : 'to'];
      const fixedPeers = mergePeers(peerList.map((p, i) => (isNamespaceRelative(p) ? EMPTY_PEERS : resolvePeer(c, p, [...peerField, i]))));
      const relative = peerList.filter(isNamespaceRelative);
      const anyPeer = peerList.length === 0;
      const ports = rulePorts(rule.ports, (rule.protocols ?? []).flatMap((p) => (p.icmp ? [p.icmp] : [])));
      const ruleKey = rule.name ? `${base}/${direction}/${rule.name}` : `${base}/${direction}/${position}`;
      const make = (suffix: string, to: readonly PodInfo[], peers: PeerSet, services: RuleIntent['services']): RuleIntent => {
        const r: RuleIntent = {
          key: suffix ? `${ruleKey}/${suffix}` : ruleKey,
          policy,
          direction,
          action: rule.action,
          tierPriority,
          tierName,
          policyPriority: input.spec.priority,
          rulePosition: position,
          appliedTo: to,
          peers,
          logging: rule.enableLogging === true,
          loc: input.loc,
        };
        if (rule.name) r.ruleName = rule.name;
        if (services !== undefined) r.services = services;
        return r;
      };
      // Namespace-relative peers split the rule by the appliedTo Pods' Namespace (or label values).
      const partitions = new Map<string, { to: readonly PodInfo[]; peers: PeerSet }>();
      if (relative.length === 0) {
        partitions.set('', { to: appliedTo, peers: anyPeer ? { pods: [], cidrs: MATCH_ALL_CIDRS } : fixedPeers });
      } else {
        for (const p of relative) {
          const byKey = new Map<string, PodInfo[]>();
          for (const pod of appliedTo) {
            const key = partitionKey(c, p, pod);
            if (key === undefined) continue;
            const list = byKey.get(key) ?? [];
            list.push(pod);
            byKey.set(key, list);
          }
          // The label keys belong in the name: two sameLabels peers over different keys are different splits.
          const kind = p.namespaces?.match === 'Self' ? 'ns' : `labels${JSON.stringify(p.namespaces?.sameLabels ?? [])}`;
          for (const [key, pods] of byKey) {
            const part = `${kind}=${key}`;
            const nsPods = mergePeers(namespacesOfPartition(c, p, key).map((ns) => ({ pods: c.sel.pods(p.podSelector, undefined, ns), cidrs: [] })));
            const entry = partitions.get(part);
            // Peers with the same partition function split appliedTo the same way: only their peers add up.
            partitions.set(part, { to: entry?.to ?? pods, peers: mergePeers([entry?.peers ?? fixedPeers, nsPods]) });
          }
        }
      }
      for (const part of [...partitions.keys()].sort()) {
        const { to, peers } = partitions.get(part)!;
        emitSplits(out, ports, direction, to, peers, (suffix, t, p, s) => make([part, suffix].filter(Boolean).join('/'), t, p, s), anyPeer, sel);
      }
    });
  }
  // A refused policy produces no intents at all: never a partial enforcement.
  if (diags.length > errorsBefore) out.rules = out.rules.filter((r) => !r.key.startsWith(`${base}/`));
}

function emitSplits(
  out: PolicyIntents,
  ports: RulePorts,
  direction: Direction,
  appliedTo: readonly PodInfo[],
  peers: PeerSet,
  make: (suffix: string, to: readonly PodInfo[], peers: PeerSet, services: RuleIntent['services']) => RuleIntent,
  anyPeer: boolean,
  sel: Selection,
): void {
  if (!hasNamedPorts(ports)) {
    out.rules.push(make('', appliedTo, peers, ports.fixed));
    return;
  }
  if (direction === 'Ingress') {
    for (const g of splitByServices(ports, appliedTo)) out.rules.push(make(g.key, g.pods, peers, g.services));
    return;
  }
  const dests = anyPeer ? { pods: sel.pods(undefined, {}, undefined), cidrs: [] } : peers;
  for (const g of splitByServices(ports, dests.pods)) out.rules.push(make(g.key, appliedTo, { pods: g.pods, cidrs: [] }, g.services));
  if (dests.cidrs.length > 0) out.rules.push(make('cidrs', appliedTo, { pods: [], cidrs: dests.cidrs }, ports.fixed ?? []));
}
