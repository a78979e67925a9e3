/**
 * The agent config, normalized: Antrea's defaults filled in and feature gates turned into the feature set that
 * decides which OVS tables exist (docs/reference/ovs-pipeline.md §1.1).
 */
import type { AgentConfig } from '../../schemas/agentConfig.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { configSource } from './configSource.js';
import { Msg } from '../diagnostics/messages.js';
import type { LocatedAgentConfig } from '../ingest/ingest.js';
import { parseCidr, type Cidr } from '../net/ip.js';
import { normalizeFlowExporter, type FlowExporterConfig } from './flowExporterConfig.js';

export type TunnelType = 'geneve' | 'vxlan' | 'gre';

export interface Features {
  antreaProxy: boolean;
  proxyAll: boolean;
  loadBalancerModeDSR: boolean;
  antreaPolicy: boolean;
  egress: boolean;
  egressTrafficShaping: boolean;
  trafficControl: boolean;
  l7NetworkPolicy: boolean;
  multicast: boolean;
  /** The FlowExporter gate (Antrea's enableDenyTracking): deny flows also go to the controller. */
  flowExporter: boolean;
  /** Node policies (ClusterNetworkPolicy applied to Nodes), enforced with iptables and ipsets on the host. */
  nodeNetworkPolicy: boolean;
  ipv4: boolean;
  ipv6: boolean;
}

export interface DataplaneConfig {
  bridge: string;
  gatewayName: string;
  tunnelName: string;
  tunnelType: TunnelType;
  /** Destination UDP port of the tunnel when the config sets one; OVS's default otherwise. */
  tunnelPort?: number;
  features: Features;
  packetInRate: number;
  egress: EgressConfig;
  flowExporter: FlowExporterConfig;
  /** `--random-fully` on the Pod masquerade rule. */
  snatFullyRandomPorts: boolean;
  /** The Node's transport interface by name, when the config names it (Egress VLANs and subnet routes use it). */
  transportInterface?: string;
  /** Gates the config turned on explicitly, for the report of what is not compiled yet. */
  featureGates: Readonly<Record<string, boolean>>;
}

/** The agent's `egress.*` settings with Antrea's defaults (cmd/antrea-agent/options.go). */
export interface EgressConfig {
  /** Destinations never SNATed by an Egress, masked as Go's net.ParseCIDR leaves them. */
  exceptCIDRs: readonly Cidr[];
  /** The default capacity of a Node; its `node.antrea.io/max-egress-ips` annotation overrides it. */
  maxEgressIPsPerNode: number;
  snatFullyRandomPorts: boolean;
  /** Subnets other than the Node's (ExternalIPPool subnetInfo) are honoured only with EgressSeparateSubnet. */
  separateSubnet: boolean;
}

/** Antrea's hard limit on Egress IPs per Node: SNAT marks are 8 bits. */
export const MAX_EGRESS_IPS_PER_NODE = 255;

/** Antrea v2 feature gates and their defaults (pkg/features/antrea_features.go). */
const GATE_DEFAULTS: Readonly<Record<string, boolean>> = {
  AntreaPolicy: true,
  AntreaProxy: true,
  Egress: true,
  EndpointSlice: true,
  TopologyAwareHints: true,
  ServiceTrafficDistribution: true,
  Traceflow: true,
  NodePortLocal: true,
  Multicast: true,
  AntreaIPAM: false,
  FlowExporter: false,
  NetworkPolicyStats: true,
  Multicluster: false,
  SecondaryNetwork: false,
  ServiceExternalIP: false,
  TrafficControl: false,
  IPsecCertAuth: false,
  ExternalNode: false,
  SupportBundleCollection: false,
  L7NetworkPolicy: false,
  AdminNetworkPolicy: false,
  EgressTrafficShaping: false,
  EgressSeparateSubnet: true,
  NodeNetworkPolicy: false,
  L7FlowExporter: false,
  BGPPolicy: false,
  NodeLatencyMonitor: false,
  PacketCapture: false,
  LoadBalancerModeDSR: false,
  CleanupStaleUDPSvcConntrack: true,
  FQDNNetworkPolicy: true,
};

export interface ConfigResult {
  config: DataplaneConfig;
  diagnostics: Diagnostic[];
}

