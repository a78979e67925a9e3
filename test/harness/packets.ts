// Builders and parsers for the frames that dataplane tests inject into and read back from OVS.
// Pure Buffer code: everything a test asserts on is decoded here, so no external dissector is needed.

import { readFileSync } from 'node:fs';

export const ETH_TYPE = { ipv4: 0x0800, arp: 0x0806, vlan: 0x8100, transparentEthernet: 0x6558 } as const;
export const IP_PROTO = { icmp: 1, tcp: 6, udp: 17, gre: 47 } as const;
export const GENEVE_PORT = 6081;
export const VXLAN_PORT = 4789;

const ETH_HEADER_LEN = 14;
const IPV4_HEADER_LEN = 20;
const UDP_HEADER_LEN = 8;
const TCP_HEADER_LEN = 20;

// ---------------------------------------------------------------------------------------------
// Address helpers

export function macToBytes(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new Error(`invalid MAC address: ${mac}`);
  }
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

export function bytesToMac(buf: Buffer, offset = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(buf.readUInt8(offset + i).toString(16).padStart(2, '0'));
  return parts.join(':');
}

export function ipToBytes(ip: string): Buffer {
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip)?.slice(1).map(Number);
  if (!octets || octets.some((o) => o > 255)) throw new Error(`invalid IPv4 address: ${ip}`);
  return Buffer.from(octets);
}

export function bytesToIp(buf: Buffer, offset = 0): string {
  return [0, 1, 2, 3].map((i) => buf.readUInt8(offset + i)).join('.');
}

// ---------------------------------------------------------------------------------------------
// Checksums

