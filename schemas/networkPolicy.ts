/**
 * networking.k8s.io/v1 NetworkPolicy, and the pieces Antrea's policy kinds share with it (LabelSelector, IPBlock).
 * Types are enforced as the Kubernetes API enforces them; the value checks the API server's validation makes
 * (port ranges, peer shape, selector requirements, ipBlock CIDRs) are rules in compiler/ingest/rules/, so that
 * their messages name the exact field.
 */
import { Type, type Static } from '@sinclair/typebox';
import { IntOrString, KubeObject, Open, Protocol } from './common.js';

/** A requirement of `matchExpressions`. Values are checked against the operator by a rule (labelSelectorsValid). */
export const LabelSelectorRequirement = Type.Object(
  {
    key: Type.String(),
    operator: Type.Union([Type.Literal('In'), Type.Literal('NotIn'), Type.Literal('Exists'), Type.Literal('DoesNotExist')]),
    values: Type.Optional(Type.Array(Type.String())),
  },
  Open,
);
export type LabelSelectorRequirement = Static<typeof LabelSelectorRequirement>;

/**
 * metav1.LabelSelector. Keys and values are plain strings here; their syntax is checked by a rule, which names
 * the offending key (a schema pattern could only say "has an invalid key").
 */
export const LabelSelector = Type.Object(
  {
    matchLabels: Type.Optional(Type.Record(Type.String(), Type.String())),
    matchExpressions: Type.Optional(Type.Array(LabelSelectorRequirement)),
  },
  Open,
);
export type LabelSelector = Static<typeof LabelSelector>;

/** An ipBlock: `cidr` minus every `except`. CIDR syntax and the subset relation are checked by a rule. */
export const IPBlock = Type.Object(
  {
    cidr: Type.String(),
    except: Type.Optional(Type.Array(Type.String())),
  },
  Open,
);
export type IPBlock = Static<typeof IPBlock>;

export const K8sNetworkPolicyPort = Type.Object(
  {
    protocol: Type.Optional(Protocol),
    port: Type.Optional(IntOrString),
    endPort: Type.Optional(Type.Integer()),
  },
  Open,
);
export type K8sNetworkPolicyPort = Static<typeof K8sNetworkPolicyPort>;

export const K8sNetworkPolicyPeer = Type.Object(
  {
    podSelector: Type.Optional(LabelSelector),
    namespaceSelector: Type.Optional(LabelSelector),
    ipBlock: Type.Optional(IPBlock),
  },
  Open,
);
export type K8sNetworkPolicyPeer = Static<typeof K8sNetworkPolicyPeer>;

export const K8sIngressRule = Type.Object(
  {
    from: Type.Optional(Type.Array(K8sNetworkPolicyPeer)),
    ports: Type.Optional(Type.Array(K8sNetworkPolicyPort)),
  },
  Open,
);
export type K8sIngressRule = Static<typeof K8sIngressRule>;

export const K8sEgressRule = Type.Object(
  {
    to: Type.Optional(Type.Array(K8sNetworkPolicyPeer)),
    ports: Type.Optional(Type.Array(K8sNetworkPolicyPort)),
  },
  Open,
);
export type K8sEgressRule = Static<typeof K8sEgressRule>;

export const PolicyType = Type.Union([Type.Literal('Ingress'), Type.Literal('Egress')]);

export const NetworkPolicySpec = Type.Object(
  {
    /** Absent means `{}`: every Pod of the Namespace (the field is optional since Kubernetes 1.31). */
    podSelector: Type.Optional(LabelSelector),
    policyTypes: Type.Optional(Type.Array(PolicyType, { maxItems: 2 })),
    ingress: Type.Optional(Type.Array(K8sIngressRule)),
    egress: Type.Optional(Type.Array(K8sEgressRule)),
  },
  Open,
);
export type NetworkPolicySpec = Static<typeof NetworkPolicySpec>;

export const NetworkPolicySchema = KubeObject('networking.k8s.io/v1', 'NetworkPolicy', Type.Object({ spec: NetworkPolicySpec }, Open));
export type NetworkPolicyObject = Static<typeof NetworkPolicySchema>;
