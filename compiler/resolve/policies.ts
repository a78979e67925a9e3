/**
 * All policies of the snapshot → allocated rules: intents with their rule ID, table and OpenFlow priority.
 * This is cluster-wide work done once; per-Node plans only filter it by local Pods.
 */
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { Msg } from '../diagnostics/messages.js';
import type { ClusterModel, PodInfo } from '../model/model.js';
import type { TableName } from '../plan/pipeline.js';
import { allocateRuleIds } from '../allocate/ruleIds.js';
import { assignPriorities, isBaseline, priorityOf, type PrioritySlot } from '../allocate/priorities.js';
import { resolveAntreaPolicy, type AntreaPolicyInput } from './antreaPolicy.js';
import { SYSTEM_TIERS } from '../ingest/rules/context.js';
import { effectiveTierName } from '../ingest/rules/tiers.js';
import { resolveK8sNetworkPolicy } from './k8sNetworkPolicy.js';
import { createSelection } from './selection.js';
import type { IsolationIntent, PolicyIntents, RuleIntent } from './types.js';
import { resolveNodePolicies, type NodeRuleIntent } from './nodePolicy.js';
import { allocateNodeRuleIds } from '../allocate/nodeRuleIds.js';
import { specAppliesToNodes } from '../ingest/rules/walk.js';

export interface AllocatedRule extends RuleIntent {
  id: number;
  table: TableName;
  priority: number;
}

export interface AllocatedIsolation extends IsolationIntent {
  id: number;
}

export interface ResolvedPolicies {
  rules: AllocatedRule[];
  isolation: AllocatedIsolation[];
  /**
   * Per Node, the rules and isolations whose Pods include one of that Node's, each with those local Pods, in
   * rule order. Built once, so planning a Node costs what concerns it, not every rule of the cluster.
   */
  byNode: ReadonlyMap<string, NodePolicies>;
  /** Node policies (iptables), per Node in chain order; absent Nodes have none. */
  nodeRules: ReadonlyMap<string, readonly AllocatedNodeRule[]>;
  /** Whether the NodeNetworkPolicy gate is on: Nodes then get Antrea's static host chains even without rules. */
  nodePolicyEnabled: boolean;
}

export interface AllocatedNodeRule extends NodeRuleIntent {
  /** 16 characters [0-9A-F]: the rule's chain and ipset names. */
  id: string;
}

/** Chain order (reference §1.4): tier priority, policy priority, rule position; ties by policy name, then key. */
function compareNodeRules(a: NodeRuleIntent, b: NodeRuleIntent): number {
  return (
    a.tierPriority - b.tierPriority ||
    a.policyPriority - b.policyPriority ||
    a.rulePosition - b.rulePosition ||
    (a.policy.name < b.policy.name ? -1 : a.policy.name > b.policy.name ? 1 : 0) ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  );
}

function nodeRulesByNode(intents: readonly NodeRuleIntent[]): Map<string, AllocatedNodeRule[]> {
  const ids = allocateNodeRuleIds(intents.map((r) => r.key));
  const out = new Map<string, AllocatedNodeRule[]>();
  for (const r of [...intents].sort(compareNodeRules)) {
    const allocated: AllocatedNodeRule = { ...r, id: ids.get(r.key)! };
    for (const n of r.nodes) {
      const list = out.get(n);
      if (list) list.push(allocated);
      else out.set(n, [allocated]);
    }
  }
  return out;
}

export interface NodePolicies {
  rules: { rule: AllocatedRule; local: readonly PodInfo[] }[];
  isolation: { isolation: AllocatedIsolation; local: readonly PodInfo[] }[];
}

function indexByNode(rules: readonly AllocatedRule[], isolation: readonly AllocatedIsolation[]): Map<string, NodePolicies> {
  const out = new Map<string, NodePolicies>();
  const entry = (node: string) => {
    let e = out.get(node);
    if (!e) {
      e = { rules: [], isolation: [] };
      out.set(node, e);
    }
    return e;
  };
  const group = (pods: readonly PodInfo[]) => {
    const m = new Map<string, PodInfo[]>();
    for (const p of pods) {
      const list = m.get(p.nodeName) ?? [];
      list.push(p);
      m.set(p.nodeName, list);
    }
    return m;
  };
  for (const rule of rules) for (const [node, local] of group(rule.appliedTo)) entry(node).rules.push({ rule, local });
  for (const iso of isolation) for (const [node, local] of group(iso.pods)) entry(node).isolation.push({ isolation: iso, local });
  return out;
}

/** Conjunctive match flows of K8s rules sit at 200 and their action flows at 190 (reference §3.3). */
export const K8S_RULE_PRIORITY = 200;

