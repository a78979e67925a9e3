/**
 * The information elements Antrea's flow exporter sends, in its template order (pkg/agent/flowexporter/exporter/ipfix.go
 * IANAInfoElementsIPv4, IANAReverseInfoElements, AntreaInfoElementsIPv4), with the IDs and types of go-ipfix's
 * registries (pkg/registry: IANA, the IANA reverse PEN 29305 of RFC 5103, and Antrea's PEN 56506).
 */

export const IANA = 0;
export const IANA_REVERSE = 29305;
export const ANTREA = 56506;

export type ElementType = 'unsigned8' | 'unsigned16' | 'unsigned32' | 'unsigned64' | 'dateTimeSeconds' | 'ipv4Address' | 'ipv6Address' | 'string';

export interface InfoElement {
  readonly name: string;
  readonly enterprise: number;
  readonly id: number;
  readonly type: ElementType;
}

/** RFC 7011 §7: a variable-length field's template length. */
export const VARIABLE_LENGTH = 65535;

const FIXED: Readonly<Record<Exclude<ElementType, 'string'>, number>> = {
  unsigned8: 1,
  unsigned16: 2,
  unsigned32: 4,
  unsigned64: 8,
  dateTimeSeconds: 4,
  ipv4Address: 4,
  ipv6Address: 16,
};

export const templateLength = (t: ElementType): number => (t === 'string' ? VARIABLE_LENGTH : FIXED[t]);

const e = (name: string, enterprise: number, id: number, type: ElementType): InfoElement => ({ name, enterprise, id, type });

/** The IPv4 template: 12 IANA, 4 reverse IANA and 27 Antrea elements (43), in the order Antrea sends them. */
export const IPV4_TEMPLATE: readonly InfoElement[] = [
  e('flowStartSeconds', IANA, 150, 'dateTimeSeconds'),
  e('flowEndSeconds', IANA, 151, 'dateTimeSeconds'),
  e('flowEndReason', IANA, 136, 'unsigned8'),
  e('sourceTransportPort', IANA, 7, 'unsigned16'),
  e('destinationTransportPort', IANA, 11, 'unsigned16'),
  e('protocolIdentifier', IANA, 4, 'unsigned8'),
  e('packetTotalCount', IANA, 86, 'unsigned64'),
  e('octetTotalCount', IANA, 85, 'unsigned64'),
  e('packetDeltaCount', IANA, 2, 'unsigned64'),
  e('octetDeltaCount', IANA, 1, 'unsigned64'),
  e('sourceIPv4Address', IANA, 8, 'ipv4Address'),
  e('destinationIPv4Address', IANA, 12, 'ipv4Address'),
  e('reversePacketTotalCount', IANA_REVERSE, 86, 'unsigned64'),
  e('reverseOctetTotalCount', IANA_REVERSE, 85, 'unsigned64'),
  e('reversePacketDeltaCount', IANA_REVERSE, 2, 'unsigned64'),
  e('reverseOctetDeltaCount', IANA_REVERSE, 1, 'unsigned64'),
  e('sourcePodName', ANTREA, 101, 'string'),
  e('sourcePodNamespace', ANTREA, 100, 'string'),
  e('sourceNodeName', ANTREA, 104, 'string'),
  e('destinationPodName', ANTREA, 103, 'string'),
  e('destinationPodNamespace', ANTREA, 102, 'string'),
  e('destinationNodeName', ANTREA, 105, 'string'),
  e('destinationServicePort', ANTREA, 108, 'unsigned16'),
  e('destinationServicePortName', ANTREA, 109, 'string'),
  e('ingressNetworkPolicyName', ANTREA, 110, 'string'),
  e('ingressNetworkPolicyNamespace', ANTREA, 111, 'string'),
  e('ingressNetworkPolicyType', ANTREA, 115, 'unsigned8'),
  e('ingressNetworkPolicyRuleName', ANTREA, 141, 'string'),
  e('ingressNetworkPolicyRuleAction', ANTREA, 139, 'unsigned8'),
  e('egressNetworkPolicyName', ANTREA, 112, 'string'),
  e('egressNetworkPolicyNamespace', ANTREA, 113, 'string'),
  e('egressNetworkPolicyType', ANTREA, 118, 'unsigned8'),
  e('egressNetworkPolicyRuleName', ANTREA, 142, 'string'),
  e('egressNetworkPolicyRuleAction', ANTREA, 140, 'unsigned8'),
  e('tcpState', ANTREA, 136, 'string'),
  e('flowType', ANTREA, 137, 'unsigned8'),
  e('egressName', ANTREA, 153, 'string'),
  e('egressIP', ANTREA, 154, 'string'),
  e('egressNodeName', ANTREA, 157, 'string'),
  e('proxySnatPort', ANTREA, 172, 'unsigned16'),
  e('destinationClusterIPv4', ANTREA, 106, 'ipv4Address'),
  e('proxySnatIPv4', ANTREA, 170, 'ipv4Address'),
  e('destinationServiceIPv4', ANTREA, 168, 'ipv4Address'),
];

/** The value a data record carries for each element of the template, by element name. */
export type RecordValues = Readonly<Record<string, number | bigint | string>>;

/** IANA flowEndReason values (go-ipfix registry.go). */
export const FlowEndReason = { idleTimeout: 1, activeTimeout: 2, endOfFlow: 3 } as const;
