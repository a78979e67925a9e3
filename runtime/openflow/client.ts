/**
 * An OpenFlow 1.3 controller connection over a bridge's management socket (`<rundir>/<bridge>.mgmt`), the role
 * antrea-agent's ofnet connection plays: hello, echo replies, the controller ID its flows' `controller(id=N)`
 * actions address, packet-ins as NXT_PACKET_IN2 (so the action's userdata and the pipeline registers come along),
 * and packet-outs.
 */
import { createConnection, type Socket } from 'node:net';

const OFP13 = 0x04;
const OFPT = { hello: 0, error: 1, echoRequest: 2, echoReply: 3, experimenter: 4, setConfig: 9, packetOut: 13, barrierRequest: 20, barrierReply: 21 } as const;
const NX_VENDOR = 0x00002320;
const NXT = { setPacketInFormat: 16, setControllerId: 20, packetIn2: 30 } as const;
const NXPIF_PACKET_IN2 = 2;
const NXPINT = { packet: 0, tableId: 3, cookie: 4, reason: 5, metadata: 6, userdata: 7 } as const;
const OFPCML_NO_BUFFER = 0xffff;
const OFP_NO_BUFFER = 0xffffffff;
export const OFPP_TABLE = 0xfffffff9;

export interface PacketIn {
  readonly packet: Buffer;
  readonly tableId?: number;
  readonly cookie?: bigint;
  readonly userdata?: Buffer;
  /** NXM_NX_REG0..15 (or OF1.5 xregs) from the metadata; 0 when absent. */
  readonly regs: readonly number[];
  /** in_port from the metadata, when present. */
  readonly inPort?: number;
  /** ct_label (16 bytes, big-endian) from the metadata, when present. */
  readonly ctLabel?: Buffer;
}

/** One OpenFlow 1.3 message: the header, then the body. */
export function msg(type: number, xid: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt8(OFP13, 0);
  h.writeUInt8(type, 1);
  h.writeUInt16BE(8 + body.length, 2);
  h.writeUInt32BE(xid >>> 0, 4);
  return Buffer.concat([h, body]);
}

function nx(subtype: number, xid: number, body: Buffer): Buffer {
  const v = Buffer.alloc(8);
  v.writeUInt32BE(NX_VENDOR, 0);
  v.writeUInt32BE(subtype, 4);
  return msg(OFPT.experimenter, xid, Buffer.concat([v, body]));
}

/** The OXM/NXM match fields of a packet-in's metadata that the agent reads. */
export function decodeMetadata(buf: Buffer): { regs: number[]; inPort?: number; ctLabel?: Buffer } {
  const regs = new Array<number>(16).fill(0);
  let inPort: number | undefined;
  let ctLabel: Buffer | undefined;
  for (let off = 0; off + 4 <= buf.length; ) {
    const h = buf.readUInt32BE(off);
    const cls = h >>> 16;
    const field = (h >>> 9) & 0x7f;
    const len = h & 0xff;
    const body = buf.subarray(off + 4, off + 4 + len);
    if (body.length < len) break;
    const value = (h >>> 8) & 1 ? body.subarray(0, len / 2) : body;
    if (cls === 0x0001 && field < 16 && value.length === 4) regs[field] = value.readUInt32BE(0);
    if (cls === 0x8001 && field < 8 && value.length === 8) {
      regs[field * 2] = value.readUInt32BE(0);
      regs[field * 2 + 1] = value.readUInt32BE(4);
    }
    if (cls === 0x8000 && field === 0 && value.length === 4) inPort = value.readUInt32BE(0);
    if (cls === 0x0001 && field === 108 && value.length === 16) ctLabel = Buffer.from(value);
    off += 4 + len;
  }
  return { regs, ...(inPort !== undefined ? { inPort } : {}), ...(ctLabel ? { ctLabel } : {}) };
}

