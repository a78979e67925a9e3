/**
 * crd.antrea.io/v1beta1 policy kinds: ClusterNetworkPolicy (ACNP), NetworkPolicy (ANNP), Tier, ClusterGroup, Group.
 * Types, enums and ranges follow Antrea's CRD schemas (build/charts/antrea/crds/*.yaml). The checks Antrea's
 * admission webhook makes, and the places where one kind's CRD lacks a field another kind has, are rules in
 * compiler/ingest/rules/ (docs/reference/iptables-egress.md §6.1, §6.4, §6.5); these schemas are the union of the shapes.
 */
import { Type, type Static } from '@sinclair/typebox';
import { IntOrString, KubeObject, Open, Protocol } from './common.js';
import { IPBlock, LabelSelector } from './networkPolicy.js';

const API = 'crd.antrea.io/v1beta1';

export const NamespacedName = Type.Object({ name: Type.String(), namespace: Type.String() }, Open);
export type NamespacedName = Static<typeof NamespacedName>;

/**
 * One appliedTo entry. ACNP `spec.appliedTo` may use every field; rule-level entries have no nodeSelector, egress
 * rules no service, and ANNPs only podSelector, externalEntitySelector and group (rule crdFieldPlacement).
 */
export const AppliedTo = Type.Object(
  {
    podSelector: Type.Optional(LabelSelector),
    namespaceSelector: Type.Optional(LabelSelector),
    externalEntitySelector: Type.Optional(LabelSelector),
    group: Type.Optional(Type.String()),
    serviceAccount: Type.Optional(NamespacedName),
    service: Type.Optional(NamespacedName),
    nodeSelector: Type.Optional(LabelSelector),
  },
  Open,
);
export type AppliedTo = Static<typeof AppliedTo>;

/** `namespaces` of a peer: exactly one criterion (rule peerNamespacesValid). */
export const PeerNamespaces = Type.Object(
  {
    match: Type.Optional(Type.Literal('Self')),
    sameLabels: Type.Optional(Type.Array(Type.String())),
  },
  Open,
);
export type PeerNamespaces = Static<typeof PeerNamespaces>;

export const PeerScope = Type.Union([Type.Literal('Cluster'), Type.Literal('ClusterSet')]);

/** A from/to peer: the union of what ACNP and ANNP peers may hold; rule crdFieldPlacement keeps each kind to its own. */
export const Peer = Type.Object(
  {
    podSelector: Type.Optional(LabelSelector),
    namespaceSelector: Type.Optional(LabelSelector),
    namespaces: Type.Optional(PeerNamespaces),
    externalEntitySelector: Type.Optional(LabelSelector),
    ipBlock: Type.Optional(IPBlock),
    group: Type.Optional(Type.String()),
    fqdn: Type.Optional(Type.String()),
    serviceAccount: Type.Optional(NamespacedName),
    nodeSelector: Type.Optional(LabelSelector),
    scope: Type.Optional(PeerScope),
  },
  Open,
);
export type Peer = Static<typeof Peer>;

export const AntreaPort = Type.Object(
  {
    protocol: Type.Optional(Protocol),
    port: Type.Optional(IntOrString),
    endPort: Type.Optional(Type.Integer()),
    sourcePort: Type.Optional(Type.Integer()),
    sourceEndPort: Type.Optional(Type.Integer()),
  },
  Open,
);
export type AntreaPort = Static<typeof AntreaPort>;

export const Icmp = Type.Object(
  {
    icmpType: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
    icmpCode: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
  },
  Open,
);

/** IGMP in ingress rules matches queries only (type 0x11). */
const IngressIgmp = Type.Object(
  { igmpType: Type.Optional(Type.Literal(0x11)), groupAddress: Type.Optional(Type.String()) },
  Open,
);
/** IGMP in egress rules matches reports: v1 (0x12), v2 (0x16), v3 (0x22). */
const EgressIgmp = Type.Object(
  {
    igmpType: Type.Optional(Type.Union([Type.Literal(0x12), Type.Literal(0x16), Type.Literal(0x22)])),
    groupAddress: Type.Optional(Type.String()),
  },
  Open,
);

/** Exactly one of icmp / igmp per entry (rule protocolEntriesSingle). */
export const IngressProtocol = Type.Object({ icmp: Type.Optional(Icmp), igmp: Type.Optional(IngressIgmp) }, Open);
export const EgressProtocol = Type.Object({ icmp: Type.Optional(Icmp), igmp: Type.Optional(EgressIgmp) }, Open);
export type AntreaProtocol = Static<typeof IngressProtocol> | Static<typeof EgressProtocol>;

export const HttpMethod = Type.Union(
  ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'TRACE', 'OPTIONS', 'CONNECT', 'PATCH'].map((m) => Type.Literal(m)),
);

/** Exactly one of http / tls per entry (rule protocolEntriesSingle). */
export const L7Protocol = Type.Object(
  {
    http: Type.Optional(
      Type.Object(
        { host: Type.Optional(Type.String()), method: Type.Optional(HttpMethod), path: Type.Optional(Type.String()) },
        Open,
      ),
    ),
    tls: Type.Optional(Type.Object({ sni: Type.Optional(Type.String()) }, Open)),
  },
  Open,
);
export type L7Protocol = Static<typeof L7Protocol>;

