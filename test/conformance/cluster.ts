// One private Open vSwitch per Node, joined by a userspace underlay so tunnels really encapsulate, each loaded
// with its Node's compiled bundle the way a Node applies it: ovsdb/transact.json creates the tunnel and gateway
// ports, Pod ports are added as the CNI plugin would (dummy ports with the inventory's ofport), meters and
// groups go in before the flows. An OpenFlow connection per controller ID stands in for the agent's.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addUnderlay, linkUnderlay, startOvs, UPLINK_PORT, type Ovs, type Underlay } from '../harness/ovs.js';
import { arp, ETH_TYPE, ethernet, ipToBytes, parseFrame, parsePcap } from '../harness/packets.js';
import type { NodeBundle } from '../../targets/bundle/bundle.js';
import type { BundleInventory } from '../harness/bundle.js';
import { ControllerConnection, type PacketIn } from './openflow.js';
import { Unixctl } from './unixctl.js';

export type BundleMeta = BundleInventory;
export type InventoryPod = BundleInventory['inventory']['pods'][number];

import type { RuleEntry } from '../../review/explain/bundles.js';
export type { RuleEntry };

export interface Frame {
  port: string;
  bytes: Buffer;
}

/** Reads a tx_pcap file incrementally: each call returns only the frames written since the previous one. */
export class PcapCursor {
  private offset = 0;

  constructor(readonly path: string) {}

  /** New complete frames, and whether a partly written record was left for the next read. */
  read(): { frames: Buffer[]; partial: boolean } {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.path);
    } catch {
      return { frames: [], partial: false };
    }
    if (bytes.length < this.offset) this.offset = 0; // the file was recreated
    if (bytes.length < 24) return { frames: [], partial: bytes.length > 0 };
    const start = Math.max(this.offset, 24);
    // parsePcap wants a global header; reuse the file's own in front of the unread records.
    const frames = parsePcap(Buffer.concat([bytes.subarray(0, 24), bytes.subarray(start)]));
    const consumed = frames.reduce((n, f) => n + 16 + f.length, 0);
    this.offset = start + consumed;
    return { frames, partial: this.offset < bytes.length };
  }
}

function ipToInt(ip: string): number {
  return ipToBytes(ip).readUInt32BE(0);
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [base, lenText] = cidr.split('/');
  const len = Number(lenText);
  if (base === undefined || !Number.isInteger(len)) return false;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((ipToInt(base) & mask) >>> 0) === ((ipToInt(ip) & mask) >>> 0);
}

/** The longest prefix (at most /24) that holds every address, so one underlay subnet joins all Nodes. */
export function commonPrefix(ips: string[]): number {
  let len = 24;
  const ints = ips.map(ipToInt);
  const first = ints[0] ?? 0;
  while (len > 0) {
    const mask = (0xffffffff << (32 - len)) >>> 0;
    if (ints.every((v) => ((v & mask) >>> 0) === ((first & mask) >>> 0))) break;
    len--;
  }
  return len;
}

/** The controller IDs that the flows' controller actions address (`controller(...,id=N,...)`; 0 when absent). */
export function controllerIds(flowsText: string): number[] {
  const ids = new Set<number>();
  for (const m of flowsText.matchAll(/controller\(([^)]*)\)|\bcontroller\b/g)) {
    const args = m[1] ?? '';
    const id = /(?:^|,)id=(\d+)/.exec(args);
    ids.add(id ? Number(id[1]) : 0);
  }
  return [...ids].sort((a, b) => a - b);
}

function linesOf(text: string | undefined): string[] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/**
 * A `system` port attaches a device the Node already has (a TrafficControl `device`, which the Go tests create by
 * hand); on the test's dummy datapath a dummy port of that name stands in for it, with its frames in a pcap.
 */
export function devicePortAsDummy(op: unknown): unknown {
  const o = op as { op?: string; table?: string; row?: { type?: string } };
  if (o.op !== 'insert' || o.table !== 'Interface' || o.row?.type !== 'system') return op;
  return { ...o, row: { ...o.row, type: 'dummy' } };
}

export class ClusterNode {
  bundle!: BundleMeta;
  rules: Map<number, RuleEntry> | undefined;
  /** What the gateway port really carries on the switch (Interface mac_in_use). */
  gatewayMac = '';
  /** ns/name → the Pod's port as created on this switch. */
  readonly podPorts = new Map<string, InventoryPod>();
  readonly cursors = new Map<string, PcapCursor>();
  readonly controllers = new Map<number, ControllerConnection>();
  private applied: { transact?: string; groups?: string; meters?: string } = {};
  private arpCache = new Map<string, string | undefined>();

