/**
 * What a Node's flow exporter needs to name what it sees (visibility/exporter.json): the export settings, the Node's
 * name, each local Pod's address and identity (Antrea's exporter asks its Pod store the same question), the Pod
 * subnets that classify a connection, and each local Pod's Egress.
 */
import type { NodePorts } from '../allocate/ports.js';
import type { NodeInfo } from '../model/model.js';
import type { FlowExporterConfig } from '../model/flowExporterConfig.js';
import type { EgressNaming, FlowExporterIntent, PodSubnetIntent } from '../resolve/flowExporter.js';
import { formatIP } from '../net/ip.js';

export interface LocalPodRecord {
  readonly ip: string;
  readonly namespace: string;
  readonly name: string;
  readonly egress?: EgressNaming;
}

export interface VisibilityPlan {
  readonly node: string;
  readonly settings: FlowExporterConfig;
  /** Sorted by address. */
  readonly pods: readonly LocalPodRecord[];
  readonly podSubnets: readonly PodSubnetIntent[];
}

export function planVisibility(node: NodeInfo, ports: NodePorts, intent: FlowExporterIntent): VisibilityPlan {
  const pods = ports.pods
    .map(({ pod }) => {
      const egress = intent.podEgress.get(pod.key);
      return { ip: formatIP(pod.ip), namespace: pod.namespace, name: pod.name, ...(egress ? { egress } : {}), sortKey: (BigInt(pod.ip.family) << 128n) | pod.ip.value };
    })
    .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0))
    .map(({ sortKey: _, ...p }) => p);
  return { node: node.name, settings: intent.settings, pods, podSubnets: intent.podSubnets };
}