/** RFC 1071 ones'-complement sum, folded and inverted. Over a region that includes a correct checksum it yields 0. */
export function internetChecksum(...parts: Buffer[]): number {
  let sum = 0;
  let odd: number | undefined; // a byte left over from an odd-length part pairs with the next part's first byte
  for (const part of parts) {
    for (const byte of part) {
      if (odd === undefined) {
        odd = byte;
      } else {
        sum += (odd << 8) | byte;
        odd = undefined;
      }
    }
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function pseudoHeader(srcIp: string, dstIp: string, proto: number, length: number): Buffer {
  const ph = Buffer.alloc(12);
  ipToBytes(srcIp).copy(ph, 0);
  ipToBytes(dstIp).copy(ph, 4);
  ph.writeUInt8(proto, 9);
  ph.writeUInt16BE(length, 10);
  return ph;
}

// ---------------------------------------------------------------------------------------------
// Builders

export interface EthernetOpts {
  src: string;
  dst: string;
  type: number;
  payload: Buffer;
  /** 802.1Q VLAN id; when set, a tag is inserted before `type`. */
  vlan?: number;
}

export function ethernet(o: EthernetOpts): Buffer {
  const tag = o.vlan === undefined ? Buffer.alloc(0) : Buffer.alloc(4);
  if (o.vlan !== undefined) {
    tag.writeUInt16BE(ETH_TYPE.vlan, 0);
    tag.writeUInt16BE(o.vlan & 0x0fff, 2);
  }
  const type = Buffer.alloc(2);
  type.writeUInt16BE(o.type, 0);
  return Buffer.concat([macToBytes(o.dst), macToBytes(o.src), tag, type, o.payload]);
}

export interface Ipv4Opts {
  src: string;
  dst: string;
  proto: number;
  payload: Buffer;
  ttl?: number;
  id?: number;
  tos?: number;
  /** Don't Fragment; OVS sets it on tunnel headers it pushes. */
  df?: boolean;
}

export function ipv4(o: Ipv4Opts): Buffer {
  const h = Buffer.alloc(IPV4_HEADER_LEN);
  h.writeUInt8(0x45, 0); // version 4, 5 words of header
  h.writeUInt8(o.tos ?? 0, 1);
  h.writeUInt16BE(IPV4_HEADER_LEN + o.payload.length, 2);
  h.writeUInt16BE(o.id ?? 0, 4);
  h.writeUInt16BE(o.df ? 0x4000 : 0, 6);
  h.writeUInt8(o.ttl ?? 64, 8);
  h.writeUInt8(o.proto, 9);
  ipToBytes(o.src).copy(h, 12);
  ipToBytes(o.dst).copy(h, 16);
  h.writeUInt16BE(internetChecksum(h), 10);
  return Buffer.concat([h, o.payload]);
}

const TCP_FLAG_LETTERS = 'FSRPAUEC'; // bit 0 (FIN) first, so SYN+ACK reads "SA"

export function tcpFlagsToBits(flags: string): number {
  let bits = 0;
  for (const letter of flags.toUpperCase()) {
    const i = TCP_FLAG_LETTERS.indexOf(letter);
    if (i < 0) throw new Error(`unknown TCP flag '${letter}' in '${flags}' (use letters of ${TCP_FLAG_LETTERS})`);
    bits |= 1 << i;
  }
  return bits;
}

export function tcpFlagsToString(bits: number): string {
  return [...TCP_FLAG_LETTERS].filter((_, i) => bits & (1 << i)).join('');
}

export interface TcpOpts {
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  /** Letters of FSRPAUEC, e.g. 'S', 'SA', 'A', 'PA', 'FA', 'R'. */
  flags?: string;
  seq?: number;
  ack?: number;
  window?: number;
  payload?: Buffer;
}

/** A TCP segment; the IPs are only needed for the pseudo-header of the checksum. */
export function tcp(o: TcpOpts): Buffer {
  const payload = o.payload ?? Buffer.alloc(0);
  const h = Buffer.alloc(TCP_HEADER_LEN);
  h.writeUInt16BE(o.srcPort, 0);
  h.writeUInt16BE(o.dstPort, 2);
  h.writeUInt32BE((o.seq ?? 0) >>> 0, 4);
  h.writeUInt32BE((o.ack ?? 0) >>> 0, 8);
  h.writeUInt8((TCP_HEADER_LEN / 4) << 4, 12);
  h.writeUInt8(tcpFlagsToBits(o.flags ?? 'S'), 13);
  h.writeUInt16BE(o.window ?? 65535, 14);
  const segment = Buffer.concat([h, payload]);
  const ph = pseudoHeader(o.srcIp, o.dstIp, IP_PROTO.tcp, segment.length);
  segment.writeUInt16BE(internetChecksum(ph, segment), 16);
  return segment;
}

export interface IpHeaderOpts {
  ttl?: number;
  id?: number;
  tos?: number;
}

export function tcpPacket(o: TcpOpts & IpHeaderOpts): Buffer {
  return ipv4({ src: o.srcIp, dst: o.dstIp, proto: IP_PROTO.tcp, ttl: o.ttl, id: o.id, tos: o.tos, payload: tcp(o) });
}

export interface UdpOpts {
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  payload?: Buffer;
  /** false writes checksum 0 ("none"), as tunnel encapsulations commonly do. */
  checksum?: boolean;
}

export function udp(o: UdpOpts): Buffer {
  const payload = o.payload ?? Buffer.alloc(0);
  const h = Buffer.alloc(UDP_HEADER_LEN);
  h.writeUInt16BE(o.srcPort, 0);
  h.writeUInt16BE(o.dstPort, 2);
  h.writeUInt16BE(UDP_HEADER_LEN + payload.length, 4);
  const datagram = Buffer.concat([h, payload]);
  if (o.checksum !== false) {
    const ph = pseudoHeader(o.srcIp, o.dstIp, IP_PROTO.udp, datagram.length);
    // A computed 0 is sent as 0xffff because 0 means "no checksum" in UDP.
    datagram.writeUInt16BE(internetChecksum(ph, datagram) || 0xffff, 6);
  }
  return datagram;
}

export function udpPacket(o: UdpOpts & IpHeaderOpts & { df?: boolean }): Buffer {
  return ipv4({
    src: o.srcIp,
    dst: o.dstIp,
    proto: IP_PROTO.udp,
    ttl: o.ttl,
    id: o.id,
    tos: o.tos,
    df: o.df,
    payload: udp(o),
  });
}

export interface IcmpEchoOpts {
  /** 8 = echo request, 0 = echo reply. */
  type?: number;
  code?: number;
  id?: number;
  seq?: number;
  payload?: Buffer;
}

/** An ICMP echo message (the IPv4 payload). */
export function icmpEcho(o: IcmpEchoOpts = {}): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt8(o.type ?? 8, 0);
  h.writeUInt8(o.code ?? 0, 1);
  h.writeUInt16BE(o.id ?? 0, 4);
  h.writeUInt16BE(o.seq ?? 0, 6);
  const msg = Buffer.concat([h, o.payload ?? Buffer.alloc(0)]);
  msg.writeUInt16BE(internetChecksum(msg), 2);
  return msg;
}

export interface ArpOpts {
  /** 1 = request, 2 = reply. */
  op: number;
  sha: string;
  spa: string;
  tha?: string;
  tpa: string;
}

/** An ARP message for Ethernet/IPv4 (the Ethernet payload). */
export function arp(o: ArpOpts): Buffer {
  const h = Buffer.alloc(28);
  h.writeUInt16BE(1, 0); // hardware type Ethernet
  h.writeUInt16BE(ETH_TYPE.ipv4, 2);
  h.writeUInt8(6, 4);
  h.writeUInt8(4, 5);
  h.writeUInt16BE(o.op, 6);
  macToBytes(o.sha).copy(h, 8);
  ipToBytes(o.spa).copy(h, 14);
  macToBytes(o.tha ?? '00:00:00:00:00:00').copy(h, 18);
  ipToBytes(o.tpa).copy(h, 24);
  return h;
}

export interface FrameOpts {
  srcMac: string;
  dstMac: string;
  srcIp: string;
  dstIp: string;
  proto: 'tcp' | 'udp' | 'icmp';
  srcPort?: number;
  dstPort?: number;
  ttl?: number;
  /** TCP flags (default 'S'). */
  flags?: string;
  /** ICMP echo type (default 8, request); id and seq default to srcPort/dstPort so flows stay distinguishable. */
  icmpType?: number;
  payload?: Buffer;
}

/** An Ethernet/IPv4 frame carrying one TCP segment, UDP datagram or ICMP echo. */
export function frame(o: FrameOpts): Buffer {
  const srcPort = o.srcPort ?? 12345;
  const dstPort = o.dstPort ?? 80;
  let packet: Buffer;
  switch (o.proto) {
    case 'tcp':
      packet = tcpPacket({ srcIp: o.srcIp, dstIp: o.dstIp, srcPort, dstPort, flags: o.flags, ttl: o.ttl, payload: o.payload });
      break;
    case 'udp':
      packet = udpPacket({ srcIp: o.srcIp, dstIp: o.dstIp, srcPort, dstPort, ttl: o.ttl, payload: o.payload });
      break;
    case 'icmp':
      packet = ipv4({
        src: o.srcIp,
        dst: o.dstIp,
        proto: IP_PROTO.icmp,
        ttl: o.ttl,
        payload: icmpEcho({ type: o.icmpType, id: o.srcPort ?? 0, seq: o.dstPort ?? 0, payload: o.payload }),
      });
      break;
  }
  return ethernet({ src: o.srcMac, dst: o.dstMac, type: ETH_TYPE.ipv4, payload: packet });
}

export interface OuterOpts {
  outerSrcMac: string;
  outerDstMac: string;
  outerSrcIp: string;
  outerDstIp: string;
  /** The complete inner Ethernet frame. */
  inner: Buffer;
  ttl?: number;
}

export interface UdpTunnelOpts extends OuterOpts {
  vni?: number;
  /** Encapsulators derive it from a hash of the inner flow; any value decapsulates the same. */
  srcPort?: number;
}

function vniField(vni: number): number {
  return (vni & 0xffffff) << 8;
}

function udpTunnelFrame(o: UdpTunnelOpts, dstPort: number, header: Buffer): Buffer {
  const packet = udpPacket({
    srcIp: o.outerSrcIp,
    dstIp: o.outerDstIp,
    srcPort: o.srcPort ?? 49152,
    dstPort,
    ttl: o.ttl,
    df: true,
    checksum: false,
    payload: Buffer.concat([header, o.inner]),
  });
  return ethernet({ src: o.outerSrcMac, dst: o.outerDstMac, type: ETH_TYPE.ipv4, payload: packet });
}

/** Inner Ethernet frame in Geneve (no options) in UDP 6081 in IPv4 in Ethernet. */
export function geneveFrame(o: UdpTunnelOpts): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt8(0, 0); // version 0, no options
  h.writeUInt8(0, 1);
  h.writeUInt16BE(ETH_TYPE.transparentEthernet, 2);
  h.writeUInt32BE(vniField(o.vni ?? 0) >>> 0, 4);
  return udpTunnelFrame(o, GENEVE_PORT, h);
}