  constructor(
    readonly name: string,
    readonly internalIP: string,
    readonly ovs: Ovs,
    readonly ctl: Unixctl,
    readonly underlay: Underlay,
  ) {
    this.cursors.set(UPLINK_PORT, new PcapCursor(underlay.uplinkPcap));
  }

  get bridge(): string {
    return this.bundle.bridge || 'br-int';
  }

  get gatewayPort(): string {
    return this.bundle.inventory.gateway.name;
  }

  get tunnelPort(): string {
    return this.bundle.inventory.tunnel.name;
  }

  pcapPath(port: string): string {
    return join(this.ovs.dir, `${port}.pcap`);
  }

  /** Loads a bundle: the OVSDB part once, then ports, meters, groups and flows; conntrack starts empty. */
  async apply(bundle: NodeBundle): Promise<void> {
    const file = (p: string): string | undefined => bundle.files.get(p);
    const meta = JSON.parse(file('bundle.json') ?? 'null') as BundleMeta | null;
    if (!meta) throw new Error(`bundle for ${bundle.node} has no bundle.json`);
    this.bundle = meta;
    this.arpCache.clear();

    const transact = file('ovsdb/transact.json');
    if (transact === undefined) throw new Error(`bundle for ${bundle.node} has no ovsdb/transact.json`);
    if (this.applied.transact === undefined) {
      const doc = JSON.parse(transact) as unknown[];
      if (!Array.isArray(doc) || doc[0] !== 'Open_vSwitch') throw new Error(`${bundle.node}: ovsdb/transact.json is not ["Open_vSwitch", ...operations]`);
      this.ovs.transact(doc.slice(1).map(devicePortAsDummy));
      const gw = meta.inventory.gateway.name;
      // vsctl waits for ovs-vswitchd to catch up, so the transaction's ports exist once this returns.
      this.ovs.vsctl('set', 'interface', gw, `options:tx_pcap=${this.pcapPath(gw)}`);
      this.cursors.set(gw, new PcapCursor(this.pcapPath(gw)));
      this.gatewayMac = (JSON.parse(this.ovs.vsctl('get', 'interface', gw, 'mac_in_use')) as string).toLowerCase();
      if (this.gatewayMac !== meta.inventory.gateway.mac.toLowerCase()) {
        throw new Error(`${bundle.node}: ${gw} came up with MAC ${this.gatewayMac}, the bundle assumes ${meta.inventory.gateway.mac}`);
      }
      // OpenFlow port settings OVSDB cannot hold (a TrafficControl port is no-flood, a bit only OpenFlow 1.0 has).
      for (const line of linesOf(file('openflow/portmods.txt'))) this.ovs.ofctl('-O', 'OpenFlow10', 'mod-port', this.bridge, ...line.split(' '));
      this.applied.transact = transact;
    } else if (transact !== this.applied.transact) {
      throw new Error(`${bundle.node}: ovsdb/transact.json changed between steps; the runner applies it once per case`);
    }

    this.syncPodPorts(meta.inventory.pods);
    this.checkPorts();

    const groups = file('openflow/groups.txt') ?? '';
    const meters = file('openflow/meters.txt') ?? '';
    const flows = file('openflow/flows.txt');
    if (flows === undefined) throw new Error(`bundle for ${bundle.node} has no openflow/flows.txt`);
    if (groups !== this.applied.groups || meters !== this.applied.meters) {
      if (this.applied.groups !== undefined) {
        // Flows that use a group or meter go with it; the full flow set is loaded right after.
        this.ovs.ofctl('del-flows', this.bridge);
        this.ovs.ofctl('del-groups', this.bridge);
        this.ovs.ofctl('del-meters', this.bridge);
      }
      const meterLines = linesOf(meters);
      const groupLines = linesOf(groups);
      if (meterLines.length) this.ovs.addMeters(meterLines);
      if (groupLines.length) this.ovs.addGroups(groupLines);
      this.applied.groups = groups;
      this.applied.meters = meters;
    }
    this.ovs.replaceFlows(flows);

    for (const id of [0, ...controllerIds(flows)]) {
      if (!this.controllers.has(id)) {
        this.controllers.set(id, await ControllerConnection.connect(join(this.ovs.dir, `${this.bridge}.mgmt`), id));
      }
    }

    const rules = file('visibility/rules.json');
    this.rules = undefined;
    if (rules !== undefined) {
      const doc = JSON.parse(rules) as { rules?: RuleEntry[] };
      this.rules = new Map((doc.rules ?? []).map((r) => [r.id, r]));
    }

    // Datapath flows cached under the previous flow tables must not decide a packet of this step.
    await this.ctl.call('revalidator/purge');
    await this.flushConntrack();
  }