function ruleTable(r: RuleIntent): TableName {
  const ingress = r.direction === 'Ingress';
  if (r.tierPriority === undefined) return ingress ? 'IngressRule' : 'EgressRule';
  if (isBaseline(r.tierPriority)) return ingress ? 'IngressDefaultRule' : 'EgressDefaultRule';
  return ingress ? 'AntreaPolicyIngressRule' : 'AntreaPolicyEgressRule';
}

function slot(r: RuleIntent): PrioritySlot {
  return { tier: r.tierPriority!, policy: r.policyPriority, rule: r.rulePosition };
}

export function resolvePolicies(model: ClusterModel): { resolved: ResolvedPolicies; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const sel = createSelection(model);
  const intents: PolicyIntents = { rules: [], isolation: [] };
  for (const np of model.k8sNetworkPolicies) resolveK8sNetworkPolicy(np, sel, intents);

  const tiers = new Map(SYSTEM_TIERS);
  for (const t of model.tiers) tiers.set(t.obj.metadata.name, t.obj.spec.priority);
  const antrea: AntreaPolicyInput[] = [
    ...model.clusterNetworkPolicies.map((p) => ({ kind: 'ClusterNetworkPolicy' as const, name: p.obj.metadata.name, uid: p.obj.metadata.uid, spec: p.obj.spec, loc: p.loc })),
    ...model.antreaNetworkPolicies.map((p) => ({
      kind: 'NetworkPolicy' as const,
      namespace: p.obj.metadata.namespace ?? 'default',
      name: p.obj.metadata.name,
      uid: p.obj.metadata.uid,
      spec: p.obj.spec,
      loc: p.loc,
    })),
  ];
  const selectsNodes = (name: string): boolean => !!model.clusterGroups.get(name)?.obj.spec?.nodeSelector;
  const nodeInputs: Parameters<typeof resolveNodePolicies>[2][number][] = [];
  for (const p of antrea) {
    const object = { kind: p.kind, namespace: p.namespace, name: p.name };
    if (!model.config.features.antreaPolicy) {
      diagnostics.push({ severity: 'error', ...Msg.antreaPolicyDisabled(), object, at: { loc: p.loc } });
      continue;
    }
    const tierName = effectiveTierName(p.spec.tier);
    const tierPriority = tiers.get(tierName);
    if (tierPriority === undefined) {
      diagnostics.push({ severity: 'error', ...Msg.unknownTier(tierName), object, field: 'spec.tier', at: { loc: p.loc, field: ['spec', 'tier'] } });
      continue;
    }
    const input: AntreaPolicyInput = { ...p };
    if (!p.uid) delete input.uid;
    if (p.kind === 'ClusterNetworkPolicy' && specAppliesToNodes(p.spec, selectsNodes)) {
      nodeInputs.push({ input, tierPriority, tierName });
      continue;
    }
    resolveAntreaPolicy(model, sel, input, tierPriority, tierName, intents, diagnostics);
  }

  const nodeIntents = resolveNodePolicies(model, sel, nodeInputs, diagnostics);
  const nodeRules = nodeRulesByNode(nodeIntents);
  const nodePolicyEnabled = model.config.features.nodeNetworkPolicy;
  const ids = allocateRuleIds([...intents.rules.map((r) => r.key), ...intents.isolation.map((i) => i.key)]);
  const native = intents.rules.filter((r) => r.tierPriority !== undefined);
  const multi = assignPriorities(native.filter((r) => !isBaseline(r.tierPriority!)).map(slot));
  const baseline = assignPriorities(native.filter((r) => isBaseline(r.tierPriority!)).map(slot));
  if (!multi || !baseline) {
    diagnostics.push({ severity: 'error', ...Msg.priorityExhausted(!multi ? 'AntreaPolicy*Rule' : '*DefaultRule') });
    return { resolved: { rules: [], isolation: [], byNode: new Map(), nodeRules: new Map(), nodePolicyEnabled }, diagnostics };
  }
  const rules: AllocatedRule[] = intents.rules.map((r) => ({
    ...r,
    id: ids.get(r.key)!,
    table: ruleTable(r),
    priority: r.tierPriority === undefined ? K8S_RULE_PRIORITY : priorityOf(isBaseline(r.tierPriority) ? baseline : multi, slot(r)),
  }));
  rules.sort((a, b) => (a.key < b.key ? -1 : 1));
  const isolation = intents.isolation.map((i) => ({ ...i, id: ids.get(i.key)! })).sort((a, b) => (a.key < b.key ? -1 : 1));
  return { resolved: { rules, isolation, byNode: indexByNode(rules, isolation), nodeRules, nodePolicyEnabled }, diagnostics };
}