/** Inner Ethernet frame in VXLAN in UDP 4789 in IPv4 in Ethernet. */
export function vxlanFrame(o: UdpTunnelOpts): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt8(0x08, 0); // "VNI present"
  h.writeUInt32BE(vniField(o.vni ?? 0) >>> 0, 4);
  return udpTunnelFrame(o, VXLAN_PORT, h);
}

/** Inner Ethernet frame in GRE (with a key, as OVS expects for key=flow ports) in IPv4 in Ethernet. */
export function greFrame(o: OuterOpts & { key?: number }): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x2000, 0); // K bit, version 0
  h.writeUInt16BE(ETH_TYPE.transparentEthernet, 2);
  h.writeUInt32BE((o.key ?? 0) >>> 0, 4);
  const packet = ipv4({
    src: o.outerSrcIp,
    dst: o.outerDstIp,
    proto: IP_PROTO.gre,
    ttl: o.ttl,
    df: true,
    payload: Buffer.concat([h, o.inner]),
  });
  return ethernet({ src: o.outerSrcMac, dst: o.outerDstMac, type: ETH_TYPE.ipv4, payload: packet });
}

// ---------------------------------------------------------------------------------------------
// Parsers

export interface ParsedArp {
  op: number;
  sha: string;
  spa: string;
  tha: string;
  tpa: string;
}

