/**
 * `dpc agent BUNDLE_DIR`: the live duties antrea-agent keeps on a Node running dpc's bundles. It applies the Node's
 * bundle as `dpc apply` does, again whenever bundle.json changes (in-process, its flow changes on the controller
 * connection), and reads the whole Node back every DPC_RESYNC_SECONDS (default 300; 0: never) to repair drift of
 * any shape, as `dpc apply --full` does; holds the controller connection (ID 1, the
 * one the bundle's `controller(id=1)` actions address) and, for NetworkPolicy packet-ins, answers Reject and
 * records denied connections (pkg/agent/controller/networkpolicy/packetin.go); and exports flow records over IPFIX
 * when visibility/exporter.json enables it. SIGTERM or SIGINT stops it cleanly.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadBundle, nodeName, openBundle, type LoadedBundle } from '../bundle.js';
import type { NodeCommandOptions as NodeOptions } from '../commands.js';
import { connectOvs } from '../ovs.js';
import { findTool } from '../tools.js';
import { FlowExporter } from '../flowexporter/exporter.js';
import { Naming, RuleAction } from '../flowexporter/naming.js';
import { GeneratedRejectPacketOutRegMark } from '../../compiler/plan/fields.js';
import { OpenFlowClient, PacketOutAction, type PacketIn } from '../openflow/client.js';
import { applyOnce } from './apply.js';
import { parseFrame, rejectFrame } from './packets.js';

const run = promisify(execFile);

/** Antrea's packet-in category for NetworkPolicy, and its operation bits (pkg/agent/openflow/packetin.go). */
export const CATEGORY_NP = 1;
export const OP = { log: 0b1, reject: 0b10, storeDeny: 0b100 } as const;
const CONTROLLER_ID = 1;
const WATCH_MS = 1000;
const RECONNECT_MS = 1000;
const RESYNC_SECONDS = 300;

const INGRESS_TABLES = new Set(['AntreaPolicyIngressRule', 'IngressRule', 'IngressDefaultRule', 'IngressMetric']);

export interface AgentOptions extends NodeOptions {
  log?: (line: string) => void;
  /**
   * false: something else loads the bundle into the switch (the conformance runner does, to check what it
   * loads); the agent then only reads it. The one apply call stays in apply.ts.
   */
  apply?: boolean;
  /** Sends the flow records here instead of the compiled collector address (a test collector on a free port). */
  collector?: { host: string; port: number };
}

interface Live {
  bundle: LoadedBundle;
  tableNames: Map<number, string>;
  macs: Map<string, { ofport: number; mac: Buffer }>;
  gateway: { ofport: number; mac: Buffer };
  l3Forwarding?: number;
}

const macBytes = (m: string) => Buffer.from(m.split(':').map((x) => parseInt(x, 16)));

export class Agent {
  private live?: Live;
  private exporter?: FlowExporter;
  private of?: OpenFlowClient;
  private watchTimer?: NodeJS.Timeout;
  private reconnectTimer?: NodeJS.Timeout;
  private stopping = false;
  private lastMeta = '';
  private lastFull = Date.now();
  private reloading?: Promise<void>;
  readonly rundir: string;
  readonly stats = { applies: 0, packetIns: 0, rejects: 0, denies: 0 };

  constructor(
    readonly dir: string,
    private readonly opts: AgentOptions,
  ) {
    this.rundir = connectOvs({ db: opts.db, bridge: opts.bridge }).rundir;
  }