export function normalizeAgentConfig(sources: readonly LocatedAgentConfig[]): ConfigResult {
  const diagnostics: Diagnostic[] = [];
  const { first, objectRef, at } = configSource(sources, 'AgentConfig', Msg.duplicateConfig(), 'first agent config is here', diagnostics);
  if (!first) diagnostics.push({ severity: 'warning', ...Msg.noAgentConfig() });
  const raw: AgentConfig = first?.obj ?? {};

  const gates: Record<string, boolean> = {};
  for (const [gate, on] of Object.entries(raw.featureGates ?? {})) {
    if (!(gate in GATE_DEFAULTS)) {
      diagnostics.push({ severity: 'warning', ...Msg.unknownFeatureGate(gate), object: objectRef, field: `featureGates.${gate}`, at: at('featureGates') });
    }
    gates[gate] = on;
  }
  const gate = (name: string): boolean => gates[name] ?? GATE_DEFAULTS[name] ?? false;

  const encap = raw.trafficEncapMode ?? 'encap';
  if (encap !== 'encap') {
    diagnostics.push({ severity: 'error', ...Msg.unsupportedEncapMode(encap), object: objectRef, field: 'trafficEncapMode', at: at('trafficEncapMode') });
  }
  const tunnel = raw.tunnelType ?? 'geneve';
  if (tunnel === 'stt') {
    diagnostics.push({ severity: 'error', ...Msg.unsupportedTunnelType(tunnel), object: objectRef, field: 'tunnelType', at: at('tunnelType') });
  }
  const proxy = gate('AntreaProxy') && (raw.antreaProxy?.enable ?? true);
  const egress = gate('Egress');
  const features: Features = {
    antreaProxy: proxy,
    proxyAll: proxy && (raw.antreaProxy?.proxyAll ?? false),
    loadBalancerModeDSR: proxy && gate('LoadBalancerModeDSR') && raw.antreaProxy?.defaultLoadBalancerMode === 'dsr',
    antreaPolicy: gate('AntreaPolicy'),
    egress,
    egressTrafficShaping: egress && gate('EgressTrafficShaping'),
    trafficControl: gate('TrafficControl'),
    l7NetworkPolicy: gate('L7NetworkPolicy'),
    multicast: gate('Multicast') && (raw.multicast?.enable ?? false),
    flowExporter: gate('FlowExporter'),
    nodeNetworkPolicy: gate('NodeNetworkPolicy'),
    ipv4: true,
    ipv6: false,
  };
  const exceptCIDRs: Cidr[] = [];
  (raw.egress?.exceptCIDRs ?? []).forEach((text, i) => {
    const c = parseCidr(text);
    if (c) exceptCIDRs.push(c);
    else diagnostics.push({ severity: 'error', ...Msg.badEgressExceptCIDR(text), object: objectRef, field: `egress.exceptCIDRs[${i}]`, at: at('egress', 'exceptCIDRs', i) });
  });
  const maxIPs = raw.egress?.maxEgressIPsPerNode ?? 0;
  if (maxIPs > MAX_EGRESS_IPS_PER_NODE) {
    diagnostics.push({ severity: 'error', ...Msg.tooManyEgressIPsPerNode(maxIPs, MAX_EGRESS_IPS_PER_NODE), object: objectRef, field: 'egress.maxEgressIPsPerNode', at: at('egress', 'maxEgressIPsPerNode') });
  }
  const flowExporter = normalizeFlowExporter(raw, features.flowExporter, (d, field, path) =>
    diagnostics.push({ ...d, object: objectRef, field, at: at(...path) }),
  );
  const config: DataplaneConfig = {
    bridge: raw.ovsBridge ?? 'br-int',
    gatewayName: raw.hostGateway ?? 'antrea-gw0',
    tunnelName: 'antrea-tun0',
    tunnelType: tunnel === 'stt' ? 'geneve' : tunnel,
    features,
    packetInRate: raw.packetInRate ?? 5000,
    egress: {
      exceptCIDRs,
      maxEgressIPsPerNode: maxIPs === 0 ? MAX_EGRESS_IPS_PER_NODE : Math.min(maxIPs, MAX_EGRESS_IPS_PER_NODE),
      snatFullyRandomPorts: raw.egress?.snatFullyRandomPorts ?? raw.snatFullyRandomPorts ?? false,
      separateSubnet: egress && gate('EgressSeparateSubnet'),
    },
    flowExporter,
    snatFullyRandomPorts: raw.snatFullyRandomPorts ?? false,
    featureGates: gates,
  };
  if (raw.transportInterface) config.transportInterface = raw.transportInterface;
  if (raw.tunnelPort) config.tunnelPort = raw.tunnelPort;
  return { config, diagnostics };
}