export interface ParsedIpv4 {
  src: string;
  dst: string;
  ttl: number;
  proto: number;
  tos: number;
  id: number;
  df: boolean;
  mf: boolean;
  fragOffset: number;
  totalLength: number;
  headerLength: number;
  checksumOk: boolean;
  /** Bytes after the header, up to totalLength (Ethernet padding excluded). */
  payload: Buffer;
}

export interface ParsedTcp {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Letters of FSRPAUEC in that order, e.g. 'SA' for SYN+ACK. */
  flags: string;
  window: number;
  checksumOk: boolean;
  payload: Buffer;
}

export interface ParsedUdp {
  srcPort: number;
  dstPort: number;
  length: number;
  checksum: number;
  /** True also when checksum is 0 (not used). */
  checksumOk: boolean;
  payload: Buffer;
}

export interface ParsedIcmp {
  type: number;
  code: number;
  /** Identifier and sequence number; meaningful for echo request/reply. */
  id: number;
  seq: number;
  checksumOk: boolean;
  payload: Buffer;
}

export interface ParsedTunnel {
  kind: 'geneve' | 'vxlan' | 'gre';
  /** Geneve and VXLAN. */
  vni?: number;
  /** GRE, when the K bit is set. */
  key?: number;
  outerSrc: string;
  outerDst: string;
  inner: ParsedFrame;
}

export interface ParsedFrame {
  /** The bytes this was parsed from (for a tunnel's inner frame: exactly the encapsulated frame). */
  raw: Buffer;
  srcMac: string;
  dstMac: string;
  /** The EtherType after any VLAN tag. */
  ethType: number;
  vlan?: number;
  arp?: ParsedArp;
  ipv4?: ParsedIpv4;
  tcp?: ParsedTcp;
  udp?: ParsedUdp;
  icmp?: ParsedIcmp;
  tunnel?: ParsedTunnel;
}

function need(buf: Buffer, length: number, what: string): void {
  if (buf.length < length) throw new Error(`truncated ${what}: ${buf.length} bytes, need ${length}`);
}

export function parseFrame(buf: Buffer): ParsedFrame {
  need(buf, ETH_HEADER_LEN, 'Ethernet header');
  let offset = 12;
  let ethType = buf.readUInt16BE(offset);
  let vlan: number | undefined;
  if (ethType === ETH_TYPE.vlan) {
    need(buf, ETH_HEADER_LEN + 4, '802.1Q tag');
    vlan = buf.readUInt16BE(14) & 0x0fff;
    offset += 4;
    ethType = buf.readUInt16BE(offset);
  }
  const parsed: ParsedFrame = { raw: buf, srcMac: bytesToMac(buf, 6), dstMac: bytesToMac(buf, 0), ethType };
  if (vlan !== undefined) parsed.vlan = vlan;
  const l3 = buf.subarray(offset + 2);
  if (ethType === ETH_TYPE.arp) parsed.arp = parseArp(l3);
  if (ethType === ETH_TYPE.ipv4) parseIpv4Into(parsed, l3);
  return parsed;
}

function parseArp(buf: Buffer): ParsedArp {
  need(buf, 28, 'ARP message');
  return {
    op: buf.readUInt16BE(6),
    sha: bytesToMac(buf, 8),
    spa: bytesToIp(buf, 14),
    tha: bytesToMac(buf, 18),
    tpa: bytesToIp(buf, 24),
  };
}

