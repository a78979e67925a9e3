// A minimal OpenFlow controller connection on a bridge's management socket (<rundir>/<bridge>.mgmt), standing in
// for the agent's connection: it takes the controller ID the flows' `controller(id=N)` actions address, asks for
// NXT_PACKET_IN2 (so the action's userdata and the pipeline registers come along), and collects every packet-in.
// That is how a Reject verdict is read from the real dataplane: the real packet reaches the controller action.

import { createConnection, type Socket } from 'node:net';

const OFP13_VERSION = 0x04;
const OFPT = { hello: 0, error: 1, echoRequest: 2, echoReply: 3, experimenter: 4, setConfig: 9, barrierRequest: 20, barrierReply: 21 } as const;
const NX_VENDOR_ID = 0x00002320;
const NXT = { setPacketInFormat: 16, setControllerId: 20, packetIn2: 30 } as const;
const NXPIF_NXT_PACKET_IN2 = 2;
const NXPINT = { packet: 0, fullLen: 1, bufferId: 2, tableId: 3, cookie: 4, reason: 5, metadata: 6, userdata: 7 } as const;
const OFPCML_NO_BUFFER = 0xffff;
const TIMEOUT_MS = 10_000;

export interface PacketIn {
  /** The packet as it was when the controller action ran. */
  packet: Buffer;
  tableId?: number;
  cookie?: bigint;
  reason?: number;
  /** The controller action's userdata (Antrea: category byte, then operation byte). */
  userdata?: Buffer;
  /** Registers 0..15 from the packet-in metadata (0 when absent). */
  regs: number[];
  /** The controller ID of the connection that received it. */
  controllerId: number;
}

function header(type: number, length: number, xid: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt8(OFP13_VERSION, 0);
  h.writeUInt8(type, 1);
  h.writeUInt16BE(length, 2);
  h.writeUInt32BE(xid >>> 0, 4);
  return h;
}

function message(type: number, xid: number, body: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([header(type, 8 + body.length, xid), body]);
}

function nxMessage(subtype: number, xid: number, body: Buffer): Buffer {
  const vendor = Buffer.alloc(8);
  vendor.writeUInt32BE(NX_VENDOR_ID, 0);
  vendor.writeUInt32BE(subtype, 4);
  return message(OFPT.experimenter, xid, Buffer.concat([vendor, body]));
}

/** Decodes the OXM/NXM fields of a packet-in's metadata into registers (NXM_NX_REGn, or OF1.5 xregs). */
export function decodeMetadataRegs(buf: Buffer): number[] {
  const regs = new Array<number>(16).fill(0);
  let off = 0;
  while (off + 4 <= buf.length) {
    const h = buf.readUInt32BE(off);
    const cls = h >>> 16;
    const field = (h >>> 9) & 0x7f;
    const hasMask = (h >>> 8) & 1;
    const len = h & 0xff;
    const body = buf.subarray(off + 4, off + 4 + len);
    if (body.length < len) break;
    const valueLen = hasMask ? len / 2 : len;
    if (cls === 0x0001 && field < 16 && valueLen === 4) regs[field] = body.readUInt32BE(0);
    if (cls === 0x8001 && field < 8 && valueLen === 8) {
      regs[field * 2] = body.readUInt32BE(0);
      regs[field * 2 + 1] = body.readUInt32BE(4);
    }
    off += 4 + len;
  }
  return regs;
}

export function decodePacketIn2(body: Buffer, controllerId: number): PacketIn {
  const pin: PacketIn = { packet: Buffer.alloc(0), regs: new Array<number>(16).fill(0), controllerId };
  let off = 0;
  while (off + 4 <= body.length) {
    const type = body.readUInt16BE(off);
    const len = body.readUInt16BE(off + 2);
    if (len < 4) break;
    const value = body.subarray(off + 4, off + len);
    switch (type) {
      case NXPINT.packet:
        pin.packet = Buffer.from(value);
        break;
      case NXPINT.tableId:
        pin.tableId = value.readUInt8(0);
        break;
      case NXPINT.cookie:
        // ofpprop_put_be64 pads the 4-byte property header to 8 before the value.
        pin.cookie = value.length >= 12 ? value.readBigUInt64BE(4) : value.readBigUInt64BE(0);
        break;
      case NXPINT.reason:
        pin.reason = value.readUInt8(0);
        break;
      case NXPINT.metadata:
        pin.regs = decodeMetadataRegs(value);
        break;
      case NXPINT.userdata:
        pin.userdata = Buffer.from(value);
        break;
    }
    off += (len + 7) & ~7;
  }
  return pin;
}

export class ControllerConnection {
  private readonly socket: Socket;
  private buf: Buffer = Buffer.alloc(0);
  private xid = 1;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private closed: Error | undefined;
  /** Every packet-in received so far; drain() empties it. */
  private packetIns: PacketIn[] = [];
  readonly errors: string[] = [];

