// The `traffic` check kind (TrafficControl; conformance/README.md): traffic between two Pods on the
// real switches, counting what OVS sends to a mirror or redirect target and what comes back through a return port.
//
// The runner plays the parts the Go tests leave to Linux, and nothing else:
// - the `to` Pod answers: an ICMP echo request gets its reply; a TCP connection to `port` is accepted and an HTTP
//   GET gets the Pod's name back (agnhost netexec /hostname);
// - the Node's own stack: a TrafficControl tunnel's outer packet is routed by the host into antrea-gw0, as the
//   kernel routes a packet to a Pod address (a bridge `br-host` holds the gateway's address and MAC, and its one
//   port hands the frames back to the runner, which injects them at the gateway port);
// - a veth pair: what OVS sends into `target1` comes back out of `return1` into OVS;
// - the collector Pod's VXLAN device: a frame reaching that Pod for its UDP port with the TrafficControl's VNI is
//   decapsulated (counted as that device's RX);
// - underlay links between Nodes, as the prober does (encapsulated frames carried to the Node owning tun_dst).
// Counts are deltas of the datapath's own port counters over the traffic, read as `ip -s link` would read them.

import { UPLINK_PORT } from '../harness/ovs.js';
import { ETH_TYPE, ethernet, icmpEcho, ipv4, IP_PROTO, parseFrame, tcpPacket, type ParsedFrame } from '../harness/packets.js';
import type { Step } from './cases.js';
import { commonPrefix, PcapCursor, type Cluster, type ClusterNode, type InventoryPod } from './cluster.js';

type Obj = Record<string, unknown>;

export interface TrafficTarget {
  port: string;
  node?: string;
  /** The Pod holding `port` (a collector's VXLAN device), instead of a Node's host. */
  pod?: string;
  remoteIP?: string;
  returnPort?: string;
  /** A count, or `pod`: the packets the `to` Pod's interface received plus sent. */
  packets: number | 'pod';
  tolerance: number;
}

export interface TrafficCheck {
  kind: 'traffic';
  label: string;
  from: string;
  to: string;
  protocol: 'ICMP' | 'TCP';
  port?: number;
  /** ICMP: echo requests sent. */
  packets?: number;
  /** TCP: HTTP requests, one connection each. */
  requests?: number;
  verdict?: 'allow';
  mirroredTo?: TrafficTarget;
  redirectedTo?: TrafficTarget;
}

type Fail = (where: string, message: string) => never;

function count(v: unknown, where: string, fail: Fail, allowPod = false): number | 'pod' {
  if (allowPod && v === 'pod') return 'pod';
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(where, `must be a non-negative integer${allowPod ? ' or pod' : ''}`);
  return v as number;
}

function target(v: unknown, where: string, fail: Fail, redirect: boolean): TrafficTarget {
  if (typeof v !== 'object' || v === null) fail(where, 'must be a mapping');
  const o = v as Obj;
  const str = (k: string): string | undefined => {
    if (o[k] === undefined) return undefined;
    if (typeof o[k] !== 'string' || o[k] === '') fail(`${where}.${k}`, 'must be a non-empty string');
    return o[k] as string;
  };
  const t: TrafficTarget = {
    port: str('port') ?? fail(`${where}.port`, 'is required'),
    packets: count(o['packets'], `${where}.packets`, fail, redirect),
    tolerance: count(o['tolerance'] ?? 0, `${where}.tolerance`, fail) as number,
  };
  for (const k of ['node', 'pod', 'remoteIP', 'returnPort'] as const) {
    const s = str(k);
    if (s !== undefined) t[k] = s;
  }
  if ((t.node === undefined) === (t.pod === undefined)) fail(where, 'needs exactly one of node, pod');
  if (redirect && t.returnPort === undefined) fail(`${where}.returnPort`, 'is required');
  return t;
}

