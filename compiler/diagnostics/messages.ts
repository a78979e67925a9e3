/**
 * The diagnostic catalogue. Every message the compiler can report is defined here once, with a code that
 * never changes meaning. The thousands digit names the stage that reports it (messages.test.ts keeps codes
 * unique, in their stage's range, and each one reachable from the code):
 *   DPC1xxx ingest   (10xx reading and schema, 11xx–12xx policy admission rules)
 *   DPC2xxx model    (cluster objects: Nodes, Pods, Namespaces, inventories)
 *   DPC3xxx config and resolve (30xx agent config and features, 31xx policy features and references)
 *   DPC4xxx allocate (IDs and priorities)
 * Call sites pick a message; they never spell codes or texts themselves.
 */

export interface MessageText {
  code: string;
  message: string;
}

const m = (code: string, message: string): MessageText => ({ code, message });

export const Msg = {
  // 1xxx: reading and schema
  syntax: (why: string) => m('DPC1002', `cannot parse: ${why}`),
  notAnObject: () => m('DPC1003', 'a document must be a Kubernetes object (a mapping with apiVersion and kind)'),
  missingKind: () => m('DPC1004', 'the object has no kind'),
  unknownKind: (kind: string, apiVersion: string) =>
    m('DPC1005', `unknown kind ${kind} (apiVersion ${apiVersion || 'missing'}); skipped`),
  schema: (why: string) => m('DPC1006', why),
  notCompiledKind: (kind: string) => m('DPC1007', `${kind} objects are not compiled by this version of dpc`),
  unusedConfigMap: () => m('DPC1008', 'only the antrea-config ConfigMap is read; this ConfigMap is skipped'),
  noInput: () => m('DPC1009', 'no input objects were found'),
  missingApiVersion: () => m('DPC1010', 'the object has no apiVersion'),
  notServed: (kind: string, apiVersion: string, served: string) =>
    m('DPC1011', `${kind} is not served in ${apiVersion}, so the API server refuses it; ${kind} is served in ${served}`),
  // 11xx–12xx: policy admission (compiler/ingest/rules/; docs/reference/iptables-egress.md §6.1, §6.4, §6.5)
  // Tiers
  tierPriorityReserved: (p: number) =>
    m('DPC1100', `Tier priority ${p} is reserved by Antrea (251, 252, 254 and 255 are never available to Tiers)`),
  tierPriorityReservedForUpstream: (p: number) =>
    m('DPC1101', `Tier priority ${p} is reserved for upstream ClusterNetworkPolicies while the ClusterNetworkPolicy feature gate is on`),
  systemTierPriority: (name: string, p: number) =>
    m('DPC1102', `${name} is one of Antrea's system Tiers, whose priority is always ${p}`),
  tierPriorityChanged: (was: number, now: number) =>
    m('DPC1103', `a Tier's priority cannot be changed once it exists (it was ${was}, this update sets ${now})`),
  tierPriorityTaken: (p: number, other: string) => m('DPC1104', `priority ${p} is already taken by Tier ${other}`),
  tooManyTiers: (max: number) =>
    m('DPC1105', `no more than ${max} Tiers can exist, counting Antrea's 6 system Tiers; this Tier is one too many`),
  tierStillReferenced: (name: string, users: string) =>
    m('DPC1106', `Tier ${name} is removed by this update but ${users} still use it; a Tier in use cannot be deleted`),
  tierNotFound: (name: string, refused: boolean) =>
    m(
      'DPC1107',
      refused
        ? `Tier ${JSON.stringify(name)} was refused (see its own error), so no policy can use it`
        : `Tier ${JSON.stringify(name)} does not exist: it is neither a system Tier nor a Tier of the snapshot`,
    ),
  // Antrea policies
  passInBaseline: () => m('DPC1120', 'a rule of a policy in the baseline Tier cannot use the Pass action'),
  duplicateRuleName: (name: string) => m('DPC1121', `rule name ${JSON.stringify(name)} is used by another rule of this policy`),
  duplicateUnnamedRule: () =>
    m('DPC1122', 'this unnamed rule is identical to an earlier unnamed rule, so both would get the same generated name'),
  appliedToInSpecAndRules: () =>
    m('DPC1123', 'appliedTo is set on a rule while spec.appliedTo is also set; use one place or the other'),
  appliedToMissing: () => m('DPC1124', 'the policy applies to nothing: set spec.appliedTo, or appliedTo on every rule'),
  appliedToOnSomeRules: () =>
    m('DPC1125', 'this rule has no appliedTo while other rules of the policy have one; set it on every rule or on none'),
  appliedToNotAlone: (field: string) =>
    m('DPC1126', `an appliedTo entry with ${field} cannot set any other field; use a separate entry`),
  serviceAppliedToEgress: () => m('DPC1127', 'Services can be the appliedTo of ingress rules only, and this policy has egress rules'),
  serviceAppliedToMixed: () =>
    m('DPC1128', 'an appliedTo list that names a Service can only name Services; move the other entries to another policy'),
  fieldNotAllowedHere: (field: string, where: string) => m('DPC1129', `${field} cannot be used in ${where}`),
  fieldRequiredHere: (field: string, where: string) => m('DPC1130', `${field} is required in ${where}`),
  labelKeyInvalid: (key: string, why: string) => m('DPC1131', `${JSON.stringify(key)} is not a valid label key: ${why}`),
  labelValueInvalid: (value: string, why: string) => m('DPC1132', `${JSON.stringify(value)} is not a valid label value: ${why}`),
  selectorValuesRequired: (op: string) => m('DPC1133', `operator ${op} needs at least one value`),
  selectorValuesForbidden: (op: string) => m('DPC1134', `operator ${op} takes no values`),
  namespacesWithNamespaceSelector: () =>
    m('DPC1135', 'namespaces and namespaceSelector select the same thing; a peer may set only one of them'),
  namespacesCriteria: (count: number) =>
    m('DPC1136', count === 0 ? 'namespaces must set match or sameLabels' : 'namespaces may set only one of match and sameLabels'),
  ipBlockCidrRequired: () => m('DPC1137', 'an ipBlock needs a cidr'),
  ipBlockCidrInvalid: (cidr: string) =>
    m('DPC1138', `${JSON.stringify(cidr)} is not a CIDR (an IPv4 or IPv6 address, "/", a prefix length)`),
  ipBlockExceptInvalid: (except: string) => m('DPC1139', `except entry ${JSON.stringify(except)} is not a CIDR`),
  ipBlockExceptOutside: (except: string, cidr: string) =>
    m('DPC1140', `except entry ${except} must lie inside ${cidr} with a longer prefix`),
  peerNotAlone: (field: string) => m('DPC1141', `a peer with ${field} cannot set any other field; use a separate peer`),
  toServicesCombined: (field: string) => m('DPC1142', `an egress rule with toServices cannot also set ${field}`),
  servicePolicyPeer: () =>
    m('DPC1143', 'a rule that applies to Services can only select sources by ipBlock (each peer holding just an ipBlock)'),
  fqdnInvalid: (fqdn: string) =>
    m('DPC1144', `fqdn ${JSON.stringify(fqdn)} may only contain letters, digits, "-", "." and the wildcard "*"`),
  multicastAction: (action: string) => m('DPC1145', `a rule toward multicast addresses cannot use the ${action} action`),
  multicastWithUnicast: () => m('DPC1146', 'a rule cannot send to multicast and unicast ipBlocks at the same time'),
  multicastWithSelectors: () => m('DPC1147', 'a multicast ipBlock peer cannot also select workloads'),
  igmpGroupNotMulticast: (address: string) => m('DPC1148', `groupAddress ${address} is not a multicast address`),
  igmpAction: (action: string) => m('DPC1149', `an IGMP rule cannot use the ${action} action`),
  igmpCombined: (field: string) => m('DPC1150', `an IGMP rule cannot also set ${field}`),
  l7GateOff: () => m('DPC1151', 'l7Protocols need the L7NetworkPolicy feature gate, which the agent config does not enable'),
  l7Action: (action: string) => m('DPC1152', `a rule with l7Protocols must use the Allow action, not ${action}`),
  l7WithToServices: () => m('DPC1153', 'a rule with l7Protocols cannot use toServices'),
  l7HttpProtocol: (protocol: string) => m('DPC1154', `HTTP rules run over TCP; this port uses ${protocol}`),
  l7HttpWithIcmpIgmp: () => m('DPC1155', 'a rule with HTTP l7Protocols cannot also match ICMP or IGMP'),
  endPortWithoutPort: () => m('DPC1156', 'endPort needs port to be set'),
  endPortNamedPort: () => m('DPC1157', 'endPort needs a numeric port; a named port has no range'),
  endPortBelowPort: (end: number, port: number) => m('DPC1158', `endPort ${end} is below port ${port}`),
  sourceEndPortWithoutSourcePort: () => m('DPC1159', 'sourceEndPort needs sourcePort to be set'),
  sourceEndPortBelow: (end: number, start: number) => m('DPC1160', `sourceEndPort ${end} is below sourcePort ${start}`),
  portOutOfRange: (n: number) => m('DPC1161', `${n} is not a port number (1 to 65535)`),
  nodeLogLabelTooLong: (label: string) =>
    m('DPC1162', `logLabel ${JSON.stringify(label)} is longer than 12 characters; iptables logs of Node policies cut it to 12`),
  nodeAppliedToMixed: () =>
    m('DPC1163', 'a policy cannot apply to Nodes (nodeSelector) and to Pods or other workloads at the same time'),
  nodePolicyUnsupported: (field: string) => m('DPC1164', `${field} cannot be used in a policy that applies to Nodes`),
  groupNotFound: (kind: string, name: string, namespace: string | undefined, refused: boolean) =>
    m(
      'DPC1165',
      refused
        ? `${kind} ${JSON.stringify(name)} was refused (see its own error); the policy is compiled with it empty, as Antrea treats a group that does not exist`
        : `${kind} ${JSON.stringify(name)} does not exist in the snapshot${namespace ? ` (in Namespace ${namespace})` : ''}; the policy is compiled with it empty, as Antrea does until the group is created`,
    ),
  duplicatePolicyObject: () => m('DPC1166', 'defined more than once; every copy is left out'),
  protocolEntryKinds: (a: string, b: string) => m('DPC1167', `each entry must set exactly one of ${a} and ${b}`),
  groupAddressInvalid: (address: string) => m('DPC1168', `groupAddress ${JSON.stringify(address)} is not an IP address`),
  unknownField: (field: string) =>
    m('DPC1169', `unknown field ${JSON.stringify(field)} is ignored (Kubernetes drops fields its schema does not have)`),
  // Kubernetes NetworkPolicy
  k8sPeerEmpty: () => m('DPC1180', 'a peer must set podSelector, namespaceSelector or ipBlock'),
  k8sPeerIpBlockWithSelector: () => m('DPC1181', 'a peer with ipBlock cannot also set podSelector or namespaceSelector'),
  portNameInvalid: (name: string, why: string) => m('DPC1182', `${JSON.stringify(name)} is not a valid port name: ${why}`),
  // Groups
  groupFieldsExclusive: (kind: string, fields: string) =>
    m('DPC1200', `a ${kind} selects members in one way only, but this one sets ${fields}; only namespaceSelector may accompany podSelector or externalEntitySelector`),
  groupIpBlocksMixed: () => m('DPC1201', 'ipBlocks cannot mix multicast and unicast CIDRs'),
  childGroupSelf: (name: string) => m('DPC1202', `${name} lists itself among its childGroups`),
  childGroupHasParents: (parents: string) =>
    m('DPC1203', `groups nest one level only: this group is itself a child of ${parents}, so it cannot have childGroups`),
  childGroupHasChildren: (child: string) =>
    m('DPC1204', `groups nest one level only: ${child} has childGroups of its own, so it cannot be a child`),
  childGroupMissing: (kind: string, name: string) =>
    m('DPC1205', `child ${kind} ${JSON.stringify(name)} does not exist; it counts as empty until it is created`),
  // TrafficControl (schema only: Antrea has no admission webhook for it; reference/iptables-egress.md §6.6)
  tcShapesMixed: () =>
    m('DPC1230', "mixes the released shape (targetPort, returnPort) with the proposal's destination; a TrafficControl uses one or the other"),
  tcTargetMissing: () => m('DPC1231', "is required (or, in the proposal's shape, spec.destination)"),
  tcPortKinds: (kinds: string, found: number) =>
    m('DPC1232', found === 0 ? `must set one of ${kinds}` : `must set exactly one of ${kinds}, not ${found}`),
  tcReturnPortErspan: () => m('DPC1233', 'an ERSPAN tunnel cannot be a return port (the CRD allows ovsInternal, device, geneve, vxlan and gre)'),
  tcReturnWithMirror: () => m('DPC1234', 'a return port is used only with the Redirect action, and this TrafficControl mirrors'),
  tcRemoteIPInvalid: (ip: string) => m('DPC1235', `${JSON.stringify(ip)} is not an IPv4 or IPv6 address`),
  tcVniRange: (n: number) => m('DPC1236', `tunnel ID ${n} is not a VNI (0 to 16777215)`),
  tcPortConflict: (port: string, other: string) =>
    m('DPC1237', `OVS port ${port} is also a port of ${other}, configured differently; one port has one configuration`),
  // 2xxx: cluster model
  duplicate: () => m('DPC2001', 'duplicate object: defined more than once'),
  unknownNode: (node: string) => m('DPC2002', `Pod is scheduled on Node ${JSON.stringify(node)}, which is not in the snapshot`),
  podIPOutsideCIDR: (ip: string, node: string, cidrs: string) =>
    m('DPC2003', `Pod IP ${ip} is outside Node ${node}'s Pod CIDR ${cidrs}`),
  overlappingCIDR: (a: string, b: string, other: string) =>
    m('DPC2004', `Pod CIDR ${a} overlaps Pod CIDR ${b} of Node ${other}`),
  badIP: (value: string) => m('DPC2005', `${JSON.stringify(value)} is not a valid IP address`),
  badCIDR: (value: string) => m('DPC2006', `${JSON.stringify(value)} is not a valid CIDR`),
  noPodCIDR: () => m('DPC2007', 'Node has no Pod CIDR (spec.podCIDR or spec.podCIDRs)'),
  noInternalIP: () => m('DPC2008', 'Node has no InternalIP address in status.addresses'),
  duplicateIP: (ip: string, other: string) => m('DPC2009', `IP ${ip} is already used by ${other}`),
  unknownNamespace: (ns: string) =>
    m('DPC2010', `Namespace ${JSON.stringify(ns)} is not in the snapshot; the API server refuses objects in a Namespace that does not exist`),
  podWithoutIP: () => m('DPC2011', 'Pod has no IP (status.podIP); it gets no port and no flows'),
  podNotScheduled: () => m('DPC2012', 'Pod is not scheduled (spec.nodeName is empty); it gets no flows'),
  inventoryUnknownNode: (node: string) => m('DPC2013', `NodeInventory names Node ${JSON.stringify(node)}, which is not in the snapshot`),
  inventoryUnknownPod: (pod: string) => m('DPC2014', `NodeInventory lists Pod ${pod}, which is not a Pod of this Node`),
  ofportConflict: (port: number, other: string) => m('DPC2015', `ofport ${port} is already used by ${other}`),
  reservedOfport: (port: number) => m('DPC2016', `ofport ${port} is reserved for Antrea's tunnel/gateway/uplink ports`),
  duplicateConfig: () => m('DPC2017', 'more than one agent config in the snapshot'),
  hostNetworkIPNotNode: (ip: string) => m('DPC2018', `host-network Pod IP ${ip} is not an address of its Node`),
  portNameConflict: (port: string, other: string) => m('DPC2019', `OVS port name ${port} is already used by ${other}`),
  podCIDRMismatch: (a: string, b: string) => m('DPC2020', `spec.podCIDR ${a} is not the first entry of spec.podCIDRs (${b})`),
  nodeNotInSnapshot: (node: string) => m('DPC2022', `no Node named ${JSON.stringify(node)} in the snapshot`),
  ipv6NotCompiled: () =>
    m('DPC2021', 'IPv6 forwarding is not compiled yet: the bundle forwards IPv4 only (policy rules keep their IPv6 flows where the Node also has an IPv6 address)'),
  podCIDRsPerFamily: (family: number, a: string, b: string) =>
    m('DPC2023', `spec.podCIDRs may hold at most one CIDR per IP family, and ${a} and ${b} are both IPv${family}`),
  duplicateControllerConfig: () => m('DPC2024', 'more than one controller config (antrea-controller.conf) in the snapshot'),
  // 3xxx: agent config and features
  unsupportedEncapMode: (mode: string) =>
    m('DPC3001', `trafficEncapMode ${mode} is not supported by this version of dpc (only encap)`),
  unsupportedTunnelType: (t: string) => m('DPC3002', `tunnelType ${t} is not supported (geneve, vxlan or gre)`),
  featureNotCompiled: (features: string) =>
    m('DPC3003', `enabled features not compiled yet, and what the bundles lack for each: ${features}`),
  noAgentConfig: () => m('DPC3004', 'no agent config in the snapshot; Antrea defaults are used'),
  unknownFeatureGate: (gate: string) => m('DPC3005', `unknown feature gate ${gate}`),
  upstreamPolicyEnforced: (kind: string, gate: string) =>
    m(
      'DPC3006',
      `${kind} (policy.networking.k8s.io) is enforced by this cluster, whose controller config enables the ${gate} feature gate, but dpc does not compile it; the snapshot is refused rather than compiled without it`,
    ),
  gateNeedsAntreaPolicy: (gate: string) =>
    m('DPC3008', `the ${gate} feature gate needs the AntreaPolicy feature gate, which this config turns off; antrea-controller would not start`),
  upstreamPolicySkipped: (kind: string, gate: string, configGiven: boolean) =>
    m(
      'DPC3007',
      `${kind} (policy.networking.k8s.io) is skipped: Antrea enforces it only with the controller's ${gate} feature gate, which ${
        configGiven ? 'the controller config leaves off' : 'is off by default (give antrea-controller.conf if the cluster turns it on)'
      }`,
    ),
  trafficControlGateOff: () =>
    m('DPC3030', 'the TrafficControl feature gate is off in the agent config, so this TrafficControl is not compiled'),
  // 13xx: Egress and ExternalIPPool admission (docs/reference/iptables-egress.md §6.2–6.3)
  egressIPSource: () =>
    m('DPC1300', 'set egressIP and/or externalIPPool, or egressIPs and/or externalIPPools; exactly one of these two groups'),
  egressIPFormat: (ip: string) => m('DPC1301', `${JSON.stringify(ip)} is not an IPv4 or IPv6 address`),
  egressIPsNotSupported: () => m('DPC1302', 'spec.egressIPs is not supported yet'),
  egressExternalIPPoolsNotSupported: () => m('DPC1303', 'spec.externalIPPools is not supported yet'),
  egressBandwidthInvalid: (what: 'Rate' | 'Burst', value: string, egress: string) =>
    m('DPC1304', `${what} ${value} in Egress ${egress} is invalid: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`),
  egressPoolMissing: (pool: string) => m('DPC1305', `ExternalIPPool ${pool} does not exist`),
  egressIPOutsidePool: (ip: string) => m('DPC1306', `IP ${ip} is not within the IP range`),
  ipRangeShape: () => m('DPC1310', 'an IP range sets either cidr, or start and end'),
  ipRangeCIDRInvalid: (cidr: string) => m('DPC1311', `invalid cidr ${cidr}`),
  ipRangeStartInvalid: (ip: string) => m('DPC1312', `invalid start ip address ${ip}`),
  ipRangeEndInvalid: (ip: string) => m('DPC1313', `invalid end ip address ${ip}`),
  ipRangeFamilies: (start: string, end: string) =>
    m('DPC1314', `range start ${start} and range end ${end} should belong to same family`),
  ipRangeReversed: (start: string, end: string) => m('DPC1315', `range start ${start} should not be greater than range end ${end}`),
  subnetGatewayInvalid: (gw: string) => m('DPC1316', `invalid gateway address ${gw}`),
  subnetPrefixInvalid: (n: number) => m('DPC1317', `invalid prefixLength ${n}`),
  ipRangeOutsideSubnet: (range: string, gw: string, n: number) => m('DPC1318', `${range} must be a strict subset of the subnet ${gw}/${n}`),
  ipRangesOverlap: (a: string, b: string) => m('DPC1319', `${a} overlaps with ${b}`),
  ipRangesChanged: (ranges: string) => m('DPC1320', `existing IPRanges [${ranges}] cannot be updated or deleted`),
  // 33xx: Egress settings (docs/reference/iptables-egress.md §5.2)
  badEgressExceptCIDR: (cidr: string) => m('DPC3300', `Egress Except CIDR ${cidr} is invalid`),
  tooManyEgressIPsPerNode: (n: number, max: number) =>
    m('DPC3301', `maxEgressIPsPerNode ${n} cannot be greater than ${max}`),
  egressIPNotAllocated: (ip: string, pool: string) =>
    m('DPC3310', `IP ${ip} cannot be allocated from ExternalIPPool ${pool} (reserved, outside its ranges or taken by another Egress); Antrea still uses it but does not track it in the pool`),
  egressStatusUnknownNode: (node: string) => m('DPC3311', `status.egressNode names Node ${node}, which is not in the snapshot; dpc's own choice is used`),
  egressStatusDiffers: (status: string, mine: string) =>
    m('DPC3312', `the cluster placed this Egress on ${status} (status.egressNode), dpc would choose ${mine}; the cluster's choice is used`),
  egressUnplaced: (why: string) => m('DPC3313', `this Egress SNATs nothing: ${why}`),
  egressPodsShadowed: (n: number, pods: string) =>
    m('DPC3314', `${n} Pod(s) it selects already use an earlier Egress (by creation time, then name) and do not use this one: ${pods}`),
  egressIPv6NotCompiled: (ip: string) =>
    m('DPC3316', `Egress IP ${ip} is IPv6, and dpc compiles the IPv4 pipeline only: no flow, SNAT rule or address is written for it`),
  egressNeedsTransportInterface: (pool: string) =>
    m('DPC3315', `ExternalIPPool ${pool} has subnetInfo: its routes and VLAN device need the Node's transport interface, which the agent config must name (transportInterface)`),
  // 34xx: flow exporter settings (docs/reference/iptables-egress.md §5.2)
  badFlowCollectorAddr: (addr: string, why: string) => m('DPC3400', `flowCollectorAddr ${JSON.stringify(addr)} is invalid: ${why}; antrea-agent would not start`),
  badFlowExporterDuration: (field: string, text: string, poll: boolean) =>
    m('DPC3401', `${field} ${JSON.stringify(text)} is not a Go duration${poll ? ' of at least 1s' : ''}; antrea-agent would not start`),
  flowCollectorProtoNotExported: (proto: string) =>
    m('DPC3402', `the collector transport is ${proto}, which dpc's exporter does not speak (tcp or udp); the bundles carry the settings, but \`dpc agent\` exports nothing`),
  policyFeatureNotCompiled: (what: string) =>
    m('DPC3101', `${what} is not compiled by this version of dpc; the policy is refused rather than enforced partially`),
  unknownTier: (tier: string) => m('DPC3102', `Tier ${JSON.stringify(tier)} does not exist`),
  antreaPolicyDisabled: () => m('DPC3105', 'Antrea-native policies need the AntreaPolicy feature gate, which the agent config turns off'),
  // Node policies (iptables on the Node; docs/reference/iptables-egress.md §1)
  nodePolicyGateOff: () =>
    m('DPC3190', 'this policy applies to Nodes, but the agent config leaves the NodeNetworkPolicy feature gate off; it is not compiled'),
  nodeRuleCommentTooLong: (length: number) =>
    m('DPC3191', `the rule's iptables comment (rule name and policy name) would be ${length} bytes; the kernel allows 255`),
  // 4xxx: allocate
  priorityExhausted: (table: string) =>
    m('DPC4001', `too many distinct policy priorities for table ${table}: OpenFlow priorities are exhausted`),
} as const;