  private log(line: string): void {
    (this.opts.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(`dpc agent: ${line}`);
  }

  async start(): Promise<void> {
    findTool('ovs-appctl');
    await this.reload();
    this.watchTimer = setInterval(() => {
      // One apply at a time: a slow one is not overtaken by the next tick.
      if (this.reloading) return;
      this.reloading = this.reload()
        .catch((e: unknown) => this.log(`bundle not applied: ${(e as Error).message}`))
        .finally(() => (this.reloading = undefined));
    }, WATCH_MS);
    await this.connectController();
  }

  /** Applies the bundle when its bundle.json changed since the last apply, and renews what the agent knows. */
  async reload(): Promise<void> {
    const node = nodeName(this.opts.node);
    const metaText = openBundle(this.dir, node).metaText;
    const resync = Number(process.env.DPC_RESYNC_SECONDS ?? RESYNC_SECONDS) * 1000;
    const full = resync > 0 && Date.now() - this.lastFull >= resync;
    if (metaText === this.lastMeta && !full) return;
    let bundle: LoadedBundle;
    if (this.opts.apply === false) bundle = loadBundle(this.dir, node);
    else {
      const openflow = this.of && !this.of.closed ? { openflow: this.of } : {};
      ({ bundle } = await applyOnce(this.dir, { ...this.opts, ...openflow, full }));
      if (full) this.lastFull = Date.now();
    }
    if (metaText === this.lastMeta) return;
    this.lastMeta = metaText;
    this.stats.applies++;
    const meta = bundle.meta as unknown as { tables: Record<string, number>; inventory: { gateway: { ofport: number; mac: string }; pods: { ip: string; ofport: number; mac: string }[] } };
    this.live = {
      bundle,
      tableNames: new Map(Object.entries(meta.tables).map(([n, id]) => [id, n])),
      macs: new Map(meta.inventory.pods.map((p) => [p.ip, { ofport: p.ofport, mac: macBytes(p.mac) }])),
      gateway: { ofport: meta.inventory.gateway.ofport, mac: macBytes(meta.inventory.gateway.mac) },
      ...(meta.tables['L3Forwarding'] !== undefined ? { l3Forwarding: meta.tables['L3Forwarding'] } : {}),
    };
    const exporterFile = join(bundle.dir, 'visibility/exporter.json');
    const naming = existsSync(exporterFile) ? Naming.load(bundle.dir, this.opts.collector) : undefined;
    if (naming?.settings.enabled && ['tcp', 'udp'].includes(naming.settings.collector.transport)) {
      if (this.exporter) this.exporter.setNaming(naming);
      else {
        this.exporter = new FlowExporter(naming, { dumpConntrack: () => this.dumpConntrack(), log: (l) => this.log(l) });
        this.exporter.start();
      }
    }
    this.log(`applied bundle sha256:${bundle.digest.slice(0, 12)}${this.exporter ? ', exporting flow records' : ''}`);
  }

  private async dumpConntrack(): Promise<string> {
    const { stdout } = await run('ovs-appctl', ['dpctl/dump-conntrack', '-m', '-s'], { env: { ...process.env, OVS_RUNDIR: this.rundir }, maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  }

  private async connectController(): Promise<void> {
    if (this.stopping) return;
    const bridge = this.live?.bundle.meta.bridge ?? this.opts.bridge ?? 'br-int';
    try {
      this.of = await OpenFlowClient.connect(join(this.rundir, `${bridge}.mgmt`), CONTROLLER_ID, (p) => this.packetIn(p), (e) => {
        if (this.stopping) return;
        this.log(`controller connection lost (${e.message}); reconnecting`);
        this.reconnectTimer = setTimeout(() => void this.connectController(), RECONNECT_MS);
      });
    } catch (e) {
      this.log(`cannot connect to ${bridge}.mgmt: ${(e as Error).message}; retrying`);
      this.reconnectTimer = setTimeout(() => void this.connectController(), RECONNECT_MS);
    }
  }

  private packetIn(p: PacketIn): void {
    this.stats.packetIns++;
    const ud = p.userdata;
    if (!ud || ud.length < 2 || ud[0] !== CATEGORY_NP || !this.live) return;
    const ops = ud[1]!;
    const f = parseFrame(p.packet);
    if (!f) return;
    try {
      if (ops & OP.reject) this.reject(p, f);
      if (ops & OP.storeDeny) this.storeDeny(p, f);
    } catch (e) {
      this.log(`packet-in: ${(e as Error).message}`);
    }
  }

  /**
   * reject.go: the answer goes from the rejected packet's destination back to its source. Which ports it uses
   * depends on which of the two are local: both (rejectPodLocal: from the destination's port straight to the
   * sender's, with the two interfaces' MACs), only the sender (rejectPodRemoteToLocal: as if from the gateway,
   * straight to the sender's port), only the destination (rejectPodLocalToRemote: as if from the destination's
   * port, through the pipeline from L3Forwarding, whose flows rewrite the MACs and choose the tunnel and tun_dst).
   * Every answer carries GeneratedRejectPacketOut.
   */
  private reject(p: PacketIn, f: ReturnType<typeof parseFrame> & object): void {
    const live = this.live!;
    const sender = live.macs.get(f.srcIp);
    const rejecter = live.macs.get(f.dstIp);
    const mark = GeneratedRejectPacketOutRegMark;
    const actions = [PacketOutAction.loadReg(mark.field.reg, mark.field.lo, mark.field.hi, mark.value)];
    let inPort: number;
    let srcMac: Buffer = Buffer.from(f.dstMac);
    let dstMac: Buffer = Buffer.from(f.srcMac);
    if (sender && rejecter) {
      inPort = rejecter.ofport;
      [srcMac, dstMac] = [rejecter.mac, sender.mac];
      actions.push(PacketOutAction.output(sender.ofport));
    } else if (sender) {
      inPort = live.gateway.ofport;
      actions.push(PacketOutAction.output(sender.ofport));
    } else if (rejecter && live.l3Forwarding !== undefined) {
      inPort = rejecter.ofport;
      actions.push(PacketOutAction.resubmit(live.l3Forwarding));
    } else {
      this.log(`reject ${f.srcIp} -> ${f.dstIp}: neither end is a Pod of this Node; not answered`);
      return;
    }
    this.of?.packetOutActions(rejectFrame(f, srcMac, dstMac), inPort, actions);
    this.stats.rejects++;
  }

  private storeDeny(p: PacketIn, f: ReturnType<typeof parseFrame> & object): void {
    if (!this.exporter || ![6, 17, 132].includes(f.protocol)) return;
    const live = this.live!;
    const table = live.tableNames.get((p.regs[2] ?? 0) & 0xff) ?? '';
    const disposition = ((p.regs[0] ?? 0) >>> 11) & 0b11;
    const reg3 = p.regs[3] ?? 0;
    this.exporter.addDenied({
      flow: { src: f.srcIp, dst: f.dstIp, sport: f.sport, dport: f.dport, protocol: f.protocol },
      ipLength: f.ipLength,
      // OVS leaves zero registers out of a packet-in: a K8s isolation drop carries no rule ID (packetin.go).
      ...(reg3 !== 0 ? { ruleId: reg3 } : {}),
      direction: INGRESS_TABLES.has(table) ? 'Ingress' : 'Egress',
      action: disposition === 0b10 ? RuleAction.reject : RuleAction.drop,
      ...(p.ctLabel ? { labels: p.ctLabel } : {}),
    });
    this.stats.denies++;
  }

  /**
   * Resolves once every packet-in the switch queued for this agent before the call has been handled and the
   * answers it sent have been executed by the switch (the first barrier's reply follows those packet-ins, the
   * second follows the packet-outs written while handling them).
   */
  async settle(): Promise<void> {
    const of = this.of;
    if (!of || of.closed) return;
    await of.barrier();
    await of.barrier();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.watchTimer);
    clearTimeout(this.reconnectTimer);
    await this.reloading;
    this.of?.close();
    await this.exporter?.stop();
  }
}

/** The command: runs until SIGTERM or SIGINT, then stops cleanly and exits 0. */
export async function agentCommand(dir: string, opts: AgentOptions): Promise<number> {
  const agent = new Agent(dir, opts);
  await agent.start();
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await agent.stop();
  return 0;
}