/** Parses one `traffic:` check (cases.ts calls this; `fail` throws the case file's error). */
export function parseTrafficCheck(o: Obj, where: string, podKeys: ReadonlySet<string>, fail: Fail): TrafficCheck {
  const pod = (k: 'from' | 'to'): string => {
    const v = o[k];
    if (typeof v !== 'string' || !podKeys.has(v)) fail(`${where}.${k}`, `must name a Pod in force at this step (ns/name)`);
    return v as string;
  };
  const protocol = o['protocol'];
  if (protocol !== 'ICMP' && protocol !== 'TCP') fail(`${where}.protocol`, 'must be ICMP or TCP');
  const check: TrafficCheck = { kind: 'traffic', label: '', from: pod('from'), to: pod('to'), protocol: protocol as 'ICMP' | 'TCP' };
  if (check.protocol === 'ICMP') check.packets = count(o['packets'], `${where}.packets`, fail) as number;
  else {
    check.port = count(o['port'], `${where}.port`, fail) as number;
    check.requests = count(o['requests'], `${where}.requests`, fail) as number;
  }
  if (o['verdict'] !== undefined) {
    if (o['verdict'] !== 'allow') fail(`${where}.verdict`, 'can only be allow');
    check.verdict = 'allow';
  }
  if (o['mirroredTo'] !== undefined) check.mirroredTo = target(o['mirroredTo'], `${where}.mirroredTo`, fail, false);
  if (o['redirectedTo'] !== undefined) check.redirectedTo = target(o['redirectedTo'], `${where}.redirectedTo`, fail, true);
  if (!check.mirroredTo === !check.redirectedTo) fail(where, 'needs exactly one of mirroredTo, redirectedTo');
  const what = check.protocol === 'ICMP' ? `${check.packets} ICMP echo` : `${check.requests} TCP/${check.port} requests`;
  check.label = `traffic ${check.from} -> ${check.to} ${what}, ${check.mirroredTo ? `mirrored to ${check.mirroredTo.port}` : `redirected to ${check.redirectedTo!.port}`}`;
  return check;
}

// ---------------------------------------------------------------------------------------------
// The Node's host

const HOST_BRIDGE = 'br-host';
const HOST_PORT = 'host-out';
const GLOBAL_VIRTUAL_MAC = 'aa:bb:cc:dd:ee:ff';
const prepared = new WeakSet<ClusterNode>();

/**
 * Gives a Node the routes its host has (Pod CIDR on antrea-gw0, each peer's Pod CIDR via that peer's gateway IP)
 * for packets OVS itself sends to an address (a TrafficControl tunnel), and watches the TrafficControl devices.
 */
function prepareNode(node: ClusterNode, cluster: Cluster): void {
  if (prepared.has(node)) return;
  prepared.add(node);
  const { ovs } = node;
  const meta = node.bundle.node;
  const pcap = node.pcapPath(HOST_PORT);
  ovs.vsctl(
    'add-br', HOST_BRIDGE,
    '--', 'set', 'bridge', HOST_BRIDGE, 'datapath_type=dummy', 'fail-mode=secure', `other_config:hwaddr="${node.gatewayMac}"`,
    '--', 'add-port', HOST_BRIDGE, HOST_PORT,
    '--', 'set', 'interface', HOST_PORT, 'type=dummy', 'ofport_request=1', `options:tx_pcap=${pcap}`,
  );
  ovs.ofctl('add-flow', HOST_BRIDGE, 'actions=output:1');
  // OVS routes only to destinations inside one of the bridge's subnets: one prefix that covers every Pod CIDR.
  const cover = commonPrefix([...cluster.nodes.values()].map((n) => n.bundle.node.podCIDR.split('/')[0]!));
  ovs.appctl('netdev-dummy/ip4addr', HOST_BRIDGE, `${meta.gatewayIP}/${Math.min(cover, Number(meta.podCIDR.split('/')[1]))}`);
  ovs.appctl('ovs/route/add', meta.podCIDR, HOST_BRIDGE);
  // The host's neighbours on antrea-gw0: local Pods answer ARP themselves; peer gateways are answered by OVS.
  for (const p of node.bundle.inventory.pods) ovs.appctl('tnl/neigh/set', HOST_BRIDGE, p.ip, p.mac);
  // Antrea routes a peer's Pod CIDR via the peer's gateway IP, onlink, whose ARP OVS answers with the global
  // virtual MAC; OVS's route table takes no onlink gateway, so each remote Pod is a neighbour with that MAC.
  for (const peer of cluster.nodes.values()) {
    if (peer === node) continue;
    ovs.appctl('ovs/route/add', peer.bundle.node.podCIDR, HOST_BRIDGE);
    for (const p of peer.bundle.inventory.pods) ovs.appctl('tnl/neigh/set', HOST_BRIDGE, p.ip, GLOBAL_VIRTUAL_MAC);
  }
  node.cursors.set(HOST_PORT, new PcapCursor(pcap));
  const types = JSON.parse(ovs.vsctl('--format=json', '--columns=name,type', 'list', 'Interface')) as { data: [string, string][] };
  const dummies = new Set(types.data.filter(([, t]) => t === 'dummy').map(([n]) => n));
  for (const p of node.bundle.inventory.trafficControlPorts ?? []) {
    if (!dummies.has(p.name)) continue;
    ovs.vsctl('set', 'interface', p.name, `options:tx_pcap=${node.pcapPath(p.name)}`);
    node.cursors.set(p.name, new PcapCursor(node.pcapPath(p.name)));
  }
}