/** `toServices` entries. ACNPs also require `namespace` (rule crdFieldPlacement). */
export const PeerService = Type.Object(
  { name: Type.String(), namespace: Type.Optional(Type.String()), scope: Type.Optional(PeerScope) },
  Open,
);
export type PeerService = Static<typeof PeerService>;

export const RuleAction = Type.Union([Type.Literal('Allow'), Type.Literal('Drop'), Type.Literal('Reject'), Type.Literal('Pass')]);
export type RuleAction = Static<typeof RuleAction>;

const LOG_LABEL = '^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$';

const ruleCommon = {
  action: RuleAction,
  name: Type.Optional(Type.String()),
  enableLogging: Type.Optional(Type.Boolean()),
  logLabel: Type.Optional(
    Type.String({
      pattern: LOG_LABEL,
      description: 'a log label (at most 63 letters, digits, "-", "_" or ".", starting and ending alphanumeric)',
    }),
  ),
  appliedTo: Type.Optional(Type.Array(AppliedTo)),
  ports: Type.Optional(Type.Array(AntreaPort)),
  l7Protocols: Type.Optional(Type.Array(L7Protocol)),
};

export const AntreaIngressRule = Type.Object(
  {
    ...ruleCommon,
    protocols: Type.Optional(Type.Array(IngressProtocol)),
    from: Type.Optional(Type.Array(Peer)),
  },
  Open,
);
export type AntreaIngressRule = Static<typeof AntreaIngressRule>;

export const AntreaEgressRule = Type.Object(
  {
    ...ruleCommon,
    protocols: Type.Optional(Type.Array(EgressProtocol)),
    to: Type.Optional(Type.Array(Peer)),
    toServices: Type.Optional(Type.Array(PeerService)),
  },
  Open,
);
export type AntreaEgressRule = Static<typeof AntreaEgressRule>;
export type AntreaRule = AntreaIngressRule | AntreaEgressRule;

export const AntreaPolicySpec = Type.Object(
  {
    /** Empty or absent: the `application` Tier (Antrea's mutating webhook fills it in). */
    tier: Type.Optional(Type.String()),
    priority: Type.Number({ minimum: 1, maximum: 10000 }),
    appliedTo: Type.Optional(Type.Array(AppliedTo)),
    ingress: Type.Optional(Type.Array(AntreaIngressRule)),
    egress: Type.Optional(Type.Array(AntreaEgressRule)),
  },
  Open,
);
export type AntreaPolicySpec = Static<typeof AntreaPolicySpec>;

export const ClusterNetworkPolicySchema = KubeObject(API, 'ClusterNetworkPolicy', Type.Object({ spec: AntreaPolicySpec }, Open));
export type ClusterNetworkPolicyObject = Static<typeof ClusterNetworkPolicySchema>;

export const AntreaNetworkPolicySchema = KubeObject(API, 'NetworkPolicy', Type.Object({ spec: AntreaPolicySpec }, Open));
export type AntreaNetworkPolicyObject = Static<typeof AntreaNetworkPolicySchema>;

export const TierSpec = Type.Object(
  {
    priority: Type.Integer({ minimum: 0, maximum: 255 }),
    description: Type.Optional(Type.String()),
  },
  Open,
);
export type TierSpec = Static<typeof TierSpec>;

export const TierSchema = KubeObject(API, 'Tier', Type.Object({ spec: TierSpec }, Open));
export type TierObject = Static<typeof TierSchema>;

/**
 * ClusterGroup and Group spec. `ipBlock` is the single-block form of crd.antrea.io/v1alpha3, still accepted and
 * treated as one entry of `ipBlocks`. A Group has no nodeSelector (rule groupSelectorsExclusive).
 */
export const GroupSpec = Type.Object(
  {
    podSelector: Type.Optional(LabelSelector),
    namespaceSelector: Type.Optional(LabelSelector),
    nodeSelector: Type.Optional(LabelSelector),
    externalEntitySelector: Type.Optional(LabelSelector),
    ipBlocks: Type.Optional(Type.Array(IPBlock)),
    ipBlock: Type.Optional(IPBlock),
    serviceReference: Type.Optional(
      Type.Object({ name: Type.Optional(Type.String()), namespace: Type.Optional(Type.String()) }, Open),
    ),
    childGroups: Type.Optional(Type.Array(Type.String())),
  },
  Open,
);
export type GroupSpec = Static<typeof GroupSpec>;

export const ClusterGroupSchema = KubeObject(API, 'ClusterGroup', Type.Object({ spec: Type.Optional(GroupSpec) }, Open));
export type ClusterGroupObject = Static<typeof ClusterGroupSchema>;

export const GroupSchema = KubeObject(API, 'Group', Type.Object({ spec: Type.Optional(GroupSpec) }, Open));
export type GroupObject = Static<typeof GroupSchema>;
