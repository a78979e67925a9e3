// The first packet of each probed connection (TCP SYN, one UDP datagram, an SCTP INIT, an ICMP message), and the
// few decoders the harness's packets.ts lacks (SCTP ports, the L4 identity of any IPv4 packet).

import { ETH_TYPE, ethernet, internetChecksum, ipv4, IP_PROTO, tcpPacket, udpPacket, type ParsedFrame } from '../harness/packets.js';

export const IP_PROTO_SCTP = 132;

export type Protocol = 'TCP' | 'UDP' | 'SCTP' | 'ICMP';

export function protocolNumber(p: Protocol): number {
  switch (p) {
    case 'TCP':
      return IP_PROTO.tcp;
    case 'UDP':
      return IP_PROTO.udp;
    case 'SCTP':
      return IP_PROTO_SCTP;
    case 'ICMP':
      return IP_PROTO.icmp;
  }
}

// ---------------------------------------------------------------------------------------------
// CRC32c (Castagnoli), as SCTP's checksum (RFC 9260 appendix A; reflected, init and final xor 0xffffffff)

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

export function crc32c(buf: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buf) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export interface SctpInitOpts {
  srcPort: number;
  dstPort: number;
  initiateTag?: number;
  initialTsn?: number;
}

/** An SCTP packet (common header + one INIT chunk) with its CRC32c checksum filled in. */
export function sctpInit(o: SctpInitOpts): Buffer {
  const b = Buffer.alloc(12 + 20);
  b.writeUInt16BE(o.srcPort, 0);
  b.writeUInt16BE(o.dstPort, 2);
  b.writeUInt32BE(0, 4); // verification tag: 0 in a packet carrying INIT
  b.writeUInt32BE(0, 8); // checksum, filled below
  b.writeUInt8(1, 12); // chunk type INIT
  b.writeUInt8(0, 13); // flags
  b.writeUInt16BE(20, 14); // chunk length
  b.writeUInt32BE((o.initiateTag ?? 0x5eed0000 + o.srcPort) >>> 0, 16);
  b.writeUInt32BE(65535, 20); // advertised receiver window credit
  b.writeUInt16BE(10, 24); // outbound streams
  b.writeUInt16BE(10, 26); // max inbound streams
  b.writeUInt32BE((o.initialTsn ?? 1) >>> 0, 28);
  // The CRC's least significant byte goes first on the wire (RFC 9260 appendix A).
  b.writeUInt32LE(crc32c(b), 8);
  return b;
}

export function sctpChecksumOk(sctp: Buffer): boolean {
  if (sctp.length < 12) return false;
  const stored = sctp.readUInt32LE(8);
  const copy = Buffer.from(sctp);
  copy.writeUInt32BE(0, 8);
  return crc32c(copy) === stored;
}

/** An ICMP message: type, code, the 4-byte rest of header (identifier and sequence for echo), then a payload. */
export function icmpMessage(o: { type: number; code: number; id: number; seq: number; payload?: Buffer }): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt8(o.type, 0);
  h.writeUInt8(o.code, 1);
  h.writeUInt16BE(o.id & 0xffff, 4);
  h.writeUInt16BE(o.seq & 0xffff, 6);
  const msg = Buffer.concat([h, o.payload ?? Buffer.alloc(8)]);
  msg.writeUInt16BE(internetChecksum(msg), 2);
  return msg;
}

export interface ProbeFrameOpts {
  srcMac: string;
  dstMac: string;
  srcIp: string;
  dstIp: string;
  protocol: Protocol;
  srcPort: number;
  /** TCP/UDP/SCTP destination port. */
  dstPort?: number;
  icmp?: { type: number; code: number };
  /** The IPv4 identification field; the runner tags each probe with a unique one. */
  ipId: number;
  ttl?: number;
}