export function decodePacketIn2(body: Buffer): PacketIn {
  let packet = Buffer.alloc(0);
  let tableId: number | undefined;
  let cookie: bigint | undefined;
  let userdata: Buffer | undefined;
  let meta: ReturnType<typeof decodeMetadata> = { regs: new Array<number>(16).fill(0) };
  for (let off = 0; off + 4 <= body.length; ) {
    const type = body.readUInt16BE(off);
    const len = body.readUInt16BE(off + 2);
    if (len < 4) break;
    const value = body.subarray(off + 4, off + len);
    if (type === NXPINT.packet) packet = Buffer.from(value);
    else if (type === NXPINT.tableId) tableId = value.readUInt8(0);
    else if (type === NXPINT.cookie) cookie = value.length >= 12 ? value.readBigUInt64BE(4) : value.readBigUInt64BE(0);
    else if (type === NXPINT.metadata) meta = decodeMetadata(value);
    else if (type === NXPINT.userdata) userdata = Buffer.from(value);
    off += (len + 7) & ~7;
  }
  return { packet, regs: meta.regs, ...(meta.inPort !== undefined ? { inPort: meta.inPort } : {}), ...(meta.ctLabel ? { ctLabel: meta.ctLabel } : {}), ...(tableId !== undefined ? { tableId } : {}), ...(cookie !== undefined ? { cookie } : {}), ...(userdata ? { userdata } : {}) };
}

/** Packet-out actions (OpenFlow 1.3 and Nicira extensions), to hand to {@link OpenFlowClient.packetOutActions}. */
export const PacketOutAction = {
  output(port: number): Buffer {
    const a = Buffer.alloc(16);
    a.writeUInt16BE(0, 0);
    a.writeUInt16BE(16, 2);
    a.writeUInt32BE(port >>> 0, 4);
    a.writeUInt16BE(0xffff, 8);
    return a;
  },
  /** NXAST_RESUBMIT_TABLE with in_port OFPP_IN_PORT: runs the packet through `table` onwards. */
  resubmit(table: number): Buffer {
    const a = Buffer.alloc(16);
    a.writeUInt16BE(0xffff, 0);
    a.writeUInt16BE(16, 2);
    a.writeUInt32BE(NX_VENDOR, 4);
    a.writeUInt16BE(14, 8);
    a.writeUInt16BE(0xfff8, 10);
    a.writeUInt8(table, 12);
    return a;
  },
  /** NXAST_REG_LOAD of `value` into bits lo..hi of NXM_NX_REG`reg`. */
  loadReg(reg: number, lo: number, hi: number, value: number): Buffer {
    const a = Buffer.alloc(24);
    a.writeUInt16BE(0xffff, 0);
    a.writeUInt16BE(24, 2);
    a.writeUInt32BE(NX_VENDOR, 4);
    a.writeUInt16BE(7, 8);
    a.writeUInt16BE((lo << 6) | (hi - lo), 10);
    a.writeUInt32BE(((0x0001 << 16) | (reg << 9) | 4) >>> 0, 12);
    a.writeBigUInt64BE(BigInt(value >>> 0), 16);
    return a;
  },
} as const;

export class OpenFlowClient {
  private readonly socket: Socket;
  private buf: Buffer = Buffer.alloc(0);
  private xid = 1;
  private readonly barriers = new Map<number, () => void>();
  /** Requests awaiting the reply (or error) with their xid (runtime/openflow/bundle.ts). */
  private readonly replies = new Map<number, { resolve: (m: Buffer) => void; reject: (e: Error) => void }>();
  private down?: Error;
  readonly errors: string[] = [];

