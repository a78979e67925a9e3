/**
 * Node-independent policy intents: what each rule of each policy means, with selectors already resolved to
 * Pods and addresses. Plans turn these into per-Node flows; nothing here knows about OpenFlow.
 */
import type { ObjectLocation } from '../diagnostics/diagnostic.js';
import type { PodInfo } from '../model/model.js';
import type { Cidr } from '../net/ip.js';
import type { NodeRuleIntent } from './nodePolicy.js';

export type PolicyType = 'K8sNetworkPolicy' | 'AntreaNetworkPolicy' | 'AntreaClusterNetworkPolicy';
export type Direction = 'Ingress' | 'Egress';
export type RuleAction = 'Allow' | 'Drop' | 'Reject' | 'Pass';

export interface PolicyRef {
  type: PolicyType;
  namespace?: string;
  name: string;
  uid?: string;
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP' | 'ICMP';

/** One L4 match. A range is `port..endPort`; absent ports match any port of the protocol. */
export interface ServiceMatch {
  protocol: Protocol;
  port?: number;
  endPort?: number;
  srcPort?: number;
  srcEndPort?: number;
  icmpType?: number;
  icmpCode?: number;
}

/** Addresses a rule's peer side matches: Pod IPs plus CIDRs (ipBlocks already minus their `except`). */
export interface PeerSet {
  /**
   * Each Pod once, sorted by key, none in the host network (Antrea's groups leave those out: selection.ts), so no
   * two share an address; planning relies on it (compiler/plan/networkPolicy.ts peerList).
   */
  pods: readonly PodInfo[];
  cidrs: readonly Cidr[];
}

export interface RuleIntent {
  /** Stable identity from content (policy, direction, rule, split); the rule ID is derived from it. */
  key: string;
  policy: PolicyRef;
  ruleName?: string;
  direction: Direction;
  action: RuleAction;
  /** Tier priority of an Antrea-native policy; undefined for K8s NetworkPolicy. */
  tierPriority?: number;
  tierName?: string;
  policyPriority: number;
  /** Position among the policy's rules of the same direction. */
  rulePosition: number;
  /** Pods the rule protects, on every Node. */
  appliedTo: readonly PodInfo[];
  peers: PeerSet;
  /** undefined: any protocol and port. */
  services?: readonly ServiceMatch[];
  logging: boolean;
  loc: ObjectLocation;
}

/** A K8s NetworkPolicy isolates its Pods in each of its policyTypes: unmatched traffic is dropped. */
export interface IsolationIntent {
  key: string;
  policy: PolicyRef;
  direction: Direction;
  pods: readonly PodInfo[];
}

export interface PolicyIntents {
  rules: RuleIntent[];
  isolation: IsolationIntent[];
  /** ClusterNetworkPolicy rules applied to Nodes (iptables on the host); see resolve/nodePolicy.ts. */
  nodeRules?: NodeRuleIntent[];
}