/** The first packet of a new connection, as an Ethernet frame. */
export function probeFrame(o: ProbeFrameOpts): Buffer {
  const ttl = o.ttl ?? 64;
  let packet: Buffer;
  switch (o.protocol) {
    case 'TCP':
      packet = tcpPacket({ srcIp: o.srcIp, dstIp: o.dstIp, srcPort: o.srcPort, dstPort: o.dstPort ?? 0, flags: 'S', seq: 0x1000 + o.srcPort, ttl, id: o.ipId });
      break;
    case 'UDP':
      packet = udpPacket({ srcIp: o.srcIp, dstIp: o.dstIp, srcPort: o.srcPort, dstPort: o.dstPort ?? 0, ttl, id: o.ipId, payload: Buffer.from('dpc-probe') });
      break;
    case 'SCTP':
      packet = ipv4({ src: o.srcIp, dst: o.dstIp, proto: IP_PROTO_SCTP, ttl, id: o.ipId, payload: sctpInit({ srcPort: o.srcPort, dstPort: o.dstPort ?? 0 }) });
      break;
    case 'ICMP': {
      const { type, code } = o.icmp ?? { type: 8, code: 0 };
      packet = ipv4({ src: o.srcIp, dst: o.dstIp, proto: IP_PROTO.icmp, ttl, id: o.ipId, payload: icmpMessage({ type, code, id: o.srcPort, seq: 1 }) });
      break;
    }
  }
  return ethernet({ src: o.srcMac, dst: o.dstMac, type: ETH_TYPE.ipv4, payload: packet });
}

/** The L3/L4 identity of an IPv4 frame: what must stay unchanged between injection and delivery. */
export interface FlowIdentity {
  src: string;
  dst: string;
  proto: number;
  /** TCP/UDP/SCTP ports; for ICMP the identifier is srcPort and type/code are in icmpType/icmpCode. */
  srcPort?: number;
  dstPort?: number;
  icmpType?: number;
  icmpCode?: number;
  ipId: number;
  ttl: number;
}

export function flowIdentity(f: ParsedFrame): FlowIdentity | undefined {
  const ip = f.ipv4;
  if (!ip) return undefined;
  const id: FlowIdentity = { src: ip.src, dst: ip.dst, proto: ip.proto, ipId: ip.id, ttl: ip.ttl };
  if (f.tcp) Object.assign(id, { srcPort: f.tcp.srcPort, dstPort: f.tcp.dstPort });
  else if (f.udp) Object.assign(id, { srcPort: f.udp.srcPort, dstPort: f.udp.dstPort });
  else if (f.icmp) Object.assign(id, { srcPort: f.icmp.id, icmpType: f.icmp.type, icmpCode: f.icmp.code });
  else if (ip.proto === IP_PROTO_SCTP && ip.payload.length >= 4) {
    Object.assign(id, { srcPort: ip.payload.readUInt16BE(0), dstPort: ip.payload.readUInt16BE(2) });
  }
  return id;
}

/** Same connection identity (addresses, protocol, ports / ICMP id, type, code); TTL and IP ID are not compared. */
export function sameFlow(a: FlowIdentity, b: FlowIdentity): boolean {
  return (
    a.src === b.src &&
    a.dst === b.dst &&
    a.proto === b.proto &&
    a.srcPort === b.srcPort &&
    a.dstPort === b.dstPort &&
    a.icmpType === b.icmpType &&
    a.icmpCode === b.icmpCode
  );
}

export function describeFlow(f: FlowIdentity): string {
  const proto = f.proto === IP_PROTO.tcp ? 'tcp' : f.proto === IP_PROTO.udp ? 'udp' : f.proto === IP_PROTO_SCTP ? 'sctp' : f.proto === IP_PROTO.icmp ? 'icmp' : `proto ${f.proto}`;
  if (f.proto === IP_PROTO.icmp) return `icmp ${f.src} > ${f.dst} type ${f.icmpType} code ${f.icmpCode} id ${f.srcPort}`;
  return `${proto} ${f.src}:${f.srcPort} > ${f.dst}:${f.dstPort}`;
}