  /** Makes the switch's Pod ports equal the inventory: removes the gone or changed ones, adds the new ones. */
  private syncPodPorts(pods: InventoryPod[]): void {
    const want = new Map(pods.map((p) => [`${p.namespace}/${p.name}`, p]));
    const args: string[] = [];
    for (const [key, have] of this.podPorts) {
      const w = want.get(key);
      if (!w || w.interface !== have.interface || w.ofport !== have.ofport) {
        args.push('--', 'del-port', this.bridge, have.interface);
        this.podPorts.delete(key);
        this.cursors.delete(have.interface);
      }
    }
    for (const [key, p] of want) {
      const have = this.podPorts.get(key);
      if (have) {
        this.podPorts.set(key, p); // same port; the MAC or IP the Pod uses may differ
        continue;
      }
      const pcap = this.pcapPath(p.interface);
      args.push('--', 'add-port', this.bridge, p.interface, '--', 'set', 'interface', p.interface, 'type=dummy', `ofport_request=${p.ofport}`, `options:tx_pcap=${pcap}`);
      this.podPorts.set(key, p);
    }
    if (args.length) {
      this.ovs.vsctl(...args.slice(1));
      for (const p of pods) if (!this.cursors.has(p.interface)) this.cursors.set(p.interface, new PcapCursor(this.pcapPath(p.interface)));
    }
  }

  /** Every port the bundle counts on must hold the ofport it assumes. */
  private checkPorts(): void {
    const out = JSON.parse(this.ovs.vsctl('--format=json', '--columns=name,ofport,error', 'list', 'Interface')) as { data: unknown[][] };
    const actual = new Map<string, { ofport: number; error: string }>();
    for (const row of out.data) {
      const [name, ofport, error] = row;
      const err = Array.isArray(error) && error[0] === 'set' ? '' : String(error);
      actual.set(String(name), { ofport: typeof ofport === 'number' ? ofport : -1, error: err });
    }
    const expect: [string, number][] = [
      [this.bundle.inventory.gateway.name, this.bundle.inventory.gateway.ofport],
      [this.bundle.inventory.tunnel.name, this.bundle.inventory.tunnel.ofport],
      ...this.bundle.inventory.pods.map((p): [string, number] => [p.interface, p.ofport]),
      ...(this.bundle.inventory.trafficControlPorts ?? []).map((p): [string, number] => [p.name, p.ofport]),
    ];
    const bad = expect.filter(([name, ofport]) => actual.get(name)?.ofport !== ofport);
    if (bad.length) {
      const what = bad.map(([name, ofport]) => `${name} wants ofport ${ofport}, has ${actual.get(name)?.ofport ?? 'no port'}${actual.get(name)?.error ? ` (${actual.get(name)?.error})` : ''}`);
      throw new Error(`${this.name}: ports not as the bundle assumes: ${what.join('; ')}`);
    }
  }

  async flushConntrack(): Promise<void> {
    await this.ctl.call('dpctl/flush-conntrack');
  }

  /** Packets each datapath port has taken off its receive queue so far (`dpctl/show -s`, read live). */
  async rxPackets(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    let port: string | undefined;
    for (const line of (await this.ctl.call('dpctl/show', '-s')).split('\n')) {
      const p = /^\s*port \d+: (\S+)/.exec(line);
      if (p) port = p[1];
      const rx = /^\s*RX packets:(\d+)/.exec(line);
      if (rx && port !== undefined) out.set(port, Number(rx[1]));
    }
    return out;
  }

  /**
   * Feeds frames into the datapath as if received on `port`, and returns once the datapath has taken every one
   * of them off the port's queue and run it to the end. A dummy port queues at most 100 frames and the datapath
   * takes one per main-loop turn, so frames go in by the few and each batch is waited for, by the port's
   * receive counter, before the next.
   */
  async receive(port: string, frames: Buffer[]): Promise<void> {
    const CHUNK = 32;
    const deadline = Date.now() + 20_000;
    for (let i = 0; i < frames.length; i += CHUNK) {
      const chunk = frames.slice(i, i + CHUNK);
      const base = (await this.rxPackets()).get(port) ?? 0;
      await this.ctl.call('netdev-dummy/receive', port, ...chunk.map((f) => f.toString('hex')));
      for (;;) {
        const now = (await this.rxPackets()).get(port) ?? 0;
        if (now >= base + chunk.length) break;
        if (Date.now() > deadline) throw new Error(`${this.name}: ${port} took ${now - base} of ${chunk.length} frames off its queue`);
      }
    }
  }

  /**
   * Returns once every frame fed so far has been through the datapath and every packet-in it caused has
   * reached our controller connections.
   */
  async settle(): Promise<void> {
    await this.ctl.call('version');
    await Promise.all([...this.controllers.values()].map((c) => c.barrier()));
  }

