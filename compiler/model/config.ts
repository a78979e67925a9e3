/**
 * The agent config, normalized: Antrea's defaults filled in and feature gates turned into the feature set that
 * decides which OVS tables exist (docs/reference/ovs-pipeline.md §1.1).
 */
import type { AgentConfig } from '../../schemas/agentConfig.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { configSource } from './configSource.js';
import { Msg } from '../diagnostics/messages.js';
import type { LocatedAgentConfig } from '../ingest/ingest.js';

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
  flowExporter: boolean;
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
  /** Gates the config turned on explicitly, for the report of what is not compiled yet. */
  featureGates: Readonly<Record<string, boolean>>;
}

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
  EgressSeparateSubnet: false,
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
    flowExporter: gate('FlowExporter') && (raw.flowExporter?.enable ?? false),
    ipv4: true,
    ipv6: false,
  };
  const config: DataplaneConfig = {
    bridge: raw.ovsBridge ?? 'br-int',
    gatewayName: raw.hostGateway ?? 'antrea-gw0',
    tunnelName: 'antrea-tun0',
    tunnelType: tunnel === 'stt' ? 'geneve' : tunnel,
    features,
    packetInRate: raw.packetInRate ?? 5000,
    featureGates: gates,
  };
  if (raw.tunnelPort) config.tunnelPort = raw.tunnelPort;
  return { config, diagnostics };
}
