/**
 * The flow exporter's intent, the same for every Node: where and how often to export (the agent config), and the
 * cluster facts Antrea's exporter looks up live to classify a connection (pkg/agent/flowexporter/destination.go
 * findFlowType: which addresses are Pod subnets and which are their gateways) and to name its Egress.
 */
import type { ClusterModel } from '../model/model.js';
import type { FlowExporterConfig } from '../model/flowExporterConfig.js';
import type { ResolvedEgress } from './egress.js';
import { formatCidr, formatIP } from '../net/ip.js';

export interface PodSubnetIntent {
  readonly node: string;
  readonly cidr: string;
  readonly gateway: string;
}

export interface EgressNaming {
  readonly name: string;
  readonly ip: string;
  readonly node: string;
}

export interface FlowExporterIntent {
  readonly settings: FlowExporterConfig;
  /** Every Node's Pod subnet and gateway, sorted by Node name. */
  readonly podSubnets: readonly PodSubnetIntent[];
  /** Pod key → the Egress its to-external connections leave through, when that Egress is placed. */
  readonly podEgress: ReadonlyMap<string, EgressNaming>;
}

export function resolveFlowExporter(model: ClusterModel, egress: ResolvedEgress): FlowExporterIntent {
  const podSubnets = [...model.nodes]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((n) => ({ node: n.name, cidr: formatCidr(n.podCIDR), gateway: formatIP(n.gatewayIP) }));
  const byName = new Map(egress.egresses.map((e) => [e.name, e]));
  const podEgress = new Map<string, EgressNaming>();
  for (const [pod, name] of egress.podEgress) {
    const e = byName.get(name);
    if (e?.ip && e.node) podEgress.set(pod, { name, ip: formatIP(e.ip), node: e.node });
  }
  return { settings: model.config.flowExporter, podSubnets, podEgress };
}