function parseIpv4Into(parsed: ParsedFrame, buf: Buffer): void {
  need(buf, IPV4_HEADER_LEN, 'IPv4 header');
  const headerLength = (buf.readUInt8(0) & 0x0f) * 4;
  const totalLength = buf.readUInt16BE(2);
  need(buf, Math.max(headerLength, totalLength), 'IPv4 packet');
  const fragField = buf.readUInt16BE(6);
  const ip: ParsedIpv4 = {
    src: bytesToIp(buf, 12),
    dst: bytesToIp(buf, 16),
    ttl: buf.readUInt8(8),
    proto: buf.readUInt8(9),
    tos: buf.readUInt8(1),
    id: buf.readUInt16BE(4),
    df: (fragField & 0x4000) !== 0,
    mf: (fragField & 0x2000) !== 0,
    fragOffset: (fragField & 0x1fff) * 8,
    totalLength,
    headerLength,
    checksumOk: internetChecksum(buf.subarray(0, headerLength)) === 0,
    payload: buf.subarray(headerLength, totalLength),
  };
  parsed.ipv4 = ip;
  // Only a first fragment carries the transport header.
  if (ip.fragOffset !== 0) return;
  const l4 = ip.payload;
  const ph = pseudoHeader(ip.src, ip.dst, ip.proto, l4.length);
  switch (ip.proto) {
    case IP_PROTO.tcp: {
      need(l4, TCP_HEADER_LEN, 'TCP header');
      const dataOffset = (l4.readUInt8(12) >> 4) * 4;
      parsed.tcp = {
        srcPort: l4.readUInt16BE(0),
        dstPort: l4.readUInt16BE(2),
        seq: l4.readUInt32BE(4),
        ack: l4.readUInt32BE(8),
        flags: tcpFlagsToString(l4.readUInt8(13)),
        window: l4.readUInt16BE(14),
        checksumOk: !ip.mf && internetChecksum(ph, l4) === 0,
        payload: l4.subarray(dataOffset),
      };
      break;
    }
    case IP_PROTO.udp: {
      need(l4, UDP_HEADER_LEN, 'UDP header');
      const checksum = l4.readUInt16BE(6);
      const udpInfo: ParsedUdp = {
        srcPort: l4.readUInt16BE(0),
        dstPort: l4.readUInt16BE(2),
        length: l4.readUInt16BE(4),
        checksum,
        checksumOk: checksum === 0 || (!ip.mf && internetChecksum(ph, l4) === 0),
        payload: l4.subarray(UDP_HEADER_LEN),
      };
      parsed.udp = udpInfo;
      if (udpInfo.dstPort === GENEVE_PORT) parsed.tunnel = parseGeneve(ip, udpInfo.payload);
      if (udpInfo.dstPort === VXLAN_PORT) parsed.tunnel = parseVxlan(ip, udpInfo.payload);
      break;
    }
    case IP_PROTO.icmp: {
      need(l4, 8, 'ICMP header');
      parsed.icmp = {
        type: l4.readUInt8(0),
        code: l4.readUInt8(1),
        id: l4.readUInt16BE(4),
        seq: l4.readUInt16BE(6),
        checksumOk: !ip.mf && internetChecksum(l4) === 0,
        payload: l4.subarray(8),
      };
      break;
    }
    case IP_PROTO.gre:
      parsed.tunnel = parseGre(ip, l4);
      break;
  }
}

function parseGeneve(ip: ParsedIpv4, buf: Buffer): ParsedTunnel {
  need(buf, 8, 'Geneve header');
  const optionsLength = (buf.readUInt8(0) & 0x3f) * 4;
  need(buf, 8 + optionsLength, 'Geneve options');
  return {
    kind: 'geneve',
    vni: buf.readUInt32BE(4) >>> 8,
    outerSrc: ip.src,
    outerDst: ip.dst,
    inner: parseFrame(buf.subarray(8 + optionsLength)),
  };
}

function parseVxlan(ip: ParsedIpv4, buf: Buffer): ParsedTunnel {
  need(buf, 8, 'VXLAN header');
  return {
    kind: 'vxlan',
    vni: buf.readUInt32BE(4) >>> 8,
    outerSrc: ip.src,
    outerDst: ip.dst,
    inner: parseFrame(buf.subarray(8)),
  };
}