  /** Frames transmitted on any watched port since the last call. */
  async collect(): Promise<Frame[]> {
    const out: Frame[] = [];
    for (let attempt = 0; ; attempt++) {
      let partial = false;
      for (const [port, cursor] of this.cursors) {
        const r = cursor.read();
        for (const bytes of r.frames) out.push({ port, bytes });
        partial ||= r.partial;
      }
      if (!partial || attempt > 50) return out;
      await this.ctl.call('version'); // a record is being written; let the writer finish it
    }
  }

  packetIns(): PacketIn[] {
    return [...this.controllers.values()].flatMap((c) => c.drain());
  }

  /** The Pod port (and the Pod's MAC) of `ns/name` on this Node. */
  pod(key: string): InventoryPod | undefined {
    return this.podPorts.get(key);
  }

  podByIp(ip: string): InventoryPod | undefined {
    return [...this.podPorts.values()].find((p) => p.ip === ip);
  }

  /**
   * Resolves a neighbour the Node's own stack reaches through the gateway port, the way the kernel does: an ARP
   * request out of antrea-gw0, answered by the switch (Antrea's ARP responder answers for peer gateways).
   */
  async arpFromGateway(ip: string): Promise<string | undefined> {
    if (this.arpCache.has(ip)) return this.arpCache.get(ip);
    const gw = this.gatewayPort;
    await this.collect(); // start from a clean cursor
    const request = ethernet({
      src: this.gatewayMac,
      dst: 'ff:ff:ff:ff:ff:ff',
      type: ETH_TYPE.arp,
      payload: arp({ op: 1, sha: this.gatewayMac, spa: this.bundle.node.gatewayIP, tpa: ip }),
    });
    await this.receive(gw, [request]);
    await this.settle();
    let mac: string | undefined;
    for (const f of await this.collect()) {
      if (f.port !== gw) continue;
      const p = parseFrame(f.bytes);
      if (p.arp && p.arp.op === 2 && p.arp.spa === ip) mac = p.arp.sha;
    }
    this.arpCache.set(ip, mac);
    return mac;
  }

  async stop(): Promise<void> {
    for (const c of this.controllers.values()) c.close();
    this.ctl.close();
    await this.ovs.stop();
  }
}

/** The Nodes of one case: started as bundles name them, kept across the case's steps, stopped by PID. */
export class Cluster {
  readonly nodes = new Map<string, ClusterNode>();

  nodeByIp(ip: string): ClusterNode | undefined {
    return [...this.nodes.values()].find((n) => n.internalIP === ip);
  }

  /** The Node whose Pod CIDR holds `ip`. */
  nodeByPodIp(ip: string): ClusterNode | undefined {
    return [...this.nodes.values()].find((n) => cidrContains(n.bundle.node.podCIDR, ip));
  }

  private async startNode(name: string, internalIP: string, prefix: number): Promise<ClusterNode> {
    const ovs = await startOvs();
    try {
      const underlay = addUnderlay(ovs, internalIP, prefix);
      const ctl = await Unixctl.connectVswitchd(ovs.dir, ovs.pids.vswitchd);
      return new ClusterNode(name, internalIP, ovs, ctl, underlay);
    } catch (e) {
      await ovs.stop();
      throw e;
    }
  }

  /** Applies one compiled step: every bundle to its Node's switch (starting Nodes seen for the first time). */
  async apply(bundles: readonly NodeBundle[]): Promise<void> {
    const metas = bundles.map((b) => ({ bundle: b, meta: JSON.parse(b.files.get('bundle.json') ?? '{}') as Partial<BundleMeta> }));
    const ips = metas.map((m) => m.meta.node?.internalIP ?? '');
    if (ips.some((ip) => !ip)) throw new Error('a bundle.json names no node.internalIP');
    const prefix = commonPrefix([...ips, ...[...this.nodes.values()].map((n) => n.internalIP)]);
    const fresh: ClusterNode[] = [];
    for (const { bundle, meta } of metas) {
      if (this.nodes.has(bundle.node)) continue;
      const node = await this.startNode(bundle.node, meta.node?.internalIP ?? '', prefix);
      this.nodes.set(bundle.node, node);
      fresh.push(node);
    }
    for (const a of fresh) {
      for (const b of this.nodes.values()) {
        if (a === b) continue;
        linkUnderlay(a.ovs, b.underlay);
        linkUnderlay(b.ovs, a.underlay);
      }
    }
    for (const { bundle } of metas) await this.nodes.get(bundle.node)?.apply(bundle);
    const gone = [...this.nodes.keys()].filter((n) => !bundles.some((b) => b.node === n));
    if (gone.length) throw new Error(`Nodes ${gone.join(', ')} have no bundle in this step`);
  }

  async flushConntrack(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.flushConntrack()));
  }

  async stop(): Promise<void> {
    const nodes = [...this.nodes.values()];
    this.nodes.clear();
    await Promise.all(nodes.map((n) => n.stop()));
  }
}
