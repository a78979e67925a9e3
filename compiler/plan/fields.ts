/**
 * Registers, marks and constants of Antrea's pipeline (reference/ovs-pipeline.md §2). Each register range is
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

// reg5 / reg6: the conjunction ID of the allowing egress / ingress rule (read by Traceflow).
export const TFEgressConjIDField = field('TFEgressConjID', 5, 0, 31);
export const TFIngressConjIDField = field('TFIngressConjID', 6, 0, 31);

/** ct_mark bits (§2.2). */
export const CtMark = {
  connSourceMask: 0xfn,
  fromGateway: 0x2n,
  service: 0x10n,
  snat: 0x20n,
  hairpin: 0x40n,
} as const;

/** pkt_mark bits 0..7: the SNAT mark of a local Egress IP, read by the nat SNAT rule (reference §3.1). */
export const SNATIPMarkMask = 0xffn;

/** pkt_mark bit set by iptables on packets the Node itself sends (kubelet probes). */
export const HostLocalSourceMark = 0x80000000n;

/** Conntrack zones (§2.5). */
export const CtZone = 65520;
export const SNATCtZone = 65521;

/** Global virtual MAC: destination of tunnelled traffic and the ARP answer for peer gateways (§2.6). */
export const GlobalVirtualMAC = 'aa:bb:cc:dd:ee:ff';

/** Virtual IP used as the source of hairpinned Service traffic (§2.6). */
export const VirtualServiceIPv4 = '169.254.0.253';

/** Reserved ofports since Antrea v2.0 (§7). */
export const TunnelOFPort = 32768;
export const GatewayOFPort = 32769;
export const UplinkOFPort = 32770;
export const HostInterfaceOFPort = 32771;
export const RESERVED_OFPORTS: ReadonlySet<number> = new Set([TunnelOFPort, GatewayOFPort, UplinkOFPort, HostInterfaceOFPort]);

/** Flow priorities (pipeline.go). */
export const Priority = {
  high: 210,
  normal: 200,
  low: 190,
  miss: 0,
} as const;

export function fieldMask(f: RegField): bigint {
  const width = BigInt(f.hi - f.lo + 1);
  return ((1n << width) - 1n) << BigInt(f.lo);
}