/** Returns undefined for GRE that does not carry Ethernet (e.g. L3 GRE), which has no inner frame to parse. */
function parseGre(ip: ParsedIpv4, buf: Buffer): ParsedTunnel | undefined {
  need(buf, 4, 'GRE header');
  const flags = buf.readUInt16BE(0);
  if (buf.readUInt16BE(2) !== ETH_TYPE.transparentEthernet) return undefined;
  let offset = 4;
  if (flags & 0x8000) offset += 4; // checksum + reserved
  let key: number | undefined;
  if (flags & 0x2000) {
    need(buf, offset + 4, 'GRE key');
    key = buf.readUInt32BE(offset);
    offset += 4;
  }
  if (flags & 0x1000) offset += 4; // sequence number
  need(buf, offset, 'GRE header');
  const tunnel: ParsedTunnel = { kind: 'gre', outerSrc: ip.src, outerDst: ip.dst, inner: parseFrame(buf.subarray(offset)) };
  if (key !== undefined) tunnel.key = key;
  return tunnel;
}

// ---------------------------------------------------------------------------------------------
// pcap (the classic format netdev-dummy writes for options:tx_pcap)

const PCAP_MAGIC_MICROS = 0xa1b2c3d4;
const PCAP_MAGIC_NANOS = 0xa1b23c4d;
const PCAP_GLOBAL_HEADER_LEN = 24;
const PCAP_RECORD_HEADER_LEN = 16;
const LINKTYPE_ETHERNET = 1;

/**
 * Frames of a classic pcap file. Tolerates a file that is still being written: a file shorter than its
 * global header has no frames yet, and an incomplete last record is left out.
 */
export function parsePcap(buf: Buffer): Buffer[] {
  if (buf.length < PCAP_GLOBAL_HEADER_LEN) return [];
  const magicBE = buf.readUInt32BE(0);
  const magicLE = buf.readUInt32LE(0);
  let readU32: (offset: number) => number;
  if (magicBE === PCAP_MAGIC_MICROS || magicBE === PCAP_MAGIC_NANOS) {
    readU32 = (offset) => buf.readUInt32BE(offset);
  } else if (magicLE === PCAP_MAGIC_MICROS || magicLE === PCAP_MAGIC_NANOS) {
    readU32 = (offset) => buf.readUInt32LE(offset);
  } else {
    throw new Error(`not a classic pcap file (magic 0x${magicBE.toString(16)})`);
  }
  const frames: Buffer[] = [];
  let offset = PCAP_GLOBAL_HEADER_LEN;
  while (offset + PCAP_RECORD_HEADER_LEN <= buf.length) {
    const capturedLength = readU32(offset + 8);
    const start = offset + PCAP_RECORD_HEADER_LEN;
    if (start + capturedLength > buf.length) break;
    frames.push(buf.subarray(start, start + capturedLength));
    offset = start + capturedLength;
  }
  return frames;
}

export function readPcap(path: string): Buffer[] {
  return parsePcap(readFileSync(path));
}

/** A classic Ethernet pcap of `frames` (zero timestamps), e.g. to feed tshark or to test readers. */
export function encodePcap(frames: Buffer[], opts: { bigEndian?: boolean; nanoseconds?: boolean } = {}): Buffer {
  const writeU32 = (b: Buffer, value: number, offset: number): void => {
    if (opts.bigEndian) b.writeUInt32BE(value, offset);
    else b.writeUInt32LE(value, offset);
  };
  const writeU16 = (b: Buffer, value: number, offset: number): void => {
    if (opts.bigEndian) b.writeUInt16BE(value, offset);
    else b.writeUInt16LE(value, offset);
  };
  const header = Buffer.alloc(PCAP_GLOBAL_HEADER_LEN);
  writeU32(header, opts.nanoseconds ? PCAP_MAGIC_NANOS : PCAP_MAGIC_MICROS, 0);
  writeU16(header, 2, 4);
  writeU16(header, 4, 6);
  writeU32(header, 65535, 16);
  writeU32(header, LINKTYPE_ETHERNET, 20);
  const records = frames.map((f) => {
    const r = Buffer.alloc(PCAP_RECORD_HEADER_LEN);
    writeU32(r, f.length, 8);
    writeU32(r, f.length, 12);
    return Buffer.concat([r, f]);
  });
  return Buffer.concat([header, ...records]);
}
