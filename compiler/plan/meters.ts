/**
 * The meters antrea-agent installs when it starts (pkg/agent/openflow/client.go initialize(); IDs in packetin.go):
 * one per packet-in category, each `packetInRate` packets per second with a burst of twice that. They exist whatever
 * the feature gates say, so they are planned for every Node, not by the features that use them.
 */
import type { DataplaneConfig } from '../model/config.js';
import type { NodeInfo } from '../model/model.js';
import type { Feature, Origin } from './flow.js';

export interface MeterPlan {
  readonly id: number;
  readonly kind: 'pktps' | 'kbps';
  readonly rate: number;
  readonly burst: number;
  readonly origin: Origin;
}

/** Packet-in meter IDs: NetworkPolicy logging and Reject, Traceflow, DNS interception for FQDN policies. */
export const PacketInMeter = { networkPolicy: 256, traceflow: 257, dnsInterception: 258 } as const;

/** The feature each meter serves; Traceflow is none of dpc's, so its meter belongs to the pipeline's start-up. */
const METER_FEATURE: Readonly<Record<number, Feature>> = {
  [PacketInMeter.networkPolicy]: 'NetworkPolicy',
  [PacketInMeter.traceflow]: 'Pipeline',
  [PacketInMeter.dnsInterception]: 'NetworkPolicy',
};

export function packetInMeters(config: Pick<DataplaneConfig, 'packetInRate'>, node: NodeInfo): MeterPlan[] {
  const rate = config.packetInRate;
  return Object.values(PacketInMeter).map((id) => ({
    id,
    kind: 'pktps' as const,
    rate,
    burst: 2 * rate,
    origin: { feature: METER_FEATURE[id]!, kind: 'Node', name: node.name },
  }));
}