  private constructor(
    readonly path: string,
    private readonly onPacketIn: (p: PacketIn) => void,
    private readonly onClose: (e: Error) => void,
  ) {
    this.socket = createConnection(path);
    this.socket.on('data', (c: Buffer) => this.data(c));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.fail(new Error(`OpenFlow ${path}: connection closed`)));
  }

  static async connect(path: string, controllerId: number, onPacketIn: (p: PacketIn) => void, onClose: (e: Error) => void = () => undefined): Promise<OpenFlowClient> {
    const c = new OpenFlowClient(path, onPacketIn, onClose);
    await new Promise<void>((resolve, reject) => {
      c.socket.once('connect', () => resolve());
      c.socket.once('error', reject);
    });
    c.send(msg(OFPT.hello, c.xid++));
    const id = Buffer.alloc(8);
    id.writeUInt16BE(controllerId, 6);
    c.send(nx(NXT.setControllerId, c.xid++, id));
    const format = Buffer.alloc(4);
    format.writeUInt32BE(NXPIF_PACKET_IN2, 0);
    c.send(nx(NXT.setPacketInFormat, c.xid++, format));
    // A service connection receives asynchronous messages only with a nonzero miss_send_len.
    const config = Buffer.alloc(4);
    config.writeUInt16BE(OFPCML_NO_BUFFER, 2);
    c.send(msg(OFPT.setConfig, c.xid++, config));
    await c.barrier();
    if (c.errors.length) throw new Error(`OpenFlow setup on ${path} failed: ${c.errors.join('; ')}`);
    return c;
  }

  /** A plain connection for flow changes and statistics: no controller role, no asynchronous messages asked for. */
  static async open(path: string): Promise<OpenFlowClient> {
    const c = new OpenFlowClient(path, () => undefined, () => undefined);
    await new Promise<void>((resolve, reject) => {
      c.socket.once('connect', () => resolve());
      c.socket.once('error', reject);
    });
    c.send(msg(OFPT.hello, c.xid++));
    await c.barrier();
    if (c.closed || c.errors.length) throw new Error(`OpenFlow 1.3 on ${path} refused: ${c.errors.join('; ') || 'connection closed'}`);
    return c;
  }

  get closed(): boolean {
    return this.down !== undefined;
  }

  private send(m: Buffer): void {
    if (this.down) throw this.down;
    this.socket.write(m);
  }

  private fail(e: Error): void {
    if (this.down) return;
    this.down = e;
    for (const b of this.barriers.values()) b();
    this.barriers.clear();
    for (const r of this.replies.values()) r.reject(e);
    this.replies.clear();
    this.onClose(e);
  }

  private data(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt16BE(2);
      if (len < 8 || this.buf.length < len) break;
      const m = this.buf.subarray(0, len);
      this.buf = this.buf.subarray(len);
      const type = m.readUInt8(1);
      const xid = m.readUInt32BE(4);
      const waiting = type !== OFPT.echoRequest ? this.replies.get(xid) : undefined;
      if (waiting) {
        this.replies.delete(xid);
        if (type === OFPT.error) waiting.reject(new Error(`OpenFlow error type ${m.readUInt16BE(8)} code ${m.readUInt16BE(10)}`));
        else waiting.resolve(m);
      } else if (type === OFPT.echoRequest) this.send(msg(OFPT.echoReply, xid, m.subarray(8)));
      else if (type === OFPT.barrierReply) {
        this.barriers.get(xid)?.();
        this.barriers.delete(xid);
      } else if (type === OFPT.error) this.errors.push(`error type ${m.readUInt16BE(8)} code ${m.readUInt16BE(10)} for xid ${xid}`);
      else if (type === OFPT.experimenter && m.length >= 16 && m.readUInt32BE(8) === NX_VENDOR && m.readUInt32BE(12) === NXT.packetIn2) this.onPacketIn(decodePacketIn2(m.subarray(16)));
    }
  }

  /** Resolves once the switch has handled everything sent before it (or the connection is gone). */
  barrier(): Promise<void> {
    const xid = this.xid++;
    return new Promise<void>((resolve) => {
      this.barriers.set(xid, resolve);
      this.send(msg(OFPT.barrierRequest, xid));
    });
  }

  /**
   * Sends the message `build` makes with a fresh xid; `reply` resolves with the switch's message of that xid, or
   * rejects with its error. A request the switch answers only on failure is dropped with forget().
   */
  request(build: (xid: number) => Buffer): { xid: number; reply: Promise<Buffer> } {
    const xid = this.xid++;
    const reply = new Promise<Buffer>((resolve, reject) => {
      this.replies.set(xid, { resolve, reject });
      this.send(build(xid));
    });
    return { xid, reply };
  }

  forget(xid: number): void {
    this.replies.delete(xid);
  }

  /** Sends a frame out of `outPort` (OFPP_TABLE: through the pipeline) as if it came in on `inPort`. */
  packetOut(frame: Buffer, inPort: number, outPort: number): void {
    this.packetOutActions(frame, inPort, [PacketOutAction.output(outPort)]);
  }

  /** Sends a frame through the given actions as if it came in on `inPort`. */
  packetOutActions(frame: Buffer, inPort: number, actions: readonly Buffer[]): void {
    const list = Buffer.concat(actions);
    const head = Buffer.alloc(16);
    head.writeUInt32BE(OFP_NO_BUFFER, 0);
    head.writeUInt32BE(inPort >>> 0, 4);
    head.writeUInt16BE(list.length, 8);
    this.send(msg(OFPT.packetOut, this.xid++, Buffer.concat([head, list, frame])));
  }

  close(): void {
    this.fail(new Error('closed'));
    this.socket.destroy();
  }
}
