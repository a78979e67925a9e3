/**
 * ClusterNetworkPolicies applied to Nodes → Node-independent intents (docs/reference/iptables-egress.md §1): for each
 * rule, the Nodes it applies to, its peers as one address set (Pod IPs, Node addresses as Antrea expands them,
 * ipBlocks minus their except, Groups), its services in the order written (ports, then protocols), its action and
 * logging. Ordering keys (tier priority, policy priority, rule position) are kept; plan/ orders the chain.
 */
import type { AntreaRule, AppliedTo, Peer } from '../../schemas/antreaPolicy.js';
import type { Diagnostic, ObjectLocation } from '../diagnostics/diagnostic.js';
import { Msg } from '../diagnostics/messages.js';
import { generatedRuleName } from '../ingest/rules/ruleNamesUnique.js';
import type { ClusterModel, NodeInfo } from '../model/model.js';
import { compareCidr, hostCidr, type Cidr } from '../net/ip.js';
import type { AntreaPolicyInput } from './antreaPolicy.js';
import { groupMembers, ipBlockCidrs, MATCH_ALL_CIDRS, nodePeers } from './peers.js';
import type { Selection } from './selection.js';
import { rulePorts } from './services.js';
import type { Direction, PolicyRef, RuleAction, ServiceMatch } from './types.js';

export interface NodeRuleIntent {
  /** `AntreaClusterNetworkPolicy/<name>/<Direction>/<rule name>`: the rule ID derives from it. */
  key: string;
  policy: PolicyRef;
  /** As written, or as Antrea's webhook names an unnamed rule. */
  ruleName: string;
  direction: Direction;
  action: RuleAction;
  tierPriority: number;
  tierName: string;
  policyPriority: number;
  rulePosition: number;
  /** Names of the Nodes the rule applies to, sorted. */
  nodes: readonly string[];
  /** Peer addresses, sorted, without duplicates; `0.0.0.0/0` / `::/0` stand for any address of that family. */
  addresses: readonly Cidr[];
  /** In the order written; undefined: any protocol and port. */
  services?: readonly ServiceMatch[];
  logging: boolean;
  logLabel?: string;
  loc: ObjectLocation;
}

/** Antrea's comment on the line that carries a rule's action (reference §1.3 item 6). */
export function nodeRuleComment(r: Pick<NodeRuleIntent, 'ruleName' | 'policy'>): string {
  return `Antrea: for rule ${r.ruleName}, policy ${r.policy.type}:${r.policy.name}`;
}

const KERNEL_COMMENT_MAX = 255;

function uniqueSorted(cidrs: Iterable<Cidr>): Cidr[] {
  const seen = new Map<string, Cidr>();
  for (const c of cidrs) seen.set(`${c.family}/${c.base}/${c.prefix}`, c);
  return [...seen.values()].sort(compareCidr);
}

function appliedNodes(model: ClusterModel, sel: Selection, entries: readonly AppliedTo[]): NodeInfo[] {
  const out = new Map<string, NodeInfo>();
  for (const a of entries) {
    const selector = a.nodeSelector ?? (a.group ? model.clusterGroups.get(a.group)?.obj.spec?.nodeSelector ?? undefined : undefined);
    if (selector) for (const n of sel.nodes(selector)) out.set(n.name, n);
  }
  return [...out.values()];
}

function peerAddresses(model: ClusterModel, sel: Selection, p: Peer): Cidr[] {
  if (p.ipBlock) return ipBlockCidrs(p.ipBlock);
  if (p.nodeSelector) return [...nodePeers(sel, p.nodeSelector).cidrs];
  const set = p.group
    ? groupMembers(model, sel, p.group)
    : p.serviceAccount
      ? { pods: model.pods.filter((x) => !x.hostNetwork && x.namespace === p.serviceAccount!.namespace && (x.serviceAccount ?? 'default') === p.serviceAccount!.name), cidrs: [] }
      : { pods: sel.pods(p.podSelector, p.namespaceSelector, undefined), cidrs: [] };
  if (!set) return []; // an unknown group is refused at admission
  return [...set.pods.map((pod) => hostCidr(pod.ip)), ...set.cidrs];
}

/**
 * Resolves the Node policies among `inputs` (all ClusterNetworkPolicies applied to Nodes). With the gate off each
 * gets a warning naming it and compiles to nothing, as Antrea's agent ignores them.
 */
export function resolveNodePolicies(
  model: ClusterModel,
  sel: Selection,
  inputs: readonly { input: AntreaPolicyInput; tierPriority: number; tierName: string }[],
  diags: Diagnostic[],
): NodeRuleIntent[] {
  const out: NodeRuleIntent[] = [];
  for (const { input, tierPriority, tierName } of inputs) {
    const object = { kind: input.kind, name: input.name };
    if (!model.config.features.nodeNetworkPolicy) {
      diags.push({ severity: 'warning', ...Msg.nodePolicyGateOff(), object, at: { loc: input.loc } });
      continue;
    }
    const policy: PolicyRef = { type: 'AntreaClusterNetworkPolicy', name: input.name };
    if (input.uid) policy.uid = input.uid;
    const specNodes = input.spec.appliedTo ? appliedNodes(model, sel, input.spec.appliedTo) : [];
    const before = out.length;
    let refused = false;
    for (const direction of ['Ingress', 'Egress'] as Direction[]) {
      const list = direction === 'Ingress' ? 'ingress' : 'egress';
      const rules: readonly AntreaRule[] = (direction === 'Ingress' ? input.spec.ingress : input.spec.egress) ?? [];
      rules.forEach((rule, position) => {
        const ruleName = rule.name || generatedRuleName(list, rule);
        const comment = nodeRuleComment({ ruleName, policy });
        const length = Buffer.byteLength(comment, 'utf8');
        if (length > KERNEL_COMMENT_MAX) {
          refused = true;
          diags.push({ severity: 'error', ...Msg.nodeRuleCommentTooLong(length), object, field: `spec.${list}[${position}].name`, at: { loc: input.loc, field: ['spec', list, position, 'name'] } });
          return;
        }
        const nodes = rule.appliedTo ? appliedNodes(model, sel, rule.appliedTo) : specNodes;
        const peers: readonly Peer[] = (direction === 'Ingress' ? (rule as { from?: Peer[] }).from : (rule as { to?: Peer[] }).to) ?? [];
        const addresses = peers.length === 0 ? [...MATCH_ALL_CIDRS] : uniqueSorted(peers.flatMap((p) => peerAddresses(model, sel, p)));
        const ports = rulePorts(rule.ports, (rule.protocols ?? []).flatMap((p) => (p.icmp ? [p.icmp] : [])));
        const r: NodeRuleIntent = {
          key: `${policy.type}/${input.name}/${direction}/${ruleName}`,
          policy,
          ruleName,
          direction,
          action: rule.action,
          tierPriority,
          tierName,
          policyPriority: input.spec.priority,
          rulePosition: position,
          nodes: nodes.map((n) => n.name).sort(),
          addresses,
          logging: rule.enableLogging === true,
          loc: input.loc,
        };
        if (ports.fixed !== undefined) r.services = ports.fixed;
        if (rule.logLabel) r.logLabel = rule.logLabel;
        out.push(r);
      });
    }
    // A refused policy compiles to nothing: never a partial enforcement.
    if (refused) out.length = before;
  }
  return out;
}
