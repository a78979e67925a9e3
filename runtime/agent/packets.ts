/**
 * The frames the agent reads from packet-ins and writes back: IPv4 over Ethernet, and Antrea's Reject answers
 * (pkg/agent/openflow/packetout.go SendRejectPacketOut): a TCP RST+ACK acknowledging the offending segment, or an
 * ICMP destination unreachable, host administratively prohibited (type 3, code 10) quoting the IP header and the
 * first 8 bytes after it.
 */

export interface ParsedFrame {
  readonly srcMac: Buffer;
  readonly dstMac: Buffer;
  readonly srcIp: string;
  readonly dstIp: string;
  readonly protocol: number;
  readonly ipLength: number;
  readonly sport: number;
  readonly dport: number;
  readonly tcpSeq: number;
  /** The IP packet (header and payload). */
  readonly ip: Buffer;
}

const ip4 = (b: Buffer, off: number) => `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
const ipBytes = (s: string) => Buffer.from(s.split('.').map(Number));

export function parseFrame(frame: Buffer): ParsedFrame | undefined {
  let off = 12;
  let type = frame.readUInt16BE(off);
  while (type === 0x8100 && frame.length >= off + 6) {
    off += 4;
    type = frame.readUInt16BE(off);
  }
  off += 2;
  if (type !== 0x0800 || frame.length < off + 20) return undefined;
  const ihl = (frame[off]! & 0x0f) * 4;
  const ipLength = frame.readUInt16BE(off + 2);
  const protocol = frame[off + 9]!;
  const l4 = off + ihl;
  const hasPorts = (protocol === 6 || protocol === 17 || protocol === 132) && frame.length >= l4 + 4;
  return {
    srcMac: frame.subarray(6, 12),
    dstMac: frame.subarray(0, 6),
    srcIp: ip4(frame, off + 12),
    dstIp: ip4(frame, off + 16),
    protocol,
    ipLength,
    sport: hasPorts ? frame.readUInt16BE(l4) : 0,
    dport: hasPorts ? frame.readUInt16BE(l4 + 2) : 0,
    tcpSeq: protocol === 6 && frame.length >= l4 + 8 ? frame.readUInt32BE(l4 + 4) : 0,
    ip: frame.subarray(off, off + Math.min(ipLength, frame.length - off)),
  };
}

function checksum(...parts: Buffer[]): number {
  let sum = 0;
  for (const b of parts) {
    for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
    if (b.length % 2) sum += b[b.length - 1]! << 8;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipv4Header(src: string, dst: string, protocol: number, payloadLength: number): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payloadLength, 2);
  h[8] = 64;
  h[9] = protocol;
  ipBytes(src).copy(h, 12);
  ipBytes(dst).copy(h, 16);
  h.writeUInt16BE(checksum(h), 10);
  return h;
}

function ethernet(dst: Buffer, src: Buffer, payload: Buffer): Buffer {
  const type = Buffer.from([0x08, 0x00]);
  return Buffer.concat([dst, src, type, payload]);
}

/** The answer to a rejected packet, from its destination back to its source, with the given MACs. */
export function rejectFrame(p: ParsedFrame, srcMac: Buffer, dstMac: Buffer): Buffer {
  const from = p.dstIp;
  const to = p.srcIp;
  if (p.protocol === 6) {
    const tcp = Buffer.alloc(20);
    tcp.writeUInt16BE(p.dport, 0);
    tcp.writeUInt16BE(p.sport, 2);
    tcp.writeUInt32BE(0, 4);
    tcp.writeUInt32BE((p.tcpSeq + 1) >>> 0, 8);
    tcp[12] = 5 << 4;
    tcp[13] = 0x14; // RST | ACK
    const pseudo = Buffer.concat([ipBytes(from), ipBytes(to), Buffer.from([0, 6, 0, 20])]);
    tcp.writeUInt16BE(checksum(pseudo, tcp), 16);
    return ethernet(dstMac, srcMac, Buffer.concat([ipv4Header(from, to, 6, 20), tcp]));
  }
  const quote = p.ip.subarray(0, Math.min(((p.ip[0]! & 0x0f) * 4) + 8, p.ip.length));
  const icmp = Buffer.concat([Buffer.from([3, 10, 0, 0, 0, 0, 0, 0]), quote]);
  icmp.writeUInt16BE(checksum(icmp), 2);
  return ethernet(dstMac, srcMac, Buffer.concat([ipv4Header(from, to, 1, icmp.length), icmp]));
}
