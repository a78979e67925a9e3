/**
 * An IPFIX exporting process to one collector over TCP or UDP (go-ipfix exporter.ExportingProcess as Antrea uses
 * it): on connect, the template; then one data record per message. Over UDP the template is sent again every
 * `templateRefreshMs` (RFC 7011 §8.4; go-ipfix's default 600 s). A failed send closes the session; the caller
 * reconnects later and nothing it stores is lost.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as tcpConnect, type Socket } from 'node:net';
import type { InfoElement, RecordValues } from './elements.js';
import { encodeDataMessage, encodeTemplateMessage } from './message.js';

export interface ProcessOptions {
  readonly host: string;
  readonly port: number;
  readonly transport: 'tcp' | 'udp';
  readonly domain: number;
  readonly templateId: number;
  readonly elements: readonly InfoElement[];
  readonly templateRefreshMs?: number;
  readonly connectTimeoutMs?: number;
}

/** Antrea's observation domain ID: the 32-bit FNV-1 hash of the Node name (flowexporter/exporter.go genObservationID). */
export function observationDomain(nodeName: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(nodeName, 'utf8')) {
    h = Math.imul(h, 0x01000193) >>> 0;
    h = (h ^ b) >>> 0;
  }
  return h;
}

export class ExportingProcess {
  private tcp?: Socket;
  private udp?: UdpSocket;
  private alive = false;
  private sequence = 0;
  private lastTemplateMs = 0;

  constructor(private readonly opts: ProcessOptions) {}

  get connected(): boolean {
    return this.alive;
  }

  async connect(): Promise<void> {
    this.close();
    this.sequence = 0;
    const { host, port } = this.opts;
    if (this.opts.transport === 'tcp') {
      const sock = await new Promise<Socket>((resolve, reject) => {
        const s = tcpConnect({ host, port });
        const timer = setTimeout(() => {
          s.destroy();
          reject(new Error(`IPFIX collector ${host}:${port}: no TCP connection within ${this.opts.connectTimeoutMs ?? 5000} ms`));
        }, this.opts.connectTimeoutMs ?? 5000);
        s.once('connect', () => {
          clearTimeout(timer);
          resolve(s);
        });
        s.once('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
      sock.setNoDelay(true);
      // The collector says nothing; any data, an end or an error means the session is over.
      const down = () => {
        if (this.tcp === sock) this.alive = false;
      };
      sock.on('data', () => undefined);
      sock.on('end', down);
      sock.on('close', down);
      sock.on('error', down);
      this.tcp = sock;
    } else {
      const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.connect(port, host, () => {
          sock.off('error', reject);
          resolve();
        });
      });
      sock.on('error', () => {
        if (this.udp === sock) this.alive = false;
      });
      this.udp = sock;
    }
    this.alive = true;
    await this.sendTemplate();
  }

  private now(): number {
    return Math.floor(Date.now() / 1000);
  }

  private async write(buf: Buffer): Promise<void> {
    if (!this.alive) throw new Error('IPFIX session is closed');
    if (this.tcp) {
      const sock = this.tcp;
      await new Promise<void>((resolve, reject) => sock.write(buf, (e) => (e ? reject(e) : resolve())));
    } else if (this.udp) {
      const sock = this.udp;
      await new Promise<void>((resolve, reject) => sock.send(buf, (e) => (e ? reject(e) : resolve())));
    }
  }

  private async sendTemplate(): Promise<void> {
    await this.write(encodeTemplateMessage(this.opts.templateId, this.opts.elements, { exportTime: this.now(), sequence: this.sequence, domain: this.opts.domain }));
    this.lastTemplateMs = Date.now();
  }

  /** Sends one record; throws (and closes the session) when the collector cannot be reached. */
  async send(values: RecordValues): Promise<void> {
    try {
      if (this.udp && Date.now() - this.lastTemplateMs >= (this.opts.templateRefreshMs ?? 600_000)) await this.sendTemplate();
      await this.write(encodeDataMessage(this.opts.templateId, this.opts.elements, values, { exportTime: this.now(), sequence: this.sequence, domain: this.opts.domain }));
      this.sequence = (this.sequence + 1) >>> 0;
    } catch (e) {
      this.close();
      throw e;
    }
  }

  close(): void {
    this.alive = false;
    this.tcp?.destroy();
    this.tcp = undefined;
    try {
      this.udp?.close();
    } catch {
      // already closed
    }
    this.udp = undefined;
  }
}