interface Counters {
  rx: number;
  tx: number;
}

/** Per datapath port, what it has received and transmitted (`dpctl/show -s`, read live). */
async function counters(node: ClusterNode): Promise<Map<string, Counters>> {
  const out = new Map<string, Counters>();
  let port: string | undefined;
  for (const line of (await node.ctl.call('dpctl/show', '-s')).split('\n')) {
    const p = /^\s*port \d+: (\S+)/.exec(line);
    if (p) {
      port = p[1]!;
      out.set(port, { rx: 0, tx: 0 });
    }
    const c = /^\s*(RX|TX) packets:(\d+)/.exec(line);
    if (c && port !== undefined) out.get(port)![c[1] === 'RX' ? 'rx' : 'tx'] = Number(c[2]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Traffic

interface Endpoint {
  key: string;
  node: ClusterNode;
  pod: InventoryPod;
}

function locate(cluster: Cluster, key: string): Endpoint {
  for (const node of cluster.nodes.values()) {
    const pod = node.pod(key);
    if (pod) return { key, node, pod };
  }
  throw new Error(`Pod ${key} has no port on any switch`);
}

const ICMP_ID = 0x7c01;
const CLIENT_PORT_BASE = 41000;

/** The VXLAN settings of the TrafficControl whose tunnel goes to `remoteIP` (the collector's device mirrors them). */
function vxlanTo(step: Step, remoteIP: string): { vni: number; port: number } | undefined {
  for (const o of step.objects) {
    if (o['kind'] !== 'TrafficControl') continue;
    const spec = (o['spec'] ?? {}) as Obj;
    const released = (spec['targetPort'] as Obj | undefined)?.['vxlan'] as Obj | undefined;
    const proposal = (spec['destination'] as Obj | undefined)?.['vxlan'] as Obj | undefined;
    const t = released ?? proposal;
    if (!t || t['remoteIP'] !== remoteIP) continue;
    return { vni: Number(t['vni'] ?? t['tunnelID'] ?? 0), port: Number(t['destinationPort'] ?? 4789) };
  }
  return undefined;
}

/** A VXLAN frame as the collector's device sees it: to its Pod's address and UDP port, with its VNI. */
function isVxlanFor(f: ParsedFrame, ip: string, vxlan: { vni: number; port: number }): boolean {
  const u = f.udp;
  if (!f.ipv4 || f.ipv4.dst !== ip || !u || u.dstPort !== vxlan.port || u.payload.length < 8) return false;
  const flags = u.payload.readUInt8(0);
  const vni = u.payload.readUInt32BE(4) >>> 8;
  return (flags & 0x08) !== 0 && vni === vxlan.vni;
}

interface TcpState {
  clientSeq: number;
  serverSeq: number;
  answered: boolean;
}

class Traffic {
  readonly inbox = new Map<ClusterNode, Map<string, Buffer[]>>();
  decapsulated = 0;
  readonly tcp = new Map<number, TcpState>();
  echoReplies = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly check: TrafficCheck,
    private readonly from: Endpoint,
    private readonly to: Endpoint,
    private readonly veth: ReadonlyMap<string, string>,
    private readonly collector: { endpoint: Endpoint; vxlan: { vni: number; port: number } } | undefined,
  ) {}

  send(node: ClusterNode, port: string, frame: Buffer): void {
    const byPort = this.inbox.get(node) ?? new Map<string, Buffer[]>();
    this.inbox.set(node, byPort);
    byPort.set(port, [...(byPort.get(port) ?? []), frame]);
  }

  private reply(ep: Endpoint, toMac: string, toIp: string, payload: Buffer): void {
    const frame = ethernet({ src: ep.pod.mac, dst: toMac, type: ETH_TYPE.ipv4, payload: ipv4({ src: ep.pod.ip, dst: toIp, proto: IP_PROTO.icmp, payload }) });
    this.send(ep.node, ep.pod.interface, frame);
  }

  private tcpFrame(ep: Endpoint, dstMac: string, dstIp: string, srcPort: number, dstPort: number, flags: string, seq: number, ack: number, data?: Buffer): Buffer {
    return ethernet({
      src: ep.pod.mac,
      dst: dstMac,
      type: ETH_TYPE.ipv4,
      payload: tcpPacket({ srcIp: ep.pod.ip, dstIp, srcPort, dstPort, flags, seq, ack, ...(data ? { payload: data } : {}) }),
    });
  }

  /** What Linux and agnhost do with a frame that reached a Pod. */
  private atPod(ep: Endpoint, f: ParsedFrame): void {
    if (this.collector && ep.key === this.collector.endpoint.key && isVxlanFor(f, ep.pod.ip, this.collector.vxlan)) this.decapsulated++;
    const ip = f.ipv4;
    if (!ip || ip.dst !== ep.pod.ip) return;
    if (ep.key === this.to.key && f.icmp && f.icmp.type === 8) {
      this.reply(ep, f.srcMac, ip.src, icmpEcho({ type: 0, id: f.icmp.id, seq: f.icmp.seq, payload: f.icmp.payload }));
      return;
    }
    if (ep.key === this.from.key && f.icmp && f.icmp.type === 0 && f.icmp.id === ICMP_ID) this.echoReplies++;
    const t = f.tcp;
    if (!t) return;
    if (ep.key === this.to.key && t.dstPort === this.check.port) {
      // agnhost netexec: accept, answer GET /hostname with the Pod's name.
      if (t.flags === 'S') this.send(ep.node, ep.pod.interface, this.tcpFrame(ep, f.srcMac, ip.src, t.dstPort, t.srcPort, 'SA', 5000, t.seq + 1));
      else if (t.payload.length > 0) {
        const body = Buffer.from(this.to.pod.name);
        this.send(ep.node, ep.pod.interface, this.tcpFrame(ep, f.srcMac, ip.src, t.dstPort, t.srcPort, 'PA', 5001, t.seq + t.payload.length, body));
      }
      return;
    }
    const state = this.tcp.get(t.dstPort);
    if (ep.key === this.from.key && state && t.srcPort === this.check.port) {
      if (t.flags === 'SA') {
        state.serverSeq = t.seq + 1;
        const get = Buffer.from('GET /hostname HTTP/1.1\r\nHost: x\r\n\r\n');
        this.send(ep.node, ep.pod.interface, this.tcpFrame(ep, f.srcMac, ip.src, t.dstPort, t.srcPort, 'PA', state.clientSeq, state.serverSeq, get));
      } else if (t.payload.length > 0 && t.payload.toString() === this.to.pod.name) state.answered = true;
    }
  }

  /** Runs frames until nothing more is in flight. */
  async pump(): Promise<void> {
    const nodes = [...this.cluster.nodes.values()];
    for (let round = 0; round < 64; round++) {
      if (this.inbox.size === 0) return;
      const batch = [...this.inbox.entries()];
      this.inbox.clear();
      for (const [node, byPort] of batch) for (const [port, frames] of byPort) await node.receive(port, frames);
      await Promise.all(nodes.map((n) => n.settle()));
      for (const node of nodes) {
        for (const { port, bytes } of await node.collect()) {
          let f: ParsedFrame;
          try {
            f = parseFrame(bytes);
          } catch {
            continue;
          }
          if (port === UPLINK_PORT) {
            const peer = f.tunnel ? this.cluster.nodeByIp(f.tunnel.outerDst) : undefined;
            if (peer) this.send(peer, UPLINK_PORT, bytes);
          } else if (port === HOST_PORT) {
            this.send(node, node.gatewayPort, bytes); // the host routes it into antrea-gw0
          } else if (this.veth.has(port)) {
            this.send(node, this.veth.get(port)!, bytes);
          } else {
            const entry = [...node.podPorts.entries()].find(([, p]) => p.interface === port);
            if (entry) this.atPod({ key: entry[0], node, pod: entry[1] }, f);
          }
        }
      }
    }
    throw new Error('traffic still in flight after 64 rounds: a loop');
  }

  start(): void {
    const { from, to, check } = this;
    const dstMac = from.node === to.node ? to.pod.mac : from.node.gatewayMac;
    if (check.protocol === 'ICMP') {
      for (let seq = 1; seq <= check.packets!; seq++) {
        const payload = icmpEcho({ type: 8, id: ICMP_ID, seq, payload: Buffer.alloc(56, seq & 0xff) });
        this.send(from.node, from.pod.interface, ethernet({ src: from.pod.mac, dst: dstMac, type: ETH_TYPE.ipv4, payload: ipv4({ src: from.pod.ip, dst: to.pod.ip, proto: IP_PROTO.icmp, id: seq, payload }) }));
      }
      return;
    }
    for (let r = 0; r < check.requests!; r++) {
      const port = CLIENT_PORT_BASE + r;
      const state: TcpState = { clientSeq: 1000 * (r + 1), serverSeq: 0, answered: false };
      this.tcp.set(port, state);
      this.send(from.node, from.pod.interface, this.tcpFrame(from, dstMac, to.pod.ip, port, check.port!, 'S', state.clientSeq - 1, 0));
    }
  }
}

const delta = (before: Map<string, Counters>, after: Map<string, Counters>, port: string, dir: 'rx' | 'tx'): number =>
  (after.get(port)?.[dir] ?? 0) - (before.get(port)?.[dir] ?? 0);

/** Sends the check's traffic and compares the counts; returns whether it held and a report line per figure. */
export async function runTrafficCheck(cluster: Cluster, step: Step, check: TrafficCheck): Promise<{ ok: boolean; lines: string[] }> {
  const from = locate(cluster, check.from);
  const to = locate(cluster, check.to);
  for (const node of cluster.nodes.values()) prepareNode(node, cluster);
  const lines: string[] = [];
  let ok = true;
  const within = (what: string, got: number, want: number, tolerance: number): void => {
    const good = Math.abs(got - want) <= tolerance;
    ok &&= good;
    lines.push(`${what}: ${got} (expected ${want} ± ${tolerance})${good ? '' : ' WRONG'}`);
  };

  const countNode = (name: string | undefined): ClusterNode => {
    const node = name === undefined ? undefined : cluster.nodes.get(name);
    if (!node) throw new Error(`no switch for Node ${name ?? '(none)'}`);
    return node;
  };
  const veth = new Map<string, string>();
  let collector: { endpoint: Endpoint; vxlan: { vni: number; port: number } } | undefined;
  const m = check.mirroredTo;
  const rd = check.redirectedTo;
  // A veth whose far end OVS does not hold loses what goes in (the counts then show it).
  if (rd && (await counters(countNode(rd.node))).has(rd.returnPort!)) veth.set(rd.port, rd.returnPort!);
  if (m?.pod !== undefined) {
    const vxlan = m.remoteIP !== undefined ? vxlanTo(step, m.remoteIP) : undefined;
    if (!vxlan) throw new Error(`no TrafficControl of the step has a VXLAN target at ${m.remoteIP ?? '(no remoteIP)'} for ${m.port} in ${m.pod}`);
    collector = { endpoint: locate(cluster, m.pod), vxlan };
  }

  for (const node of cluster.nodes.values()) await node.collect(); // what came before is not this check's
  const before = new Map(await Promise.all([...cluster.nodes.values()].map(async (n) => [n, await counters(n)] as const)));
  const traffic = new Traffic(cluster, check, from, to, veth, collector);
  traffic.start();
  await traffic.pump();
  const after = new Map(await Promise.all([...cluster.nodes.values()].map(async (n) => [n, await counters(n)] as const)));
  const d = (node: ClusterNode, port: string, dir: 'rx' | 'tx'): number => delta(before.get(node)!, after.get(node)!, port, dir);

  if (m) {
    const got = m.pod !== undefined ? traffic.decapsulated : d(countNode(m.node), m.port, 'tx');
    within(`${m.pod !== undefined ? `${m.port} in ${m.pod} (VXLAN decapsulated)` : `${m.node}:${m.port} (sent by OVS)`}`, got, m.packets as number, m.tolerance);
  }
  if (rd) {
    const node = countNode(rd.node);
    const sent = d(node, rd.port, 'tx');
    const back = d(node, rd.returnPort!, 'rx');
    const pod = d(to.node, to.pod.interface, 'rx') + d(to.node, to.pod.interface, 'tx');
    const want = rd.packets === 'pod' ? pod : rd.packets;
    lines.push(`${rd.port} sent by OVS ${sent}, ${rd.returnPort} back into OVS ${back}, ${check.to} received+sent ${pod}`);
    for (const [a, av, b, bv] of [['target', sent, 'return', back], ['target', sent, 'expected', want], ['return', back, 'expected', want]] as const) {
      if (Math.abs(av - bv) > rd.tolerance) {
        ok = false;
        lines.push(`${a} ${av} and ${b} ${bv} differ by more than ${rd.tolerance} WRONG`);
      }
    }
    if (sent === 0) {
      ok = false;
      lines.push(`nothing was redirected to ${rd.port} WRONG`);
    }
  }
  if (check.verdict === 'allow') {
    const total = check.protocol === 'ICMP' ? check.packets! : check.requests!;
    const answered = check.protocol === 'ICMP' ? traffic.echoReplies : [...traffic.tcp.values()].filter((s) => s.answered).length;
    ok &&= answered === total;
    lines.push(`answered by ${check.to}: ${answered} of ${total}${answered === total ? '' : ' WRONG'}`);
  }
  return { ok, lines };
}
