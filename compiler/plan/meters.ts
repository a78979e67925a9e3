/**
 * The meters antrea-agent installs when it starts (pkg/agent/openflow/client.go initialize(); IDs in packetin.go):
 * one per packet-in category, each `packetInRate` packets per second with a burst of twice that. They exist whatever
 * the feature gates say, so they are planned for every Node, not by the features that use them.
 */
import type { DataplaneConfig } from '../model/config.js';

export interface MeterPlan {
  id: number;
  kind: 'pktps' | 'kbps';
  rate: number;
  burst: number;
}

/** Packet-in meter IDs: NetworkPolicy logging and Reject, Traceflow, DNS interception for FQDN policies. */
export const PacketInMeter = { networkPolicy: 256, traceflow: 257, dnsInterception: 258 } as const;

export function packetInMeters(config: Pick<DataplaneConfig, 'packetInRate'>): MeterPlan[] {
  const rate = config.packetInRate;
  return Object.values(PacketInMeter).map((id) => ({ id, kind: 'pktps' as const, rate, burst: 2 * rate }));
}
