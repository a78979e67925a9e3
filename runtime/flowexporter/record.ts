/**
 * A connection as the values of Antrea's IPv4 template (exporter/ipfix.go addConnToSet): counters and deltas since
 * the last export, Pod and Node names only for Pods local to this Node, policy names from the rule IDs, Service
 * fields zero (dpc compiles no Service load-balancing), Egress naming on to-external records.
 */
import { FlowEndReason, type RecordValues } from '../ipfix/elements.js';
import type { ExportedConn } from './store.js';
import type { Naming } from './naming.js';
import { FlowType } from './naming.js';

const delta = (now: bigint, prev: bigint): bigint => (now < prev ? 0n : now - prev);

/** The record for a connection, or undefined when Antrea's exporter would not send it (unsupported flow type). */
export function recordValues(c: ExportedConn, naming: Naming): RecordValues | undefined {
  const flowType = naming.flowType(c.flow.src, c.flow.dst, !!c.sourcePod, !!c.destinationPod);
  if (flowType === FlowType.unsupported) return undefined;
  let egress = { name: '', ip: '', node: '' };
  if (flowType === FlowType.toExternal) {
    // Only the source Node reports a Pod-to-external connection (destination.go exportConn).
    if (!c.sourcePod) return undefined;
    egress = naming.egressOf(c.flow.src) ?? egress;
  }
  const node = naming.settings.node;
  return {
    flowStartSeconds: Math.floor(c.startMs / 1000),
    flowEndSeconds: Math.floor(c.stopMs / 1000),
    flowEndReason: c.endReason === 'end' ? FlowEndReason.endOfFlow : c.endReason === 'active' ? FlowEndReason.activeTimeout : FlowEndReason.idleTimeout,
    sourceTransportPort: c.flow.sport,
    destinationTransportPort: c.flow.dport,
    protocolIdentifier: c.flow.protocol,
    packetTotalCount: c.packets,
    octetTotalCount: c.bytes,
    packetDeltaCount: delta(c.packets, c.prevPackets),
    octetDeltaCount: delta(c.bytes, c.prevBytes),
    sourceIPv4Address: c.flow.src,
    destinationIPv4Address: c.flow.dst,
    reversePacketTotalCount: c.reversePackets,
    reverseOctetTotalCount: c.reverseBytes,
    reversePacketDeltaCount: delta(c.reversePackets, c.prevReversePackets),
    reverseOctetDeltaCount: delta(c.reverseBytes, c.prevReverseBytes),
    sourcePodName: c.sourcePod?.name ?? '',
    sourcePodNamespace: c.sourcePod?.namespace ?? '',
    sourceNodeName: c.sourcePod ? node : '',
    destinationPodName: c.destinationPod?.name ?? '',
    destinationPodNamespace: c.destinationPod?.namespace ?? '',
    destinationNodeName: c.destinationPod ? node : '',
    destinationServicePort: 0,
    destinationServicePortName: '',
    ingressNetworkPolicyName: c.ingress?.name ?? '',
    ingressNetworkPolicyNamespace: c.ingress?.namespace ?? '',
    ingressNetworkPolicyType: c.ingress?.type ?? 0,
    ingressNetworkPolicyRuleName: c.ingress?.ruleName ?? '',
    ingressNetworkPolicyRuleAction: c.ingress?.action ?? 0,
    egressNetworkPolicyName: c.egress?.name ?? '',
    egressNetworkPolicyNamespace: c.egress?.namespace ?? '',
    egressNetworkPolicyType: c.egress?.type ?? 0,
    egressNetworkPolicyRuleName: c.egress?.ruleName ?? '',
    egressNetworkPolicyRuleAction: c.egress?.action ?? 0,
    tcpState: c.tcpState,
    flowType,
    egressName: egress.name,
    egressIP: egress.ip,
    egressNodeName: egress.node,
    proxySnatPort: 0,
    destinationClusterIPv4: '0.0.0.0',
    proxySnatIPv4: '0.0.0.0',
    destinationServiceIPv4: '0.0.0.0',
  };
}
