/**
 * Registers, marks and constants of Antrea's pipeline (docs/reference/ovs-pipeline.md §2). Each register range is
 * declared once as a field and each meaningful value as a mark on it; flow code uses these names and never
 * spells bit positions.
 */

export interface RegField {
  name: string;
  reg: number;
  /** First and last bit, inclusive. */
  lo: number;
  hi: number;
}

export interface RegMark {
  field: RegField;
  value: number;
}

const field = (name: string, reg: number, lo: number, hi: number): RegField => ({ name, reg, lo, hi });
const mark = (f: RegField, value: number): RegMark => ({ field: f, value });

// reg0
export const PktSourceField = field('PktSource', 0, 0, 3);
export const FromTunnelRegMark = mark(PktSourceField, 1);
export const FromGatewayRegMark = mark(PktSourceField, 2);
export const FromPodRegMark = mark(PktSourceField, 3);
export const FromTCReturnRegMark = mark(PktSourceField, 6);

export const PktDestinationField = field('PktDestination', 0, 4, 7);
export const ToTunnelRegMark = mark(PktDestinationField, 1);
export const ToGatewayRegMark = mark(PktDestinationField, 2);
export const ToUplinkRegMark = mark(PktDestinationField, 4);

export const RewriteMACField = field('RewriteMAC', 0, 9, 9);
export const RewriteMACRegMark = mark(RewriteMACField, 1);
export const NotRewriteMACRegMark = mark(RewriteMACField, 0);

export const APDenyField = field('APDeny', 0, 10, 10);
export const APDenyRegMark = mark(APDenyField, 1);

/** Loaded only when a rule logs, so the packet-in handler knows what the rule did. */
export const APDispositionField = field('APDisposition', 0, 11, 12);
export const Disposition = { allow: 0b00, drop: 0b01, reject: 0b10, pass: 0b11 } as const;

/** Set by the agent on a Reject answer it injects (reject.go); the pipeline itself never loads it. */
export const GeneratedRejectPacketOutField = field('GeneratedRejectPacketOut', 0, 13, 13);
export const GeneratedRejectPacketOutRegMark = mark(GeneratedRejectPacketOutField, 1);

export const RemoteSNATField = field('RemoteSNAT', 0, 19, 19);
export const RemoteSNATRegMark = mark(RemoteSNATField, 1);

export const OutputRegField = field('Output', 0, 21, 22);
export const OutputToOFPortRegMark = mark(OutputRegField, 0b01);
export const OutputToControllerRegMark = mark(OutputRegField, 0b10);

export const PacketInOperationField = field('PacketInOperation', 0, 25, 31);

// reg1
export const TargetOFPortField = field('TargetOFPort', 1, 0, 31);

// reg2
export const PacketInTableField = field('PacketInTable', 2, 0, 7);

// reg3
export const APConjIDField = field('APConjID', 3, 0, 31);

// reg4
export const ServiceEPStateField = field('ServiceEPState', 4, 16, 18);
export const EpToSelectRegMark = mark(ServiceEPStateField, 0b001);
export const AntreaFlexibleIPAMField = field('AntreaFlexibleIPAM', 4, 20, 20);
export const NotAntreaFlexibleIPAMRegMark = mark(AntreaFlexibleIPAMField, 0);
export const FromExternalField = field('FromExternal', 4, 27, 27);
export const FromExternalRegMark = mark(FromExternalField, 1);
export const FromLocalField = field('FromLocal', 4, 28, 28);
export const FromLocalRegMark = mark(FromLocalField, 1);
/** What the Output table does for a packet a TrafficControl selected (§5.2). */
export const TrafficControlActionField = field('TrafficControlAction', 4, 22, 23);
export const TrafficControlMirrorRegMark = mark(TrafficControlActionField, 0b01);
export const TrafficControlRedirectRegMark = mark(TrafficControlActionField, 0b10);

// reg5 / reg6: the conjunction ID of the allowing egress / ingress rule (read by Traceflow).
export const TFEgressConjIDField = field('TFEgressConjID', 5, 0, 31);
export const TFIngressConjIDField = field('TFIngressConjID', 6, 0, 31);

// reg9: the port a TrafficControl mirrors or redirects to.
export const TrafficControlTargetOFPortField = field('TrafficControlTargetOFPort', 9, 0, 31);

/**
 * Bits of ct_mark, ct_label and pkt_mark (§2.2, §2.3): same idea as a register field, in another space.
 */
export interface BitField {
  name: string;
  space: 'ct_mark' | 'ct_label' | 'pkt_mark';
  lo: number;
  hi: number;
}

export interface BitMark {
  field: BitField;
  value: bigint;
}

const bits = (name: string, space: BitField['space'], lo: number, hi: number): BitField => ({ name, space, lo, hi });
const bitMark = (f: BitField, value: bigint): BitMark => ({ field: f, value });

// ct_mark
export const ConnSourceCTMarkField = bits('ConnSource', 'ct_mark', 0, 3);
export const FromGatewayCTMark = bitMark(ConnSourceCTMarkField, 0b10n);
export const ServiceCTMarkField = bits('Service', 'ct_mark', 4, 4);
export const ServiceCTMark = bitMark(ServiceCTMarkField, 1n);
export const NotServiceCTMark = bitMark(ServiceCTMarkField, 0n);
export const ConnSNATCTMarkField = bits('ConnSNAT', 'ct_mark', 5, 5);
export const NotConnSNATCTMark = bitMark(ConnSNATCTMarkField, 0n);
export const HairpinCTMarkField = bits('Hairpin', 'ct_mark', 6, 6);
export const HairpinCTMark = bitMark(HairpinCTMarkField, 1n);

// ct_label: the IDs of the rules that allowed the connection, one half per direction.
export const IngressRuleCTLabelField = bits('IngressRuleID', 'ct_label', 0, 31);
export const EgressRuleCTLabelField = bits('EgressRuleID', 'ct_label', 32, 63);

// pkt_mark: set by iptables on packets the Node itself sends (kubelet probes).
export const HostLocalSourceField = bits('HostLocalSource', 'pkt_mark', 31, 31);
export const HostLocalSourceMark = bitMark(HostLocalSourceField, 1n);

// pkt_mark bits 0..7: the SNAT mark of a local Egress IP, read by the nat SNAT rule (docs/reference/iptables-egress.md §3.1).
export const SNATIPMarkField = bits('SNATIPMark', 'pkt_mark', 0, 7);

/** Conntrack zones (§2.5). */
export const CtZone = 65520;
export const SNATCtZone = 65521;

/** Global virtual MAC: destination of tunnelled traffic and the ARP answer for peer gateways (§2.6). */
export const GlobalVirtualMAC = 'aa:bb:cc:dd:ee:ff';

/** Virtual IP used as the source of hairpinned Service traffic (§2.6). */
export const VirtualServiceIPv4 = '169.254.0.253';

/** Flow priorities (pipeline.go). */
export const Priority = {
  /** Output's TrafficControl flows sit just above its hairpin flow (priorityHigh+1). */
  trafficControlOutput: 211,
  high: 210,
  normal: 200,
  low: 190,
  miss: 0,
} as const;

export function fieldMask(f: RegField | BitField): bigint {
  const width = BigInt(f.hi - f.lo + 1);
  return ((1n << width) - 1n) << BigInt(f.lo);
}
