/**
 * The diagnostic catalogue. Every message the compiler can report is defined here once, with a code that
 * never changes meaning: DPC1xxx reading and schema, DPC2xxx cluster model, DPC3xxx features and config,
 * DPC4xxx planning. Call sites pick a message; they never spell codes or texts themselves.
 */

export interface MessageText {
  code: string;
  message: string;
}

const m = (code: string, message: string): MessageText => ({ code, message });

export const Msg = {
  // 1xxx: reading and schema
  unreadable: (why: string) => m('DPC1001', `cannot read input: ${why}`),
  syntax: (why: string) => m('DPC1002', `cannot parse: ${why}`),
  notAnObject: () => m('DPC1003', 'a document must be a Kubernetes object (a mapping with apiVersion and kind)'),
  missingKind: () => m('DPC1004', 'the object has no kind'),
  unknownKind: (kind: string, apiVersion: string) =>
    m('DPC1005', `unknown kind ${kind} (apiVersion ${apiVersion || 'missing'}); skipped`),
  schema: (why: string) => m('DPC1006', why),
  notCompiledKind: (kind: string) => m('DPC1007', `${kind} objects are not compiled by this version of dpc`),
  unusedConfigMap: () => m('DPC1008', 'only the antrea-config ConfigMap is read; this ConfigMap is skipped'),
  noInput: () => m('DPC1009', 'no input objects were found'),
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
  unknownNamespace: (ns: string) => m('DPC2010', `Namespace ${JSON.stringify(ns)} is not in the snapshot`),
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
  ipv6NotCompiled: () => m('DPC2021', 'IPv6 Pod CIDRs and addresses are not compiled yet; only the IPv4 family is used'),
  // 3xxx: agent config and features
  unsupportedEncapMode: (mode: string) =>
    m('DPC3001', `trafficEncapMode ${mode} is not supported by this version of dpc (only encap)`),
  unsupportedTunnelType: (t: string) => m('DPC3002', `tunnelType ${t} is not supported (geneve, vxlan or gre)`),
  featureNotCompiled: (features: string) =>
    m('DPC3003', `enabled features not compiled yet (their tables keep Antrea's miss flows): ${features}`),
  noAgentConfig: () => m('DPC3004', 'no agent config in the snapshot; Antrea defaults are used'),
  unknownFeatureGate: (gate: string) => m('DPC3005', `unknown feature gate ${gate}`),
} as const;
