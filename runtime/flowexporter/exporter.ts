/**
 * One Node's flow exporter (Antrea's FlowExporter with one static destination): polls conntrack every poll
 * interval into the connection store, takes denied connections from packet-ins into the deny store, and exports
 * whatever is due to the collector. When the collector is away the records due stay pending (at most
 * `MAX_PENDING`, oldest dropped first) and are sent once it is back; the stores keep their state throughout.
 */
import { IPV4_TEMPLATE, type RecordValues } from '../ipfix/elements.js';
import { ExportingProcess, observationDomain } from '../ipfix/process.js';
import { parseConntrackDump } from './conntrack.js';
import type { Naming } from './naming.js';
import { recordValues } from './record.js';
import { ConntrackStore, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_DENIED, DenyStore, MAX_PER_ROUND, type DeniedPacket, type StoreConfig } from './store.js';

/** Antrea's conntrack zone for IPv4 (docs/reference/ovs-pipeline.md §2.5). */
export const CT_ZONE = 65520;
/** The first template ID go-ipfix hands out. */
export const TEMPLATE_ID = 256;
const MAX_PENDING = 4 * MAX_PER_ROUND;
const PROTOCOL_NUMBERS = { tcp: 6, udp: 17, sctp: 132 } as const;

export interface FlowExporterOptions {
  readonly dumpConntrack: () => Promise<string>;
  readonly log?: (message: string) => void;
  readonly maxConnections?: number;
  readonly maxDenied?: number;
}

export interface ExporterStats {
  exported: number;
  failedSends: number;
  connects: number;
  pendingDropped: number;
}

export class FlowExporter {
  private naming: Naming;
  private ct: ConntrackStore;
  private deny: DenyStore;
  private process: ExportingProcess;
  private pending: RecordValues[] = [];
  private pollTimer?: NodeJS.Timeout;
  private exportTimer?: NodeJS.Timeout;
  private stopped = false;
  private busy: Promise<void> = Promise.resolve();
  readonly stats: ExporterStats = { exported: 0, failedSends: 0, connects: 0, pendingDropped: 0 };

  constructor(
    naming: Naming,
    private readonly opts: FlowExporterOptions,
  ) {
    this.naming = naming;
    const s = naming.settings;
    const cfg = (max: number): StoreConfig => ({
      activeTimeoutMs: s.activeFlowExportTimeoutMs,
      idleTimeoutMs: s.idleFlowExportTimeoutMs,
      staleTimeoutMs: s.staleConnectionTimeoutMs,
      protocols: new Set(s.protocols.map((p) => PROTOCOL_NUMBERS[p])),
      maxConnections: max,
      maxPerRound: MAX_PER_ROUND,
    });
    this.ct = new ConntrackStore(cfg(opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS), naming);
    this.deny = new DenyStore(cfg(opts.maxDenied ?? DEFAULT_MAX_DENIED), naming);
    if (s.collector.transport !== 'tcp' && s.collector.transport !== 'udp') throw new Error(`collector transport ${s.collector.transport} is not supported by dpc's exporter (tcp or udp)`);
    this.process = new ExportingProcess({
      host: s.collector.host,
      port: s.collector.port,
      transport: s.collector.transport,
      domain: observationDomain(s.node),
      templateId: TEMPLATE_ID,
      elements: IPV4_TEMPLATE,
    });
  }

  get connections(): { tracked: number; denied: number; overflow: number; pending: number } {
    return { tracked: this.ct.size, denied: this.deny.size, overflow: this.ct.overflow + this.deny.overflow, pending: this.pending.length };
  }

  start(): void {
    const s = this.naming.settings;
    const poll = () => {
      this.pollTimer = setTimeout(() => {
        this.serial(() => this.pollOnce()).finally(() => !this.stopped && poll());
      }, s.pollIntervalMs);
    };
    poll();
    this.scheduleExport(s.activeFlowExportTimeoutMs);
  }

  /** Later bundles rename Pods and rules; connections already stored keep the names they were exported with. */
  setNaming(naming: Naming): void {
    this.naming = naming;
  }

  addDenied(p: DeniedPacket): void {
    this.deny.add(p, Date.now());
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    this.busy = this.busy.then(fn, fn).catch((e) => this.opts.log?.(`flow exporter: ${(e as Error).message}`));
    return this.busy;
  }

  async pollOnce(now = Date.now()): Promise<void> {
    const dump = await this.opts.dumpConntrack();
    this.ct.update(parseConntrackDump(dump, { zone: CT_ZONE, gateways: this.naming.gateways }), now);
    this.deny.sweep(now);
  }

  private scheduleExport(ms: number): void {
    if (this.stopped) return;
    this.exportTimer = setTimeout(() => {
      this.serial(async () => this.scheduleExport(await this.exportOnce()));
    }, Math.max(10, ms));
  }

  /** One round of Destination.Run: connect if needed, send what is due; returns the wait before the next round. */
  async exportOnce(now = Date.now()): Promise<number> {
    const s = this.naming.settings;
    if (!this.process.connected) {
      try {
        await this.process.connect();
        this.stats.connects++;
      } catch (e) {
        this.opts.log?.(`flow exporter: cannot reach collector ${s.collector.host}:${s.collector.port}/${s.collector.transport}: ${(e as Error).message}`);
        this.collect(now);
        return s.activeFlowExportTimeoutMs;
      }
    }
    this.collect(now);
    while (this.pending.length > 0) {
      try {
        await this.process.send(this.pending[0]!);
      } catch (e) {
        this.stats.failedSends++;
        this.opts.log?.(`flow exporter: send failed, reconnecting later: ${(e as Error).message}`);
        return s.activeFlowExportTimeoutMs;
      }
      this.pending.shift();
      this.stats.exported++;
    }
    return Math.min(this.deny.nextExpiryMs(Date.now()), this.ct.nextExpiryMs(Date.now()), s.pollIntervalMs);
  }

  private collect(now: number): void {
    for (const c of [...this.deny.expired(now), ...this.ct.expired(now)]) {
      const v = recordValues(c, this.naming);
      if (v) this.pending.push(v);
    }
    if (this.pending.length > MAX_PENDING) {
      this.stats.pendingDropped += this.pending.length - MAX_PENDING;
      this.pending.splice(0, this.pending.length - MAX_PENDING);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    clearTimeout(this.exportTimer);
    await this.busy;
    this.process.close();
  }
}