  private constructor(
    readonly path: string,
    readonly controllerId: number,
  ) {
    this.socket = createConnection(path);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error(`OpenFlow ${path}: connection closed`)));
  }

  static async connect(mgmtSocket: string, controllerId: number): Promise<ControllerConnection> {
    const conn = new ControllerConnection(mgmtSocket, controllerId);
    await new Promise<void>((resolve, reject) => {
      conn.socket.once('connect', () => resolve());
      conn.socket.once('error', reject);
    });
    conn.send(message(OFPT.hello, conn.xid++));
    const id = Buffer.alloc(8);
    id.writeUInt16BE(controllerId, 6);
    conn.send(nxMessage(NXT.setControllerId, conn.xid++, id));
    const format = Buffer.alloc(4);
    format.writeUInt32BE(NXPIF_NXT_PACKET_IN2, 0);
    conn.send(nxMessage(NXT.setPacketInFormat, conn.xid++, format));
    // A service connection gets asynchronous messages only once it sets a nonzero miss_send_len.
    const config = Buffer.alloc(4);
    config.writeUInt16BE(0, 0);
    config.writeUInt16BE(OFPCML_NO_BUFFER, 2);
    conn.send(message(OFPT.setConfig, conn.xid++, config));
    await conn.barrier();
    if (conn.errors.length) throw new Error(`OpenFlow setup on ${mgmtSocket} failed: ${conn.errors.join('; ')}`);
    return conn;
  }

  private send(msg: Buffer): void {
    if (this.closed) throw this.closed;
    this.socket.write(msg);
  }

  private fail(err: Error): void {
    this.closed ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt16BE(2);
      if (len < 8 || this.buf.length < len) break;
      const msg = this.buf.subarray(0, len);
      this.buf = this.buf.subarray(len);
      this.handle(msg);
    }
  }

  private handle(msg: Buffer): void {
    const type = msg.readUInt8(1);
    const xid = msg.readUInt32BE(4);
    switch (type) {
      case OFPT.echoRequest:
        this.send(Buffer.concat([header(OFPT.echoReply, msg.length, xid), msg.subarray(8)]));
        break;
      case OFPT.barrierReply: {
        const w = this.waiting.get(xid);
        this.waiting.delete(xid);
        w?.resolve();
        break;
      }
      case OFPT.error:
        this.errors.push(`error type ${msg.readUInt16BE(8)} code ${msg.readUInt16BE(10)} for xid ${xid}`);
        break;
      case OFPT.experimenter:
        if (msg.length >= 16 && msg.readUInt32BE(8) === NX_VENDOR_ID && msg.readUInt32BE(12) === NXT.packetIn2) {
          this.packetIns.push(decodePacketIn2(msg.subarray(16), this.controllerId));
        }
        break;
    }
  }

  /**
   * Resolves once the switch has answered a barrier: every packet-in it queued for this connection before
   * handling the barrier has been received by then.
   */
  barrier(): Promise<void> {
    const xid = this.xid++;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.waiting.delete(xid)) reject(new Error(`OpenFlow ${this.path}: no barrier reply within ${TIMEOUT_MS} ms`));
      }, TIMEOUT_MS);
      timer.unref();
      this.waiting.set(xid, {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      try {
        this.send(message(OFPT.barrierRequest, xid));
      } catch (e) {
        this.waiting.delete(xid);
        clearTimeout(timer);
        reject(e as Error);
      }
    });
  }

  /** The packet-ins received since the last drain. */
  drain(): PacketIn[] {
    const out = this.packetIns;
    this.packetIns = [];
    return out;
  }

  close(): void {
    this.closed ??= new Error('closed');
    this.socket.destroy();
  }
}

/** Antrea's packet-in operations (reg0[25..31], and the second byte of the NP packet-in userdata). */
export const PACKET_IN_OPERATION = { logging: 0b1, reject: 0b10, storeDenyConnection: 0b100 } as const;
const PACKET_IN_CATEGORY_NP = 0x01;

/** The operation bits a packet-in carries: from the userdata (category NP) or, failing that, reg0[25..31]. */
export function packetInOperations(pin: PacketIn): { fromUserdata?: number; fromReg0: number } {
  const fromReg0 = ((pin.regs[0] ?? 0) >>> 25) & 0x7f;
  const ud = pin.userdata;
  if (ud && ud.length >= 2 && ud[0] === PACKET_IN_CATEGORY_NP) return { fromUserdata: ud[1] ?? 0, fromReg0 };
  return { fromReg0 };
}

export function isRejectPacketIn(pin: PacketIn): boolean {
  const ops = packetInOperations(pin);
  return ((ops.fromUserdata ?? 0) & PACKET_IN_OPERATION.reject) !== 0 || (ops.fromReg0 & PACKET_IN_OPERATION.reject) !== 0;
}
