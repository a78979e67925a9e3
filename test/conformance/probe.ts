// Deciding cells on the dataplane. Each probe is the first packet of a new connection, injected at the source
// Pod's port on its Node's switch; whatever leaves a switch's uplink as an encapsulated frame is handed, as those
// bytes, to the switch that owns the outer destination IP, until nothing more is in flight. The verdict comes
// only from what the switches did: which ports the packet left on (tx pcaps), and whether it reached the
// controller with Antrea's reject operation (packet-ins on our OpenFlow connections).

import { CookieCategory, cookieParts } from '../../compiler/plan/flow.js';
import { UPLINK_PORT } from '../harness/ovs.js';
import { parseFrame, type ParsedFrame } from '../harness/packets.js';
import type { PodInfo, ProbeSpec } from './cases.js';
import { cidrContains, type Cluster, type ClusterNode, type RuleEntry } from './cluster.js';
import { describeFlow, flowIdentity, probeFrame, protocolNumber, sameFlow, type FlowIdentity } from './frames.js';
import { PacketInOperationField } from '../../compiler/plan/fields.js';
import { CATEGORY_NP, OP } from '../../runtime/agent/agent.js';
import type { PacketIn } from '../../runtime/openflow/client.js';

export type Actual = 'allow' | 'drop' | 'reject' | 'misdelivered' | 'error';

/** One probe: a cell's packet, with the source port (or ICMP identifier) it is sent from. */
export interface Probe {
  spec: ProbeSpec;
  srcPort: number;
}

/** A pass of the packet through one switch: where it entered and the frame as it entered. */
export interface Leg {
  node: string;
  inPort: string;
  inOfport: number;
  frame: Buffer;
  tunnel?: { src: string; dst: string; vni?: number };
}

export interface Emission {
  node: string;
  port: string;
  /** What the port is: `Pod ns/name`, `gateway`, `tunnel to IP (node)`, or the port name. */
  what: string;
  flow: string;
  /** Addresses, protocol and ports as injected. */
  unchanged: boolean;
  ttl: number;
  srcMac: string;
  dstMac: string;
  /** The frame as it left (for a tunnel: the inner frame). */
  bytes: Buffer;
}

export interface PacketInRecord {
  node: string;
  tableId?: number;
  cookie?: string;
  reject: boolean;
  /** Operation bits from the userdata (NP category) and from reg0[25..31]. */
  operations: { fromUserdata?: number; fromReg0: number };
  reg3: number;
}

export interface ProbeOutcome {
  probe: Probe;
  actual: Actual;
  /** One line: what happened, for reports. */
  summary: string;
  legs: Leg[];
  emissions: Emission[];
  packetIns: PacketInRecord[];
  notes: string[];
  /**
   * Reject answers (a TCP reset or an ICMP unreachable for this probe's packet) seen leaving a switch port other
   * than a tunnel; set when the cluster runs agents.
   */
  answers?: Emission[];
}

/** Where the packet must go to count as allowed. */
type Destination =
  | { kind: 'pod'; key: string; ip: string; node: ClusterNode; port: string }
  | { kind: 'host'; ip: string; label: string };

interface Prepared {
  probe: Probe;
  tag: number;
  node: ClusterNode;
  inPort: string;
  inOfport: number;
  frame: Buffer;
  identity: FlowIdentity;
  dest: Destination;
  outcome: ProbeOutcome;
}

/** What happens on the host side once a packet leaves a switch toward the gateway (node-level policy, later). */
export interface HostLegContext {
  probe: Probe;
  /** The Node whose gateway port the packet left on. */
  node: ClusterNode;
  /** The frame as it left that port. */
  frame: ParsedFrame;
  destination: string;
}
export type HostLeg = (ctx: HostLegContext) => Promise<{ verdict: 'allow' | 'drop' | 'reject'; note: string }>;

/** Until node-level policies are built, leaving toward the gateway is where the OVS part of the path ends. */
export const acceptAtGateway: HostLeg = async () => ({ verdict: 'allow', note: 'left toward the host (no node-level policy leg yet)' });

const MAX_TUNNEL_HOPS = 4;
const MAX_TAG = 0xffff;

export class ProbeError extends Error {}

export class Prober {
  private readonly pods: Map<string, PodInfo>;
  private readonly hostLeg: HostLeg;

  constructor(
    readonly cluster: Cluster,
    pods: readonly PodInfo[],
    opts: { hostLeg?: HostLeg } = {},
  ) {
    this.pods = new Map(pods.map((p) => [p.key, p]));
    this.hostLeg = opts.hostLeg ?? acceptAtGateway;
  }

  private node(name: string | undefined, what: string): ClusterNode {
    const node = name ? this.cluster.nodes.get(name) : undefined;
    if (!node) throw new ProbeError(`${what} is on Node ${name ?? '(none)'}, which has no switch`);
    return node;
  }

  private destination(spec: ProbeSpec): Destination {
    let podKey: string | undefined;
    let ip: string;
    if ('pod' in spec.to) {
      const d = this.pods.get(spec.to.pod);
      if (!d) throw new ProbeError(`no Pod ${spec.to.pod}`);
      if (d.hostNetwork) {
        ip = d.ip ?? this.node(d.node, `host-network Pod ${d.key}`).internalIP;
        return { kind: 'host', ip, label: `host-network Pod ${d.key} (${ip})` };
      }
      if (!d.ip) throw new ProbeError(`Pod ${d.key} has no status.podIP`);
      podKey = d.key;
      ip = d.ip;
    } else {
      ip = spec.to.ip;
      podKey = [...this.pods.values()].find((p) => !p.hostNetwork && p.ip === ip)?.key;
      if (!podKey) return { kind: 'host', ip, label: ip };
    }
    const pod = this.pods.get(podKey);
    const node = this.node(pod?.node, `Pod ${podKey}`);
    const port = node.pod(podKey);
    if (!port) throw new ProbeError(`Pod ${podKey} has no port on ${node.name} (not in its bundle's inventory)`);
    return { kind: 'pod', key: podKey, ip, node, port: port.interface };
  }

  /** Source and destination addresses of a probe, as its packet carries them (for conntrack bookkeeping). */
  addresses(spec: ProbeSpec): { src: string; dst: string } {
    const s = this.pods.get(spec.from);
    if (!s) throw new ProbeError(`no Pod ${spec.from}`);
    const dest = this.destination(spec);
    if (s.hostNetwork) return { src: this.node(s.node, `host-network Pod ${s.key}`).bundle.node.gatewayIP, dst: dest.ip };
    if (!s.ip) throw new ProbeError(`Pod ${s.key} has no status.podIP`);
    return { src: s.ip, dst: dest.ip };
  }

  private async prepare(probe: Probe, tag: number): Promise<Prepared> {
    const spec = probe.spec;
    const s = this.pods.get(spec.from);
    if (!s) throw new ProbeError(`no Pod ${spec.from}`);
    const node = this.node(s.node, `Pod ${s.key}`);
    const dest = this.destination(spec);
    const podCIDR = node.bundle.node.podCIDR;
    const gatewayIP = node.bundle.node.gatewayIP;
    let srcIp: string;
    let srcMac: string;
    let dstMac: string | undefined;
    let inPort: string;
    let inOfport: number;
    const notes: string[] = [];
    if (s.hostNetwork) {
      // The Node's own stack: out of antrea-gw0 with the gateway's address and MAC.
      if (dest.kind !== 'pod') throw new ProbeError(`${s.key} is a host-network Pod and ${dest.label} is not a Pod: that path never enters OVS (node-level leg not built yet)`);
      srcIp = gatewayIP;
      srcMac = node.gatewayMac;
      inPort = node.gatewayPort;
      inOfport = node.bundle.inventory.gateway.ofport;
      if (cidrContains(podCIDR, dest.ip)) {
        dstMac = node.podByIp(dest.ip)?.mac;
        if (!dstMac) notes.push(`no Pod with ${dest.ip} on ${node.name}: the host has no neighbour to send to`);
      } else {
        // Antrea routes a peer's Pod CIDR via that peer's gateway IP, onlink on antrea-gw0.
        const peer = this.cluster.nodeByPodIp(dest.ip);
        if (!peer) throw new ProbeError(`no Node's Pod CIDR holds ${dest.ip}`);
        const via = peer.bundle.node.gatewayIP;
        dstMac = await node.arpFromGateway(via);
        if (!dstMac) notes.push(`ARP from ${node.gatewayPort} for ${via} (route to ${peer.bundle.node.podCIDR}) got no answer: the host cannot send`);
        else notes.push(`host route via ${via} (ARP answer ${dstMac})`);
      }
    } else {
      const port = node.pod(s.key);
      if (!port) throw new ProbeError(`Pod ${s.key} has no port on ${node.name} (not in its bundle's inventory)`);
      if (!s.ip) throw new ProbeError(`Pod ${s.key} has no status.podIP`);
      srcIp = s.ip;
      srcMac = port.mac;
      inPort = port.interface;
      inOfport = port.ofport;
      if (dest.ip === gatewayIP || !cidrContains(podCIDR, dest.ip)) {
        dstMac = node.gatewayMac; // off-link (or the gateway itself): the Pod's default route
      } else {
        dstMac = node.podByIp(dest.ip)?.mac;
        if (!dstMac) notes.push(`no Pod with ${dest.ip} on ${node.name}: the Pod's ARP would go unanswered`);
      }
    }
    const frameOpts = {
      srcMac,
      dstMac: dstMac ?? 'ff:ff:ff:ff:ff:ff',
      srcIp,
      dstIp: dest.ip,
      protocol: spec.protocol,
      srcPort: probe.srcPort,
      ipId: tag,
    };
    const frame = probeFrame({ ...frameOpts, ...(spec.port !== undefined ? { dstPort: spec.port } : {}), ...(spec.icmp ? { icmp: spec.icmp } : {}) });
    const identity = flowIdentity(parseFrame(frame));
    if (!identity) throw new ProbeError('built a frame without IPv4');
    const outcome: ProbeOutcome = { probe, actual: 'drop', summary: '', legs: [], emissions: [], packetIns: [], notes };
    if (dstMac) outcome.legs.push({ node: node.name, inPort, inOfport, frame });
    return { probe, tag, node, inPort, inOfport, frame, identity, dest, outcome };
  }

  /**
   * Sends every probe's first packet at once and follows them to the end. The caller makes sure no two probes of
   * one call share a conntrack entry (runner.ts batches them so) and flushes conntrack between calls.
   */
  async run(probes: readonly Probe[]): Promise<ProbeOutcome[]> {
    if (probes.length > MAX_TAG) throw new ProbeError(`at most ${MAX_TAG} probes per batch`);
    const prepared: (Prepared | ProbeOutcome)[] = [];
    for (const [i, probe] of probes.entries()) {
      try {
        prepared.push(await this.prepare(probe, i + 1));
      } catch (e) {
        if (!(e instanceof ProbeError)) throw e;
        prepared.push({ probe, actual: 'error', summary: e.message, legs: [], emissions: [], packetIns: [], notes: [] });
      }
    }
    const live = prepared.filter((p): p is Prepared => 'tag' in p);
    const byTag = new Map(live.map((p) => [p.tag, p]));
    const answers = new AnswerIndex(live);
    const answering = [...this.cluster.nodes.values()].some((n) => n.agent !== undefined);
    if (answering) for (const p of live) p.outcome.answers = [];
    const nodes = [...this.cluster.nodes.values()];
    for (const n of nodes) {
      await n.collect(); // anything transmitted before this batch is not ours
      n.packetIns();
    }

    // Inject, grouped by port so that each command carries several frames.
    const groups = new Map<ClusterNode, Map<string, Buffer[]>>();
    for (const p of live) {
      if (p.outcome.legs.length === 0) continue; // the sender could not resolve a next hop
      const byPort = groups.get(p.node) ?? new Map<string, Buffer[]>();
      groups.set(p.node, byPort);
      byPort.set(p.inPort, [...(byPort.get(p.inPort) ?? []), p.frame]);
    }
    for (const [node, byPort] of groups) for (const [port, frames] of byPort) await node.receive(port, frames);
    await Promise.all(nodes.map((n) => n.settle()));

    for (let hop = 0; ; hop++) {
      const forward = new Map<ClusterNode, Buffer[]>();
      for (const node of nodes) {
        for (const f of await node.collect()) this.observe(node, f.port, f.bytes, byTag, forward, answers);
        for (const pin of node.packetIns()) {
          const parsed = safeParse(pin.packet);
          const id = parsed && flowIdentity(parsed);
          const p = id && byTag.get(id.ipId);
          if (!p || !id || id.proto !== p.identity.proto) continue;
          const rec: PacketInRecord = { node: node.name, reject: isRejectPacketIn(pin), operations: packetInOperations(pin), reg3: pin.regs[3] ?? 0 };
          if (pin.tableId !== undefined) rec.tableId = pin.tableId;
          if (pin.cookie !== undefined) rec.cookie = `0x${pin.cookie.toString(16)}`;
          p.outcome.packetIns.push(rec);
        }
      }
      if (forward.size === 0) break;
      if (hop >= MAX_TUNNEL_HOPS) {
        for (const frames of forward.values()) {
          for (const bytes of frames) {
            const inner = safeParse(bytes)?.tunnel?.inner;
            const id = inner && flowIdentity(inner);
            const p = id && byTag.get(id.ipId);
            p?.outcome.notes.push(`still tunnelled after ${MAX_TUNNEL_HOPS} hops: a loop`);
          }
        }
        break;
      }
      for (const [node, frames] of forward) await node.receive(UPLINK_PORT, frames);
      await Promise.all(nodes.map((n) => n.settle()));
    }

    for (const p of live) await this.classify(p);
    return prepared.map((p) => ('tag' in p ? p.outcome : p));
  }

  /** Attributes one transmitted frame to its probe: an emission, a Reject answer, or a tunnel hop to follow. */
  private observe(node: ClusterNode, port: string, bytes: Buffer, byTag: Map<number, Prepared>, forward: Map<ClusterNode, Buffer[]>, answers: AnswerIndex): void {
    const outer = safeParse(bytes);
    if (!outer) return;
    if (port === UPLINK_PORT) {
      const tunnel = outer.tunnel;
      if (!tunnel) return;
      const answered = answers.of(tunnel.inner);
      if (answered) {
        // An answer to a sender on another Node crosses the underlay like any packet.
        const target = this.cluster.nodeByIp(tunnel.outerDst);
        answered.outcome.notes.push(`answer ${describeAnswer(tunnel.inner)} sent by ${node.name} through the tunnel to ${tunnel.outerDst}${target ? ` (${target.name})` : ' (no Node owns it)'}`);
        if (target) forward.set(target, [...(forward.get(target) ?? []), bytes]);
        return;
      }
      const id = flowIdentity(tunnel.inner);
      const p = id && byTag.get(id.ipId);
      if (!p || !id || id.proto !== p.identity.proto) return;
      const target = this.cluster.nodeByIp(tunnel.outerDst);
      const e = emission(node.name, port, `${tunnel.kind} tunnel to ${tunnel.outerDst}${target ? ` (${target.name})` : ' (no Node owns it)'}`, tunnel.inner, p.identity);
      p.outcome.emissions.push(e);
      if (target) {
        const leg: Leg = { node: target.name, inPort: target.tunnelPort, inOfport: target.bundle.inventory.tunnel.ofport, frame: tunnel.inner.raw, tunnel: { src: tunnel.outerSrc, dst: tunnel.outerDst } };
        if (tunnel.vni !== undefined) leg.tunnel!.vni = tunnel.vni;
        else if (tunnel.key !== undefined) leg.tunnel!.vni = tunnel.key;
        p.outcome.legs.push(leg);
        forward.set(target, [...(forward.get(target) ?? []), bytes]);
      }
      return;
    }
    let what = port;
    if (port === node.gatewayPort) what = 'gateway';
    else {
      const pod = [...node.podPorts.entries()].find(([, v]) => v.interface === port);
      if (pod) what = `Pod ${pod[0]}`;
    }
    const answered = answers.of(outer);
    if (answered) {
      const id = flowIdentity(outer)!;
      (answered.outcome.answers ??= []).push({ ...emission(node.name, port, what, outer, id), flow: describeAnswer(outer) });
      return;
    }
    const id = flowIdentity(outer);
    const p = id && byTag.get(id.ipId);
    if (!p || !id || id.proto !== p.identity.proto) return;
    p.outcome.emissions.push(emission(node.name, port, what, outer, p.identity));
  }

  private async classify(p: Prepared): Promise<void> {
    const o = p.outcome;
    const rejects = o.packetIns.filter((r) => r.reject);
    const where = (e: Emission): string => `${e.node}:${e.port} (${e.what})`;
    const exits = o.emissions.filter((e) => !e.what.includes(' tunnel to ') || e.what.endsWith('(no Node owns it)'));
    if (o.legs.length === 0) {
      o.actual = 'drop';
      o.summary = `never sent: ${o.notes.join('; ')}`;
      return;
    }
    let delivered: Emission[];
    if (p.dest.kind === 'pod') {
      const dest = p.dest;
      delivered = exits.filter((e) => e.node === dest.node.name && e.port === dest.port && e.unchanged);
    } else {
      delivered = exits.filter((e) => e.what === 'gateway' && e.unchanged);
    }
    const stray = exits.filter((e) => !delivered.includes(e));
    const hops = o.emissions.filter((e) => !exits.includes(e)).map((e) => `${e.node} -> ${e.what}`);
    const path = hops.length ? ` via ${hops.join(', ')}` : '';
    if (delivered.length && !stray.length) {
      if (p.dest.kind === 'host') {
        const at = delivered[0]!;
        const node = this.cluster.nodes.get(at.node)!;
        const host = await this.hostLeg({ probe: p.probe, node, frame: parseFrame(at.bytes), destination: p.dest.ip });
        o.actual = host.verdict;
        o.summary = `left ${where(at)}${path}; ${host.note}`;
      } else {
        o.actual = 'allow';
        o.summary = `delivered on ${where(delivered[0]!)}${path}`;
      }
    } else if (delivered.length || stray.length) {
      o.actual = 'misdelivered';
      const changed = o.emissions.filter((e) => !e.unchanged).map((e) => `${where(e)} as ${e.flow}`);
      o.summary = `left on ${[...delivered, ...stray].map(where).join(', ')}${path}${changed.length ? `; rewritten: ${changed.join(', ')}` : ''}`;
    } else if (o.answers !== undefined && (rejects.length || o.answers.length)) {
      // Agents run: a Reject is what the sender gets back, an answer at its own port, as a Pod's stack sees it.
      const home = o.answers.filter((e) => e.node === p.node.name && e.port === p.inPort);
      const elsewhere = o.answers.filter((e) => !home.includes(e)).map((e) => `${e.flow} at ${where(e)}`);
      const pin = rejects[0] ? rejectPacketIn(rejects[0]) : 'no reject packet-in';
      if (home.length) {
        o.actual = 'reject';
        o.summary = `answered at the sender's port ${where(home[0]!)}: ${home[0]!.flow}; ${pin}${path}`;
      } else {
        o.actual = 'drop';
        o.summary = `left nowhere${path}; ${pin}, but no answer reached the sender's port ${p.node.name}:${p.inPort}`;
      }
      if (elsewhere.length) o.summary += `; answers elsewhere: ${elsewhere.join(', ')}`;
    } else if (rejects.length) {
      o.actual = 'reject';
      o.summary = `${rejectPacketIn(rejects[0]!)}${path}`;
    } else {
      o.actual = 'drop';
      const pins = o.packetIns.length ? `; packet-ins without reject: ${o.packetIns.map((r) => `${r.node} table ${r.tableId ?? '?'}`).join(', ')}` : '';
      o.summary = `left nowhere${path}${pins}`;
    }
    if (o.notes.length) o.summary += ` [${o.notes.join('; ')}]`;
  }

  /**
   * The same packets through ofproto/trace on each switch they entered (new connection state at every ct()),
   * to show in a mismatch report which flows decided them. Symbolic: the verdict never comes from here.
   */
  async trace(outcome: ProbeOutcome, maxLines = 40): Promise<string> {
    const out: string[] = [];
    for (const leg of outcome.legs) {
      const node = this.cluster.nodes.get(leg.node);
      if (!node) continue;
      let flow = `in_port=${leg.inOfport}`;
      if (leg.tunnel) flow += `,tun_src=${leg.tunnel.src},tun_dst=${leg.tunnel.dst},tun_id=${leg.tunnel.vni ?? 0}`;
      const ct = Array.from({ length: 8 }, () => ['--ct-next', 'trk,new']).flat();
      let text: string;
      try {
        text = await node.ctl.call('ofproto/trace', ...ct, node.bridge, flow, leg.frame.toString('hex'));
      } catch (e) {
        text = `trace failed: ${(e as Error).message}`;
      }
      out.push(`  trace on ${leg.node}, in ${leg.inPort}:`, ...traceExcerpt(text, maxLines).map((l) => `    ${l}`));
    }
    return out.join('\n');
  }
}

/** The operation bits a packet-in carries: from the userdata (category NetworkPolicy), and from reg0. */
export function packetInOperations(pin: PacketIn): { fromUserdata?: number; fromReg0: number } {
  const f = PacketInOperationField;
  const fromReg0 = ((pin.regs[f.reg] ?? 0) >>> f.lo) & ((1 << (f.hi - f.lo + 1)) - 1);
  const ud = pin.userdata;
  if (ud && ud.length >= 2 && ud[0] === CATEGORY_NP) return { fromUserdata: ud[1] ?? 0, fromReg0 };
  return { fromReg0 };
}

export function isRejectPacketIn(pin: PacketIn): boolean {
  const ops = packetInOperations(pin);
  return ((ops.fromUserdata ?? 0) & OP.reject) !== 0 || (ops.fromReg0 & OP.reject) !== 0;
}

function rejectPacketIn(r: PacketInRecord): string {
  const ops = r.operations.fromUserdata !== undefined ? `userdata operation 0b${r.operations.fromUserdata.toString(2)}, ` : '';
  return `sent to the controller with the reject operation on ${r.node} (table ${r.tableId ?? '?'}, cookie ${r.cookie ?? '?'}, ${ops}reg0 operation 0b${r.operations.fromReg0.toString(2)}, reg3 ${r.reg3})`;
}

/**
 * Finds the probe a Reject answer belongs to: a TCP reset on the reversed 4-tuple (a batch never holds two probes
 * that share a conntrack entry, so the tuple is unique in it), or an ICMP destination unreachable quoting the
 * probe's own IP header (its identification is the probe's tag).
 */
class AnswerIndex {
  private readonly tcp = new Map<string, Prepared>();
  private readonly byTag: Map<number, Prepared>;

  constructor(live: readonly Prepared[]) {
    this.byTag = new Map(live.map((p) => [p.tag, p]));
    for (const p of live) {
      const i = p.identity;
      if (i.proto === 6) this.tcp.set(`${i.dst}|${i.dstPort}|${i.src}|${i.srcPort}`, p);
    }
  }

  of(f: ParsedFrame): Prepared | undefined {
    const ip = f.ipv4;
    if (!ip) return undefined;
    if (f.tcp) return f.tcp.flags.includes('R') ? this.tcp.get(`${ip.src}|${f.tcp.srcPort}|${ip.dst}|${f.tcp.dstPort}`) : undefined;
    if (!f.icmp || f.icmp.type !== 3) return undefined;
    const q = f.icmp.payload;
    if (q.length < 20) return undefined;
    const p = this.byTag.get(q.readUInt16BE(4));
    if (!p || p.identity.src !== ip.dst || q[9] !== p.identity.proto) return undefined;
    const quoted = (at: number): string => [...q.subarray(at, at + 4)].join('.');
    return quoted(12) === p.identity.src && quoted(16) === p.identity.dst ? p : undefined;
  }
}

function describeAnswer(f: ParsedFrame): string {
  const ip = f.ipv4!;
  if (f.tcp) return `TCP ${f.tcp.flags} ${ip.src}:${f.tcp.srcPort} > ${ip.dst}:${f.tcp.dstPort}`;
  return `ICMP unreachable code ${f.icmp?.code ?? '?'} ${ip.src} > ${ip.dst}`;
}

function safeParse(bytes: Buffer): ParsedFrame | undefined {
  try {
    return parseFrame(bytes);
  } catch {
    return undefined;
  }
}

function emission(node: string, port: string, what: string, frame: ParsedFrame, injected: FlowIdentity): Emission {
  const id = flowIdentity(frame);
  return {
    node,
    port,
    what,
    flow: id ? describeFlow(id) : 'non-IPv4',
    unchanged: id ? sameFlow(id, injected) : false,
    ttl: frame.ipv4?.ttl ?? 0,
    srcMac: frame.srcMac,
    dstMac: frame.dstMac,
    bytes: frame.raw,
  };
}

/** The flow lines (table, match, cookie), their actions, and the datapath verdict of each pass. */
export function traceExcerpt(text: string, maxLines = 40): string[] {
  const lines = text.split('\n');
  const keep: string[] = [];
  let inTable = false;
  for (const line of lines) {
    if (/^\s{0,2}\d+\.\s/.test(line)) {
      inTable = true;
      keep.push(line.trimEnd());
    } else if (/^Datapath actions:/.test(line) || /^recirc\(/.test(line)) {
      inTable = false;
      keep.push(line.trimEnd());
    } else if (inTable && /^\s{4}\S/.test(line) && !/^\s*->/.test(line)) {
      keep.push(line.trimEnd());
    } else if (!/^\s{4}/.test(line)) {
      inTable = false;
    }
  }
  return keep.length > maxLines ? [...keep.slice(0, maxLines - 1), `... (${keep.length - maxLines + 1} more lines)`] : keep;
}

// ---------------------------------------------------------------------------------------------
// Attribution: which rule decided a probe, read back from the switches

export interface FlowStat {
  key: string;
  cookie: bigint;
  table: number;
  packets: number;
  actions: string;
}

/** `ovs-ofctl dump-flows` output with statistics, keyed by the flow without its counters. */
export function parseFlowStats(text: string): Map<string, FlowStat> {
  const out = new Map<string, FlowStat>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('cookie=') && !line.includes('actions=')) continue;
    const packets = Number(/n_packets=(\d+)/.exec(line)?.[1] ?? 0);
    const key = line.replace(/\b(duration|n_packets|n_bytes|idle_age|hard_age|idle_timeout|hard_timeout|importance)=[^,\s]*,?\s*/g, '').trim();
    const cookie = BigInt(/cookie=(0x[0-9a-f]+)/.exec(line)?.[1] ?? '0x0');
    const table = Number(/table=(\d+)/.exec(line)?.[1] ?? 0);
    const actions = /actions=(.*)$/.exec(line)?.[1] ?? '';
    out.set(key, { key, cookie, table, packets, actions });
  }
  return out;
}

/** NetworkPolicy flows carry their rule ID in the cookie's object ID bits (compiler/plan/flow.ts). */
export function policyCookieRule(c: bigint): number | undefined {
  const { category, id } = cookieParts(c);
  if (category !== CookieCategory.networkPolicy) return undefined;
  return id === 0 ? undefined : id;
}

export interface ConntrackEntry {
  proto: string;
  src: string;
  dst: string;
  /** sport, or the ICMP id. */
  sport?: number;
  dport?: number;
  zone: number;
  mark: number;
  labels: bigint;
  line: string;
}

export function parseConntrack(text: string): ConntrackEntry[] {
  const out: ConntrackEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\w+),orig=\(([^)]*)\)/.exec(line.trim());
    if (!m) continue;
    const fields = new Map((m[2] ?? '').split(',').map((kv) => kv.split('=') as [string, string]));
    const num = (k: string): number | undefined => (fields.has(k) ? Number(fields.get(k)) : undefined);
    const entry: ConntrackEntry = {
      proto: m[1] ?? '',
      src: fields.get('src') ?? '',
      dst: fields.get('dst') ?? '',
      zone: Number(/zone=(\d+)/.exec(line)?.[1] ?? 0),
      mark: Number(/mark=(\d+|0x[0-9a-f]+)/.exec(line)?.[1] ?? 0),
      labels: BigInt(/labels=(0x[0-9a-f]+)/.exec(line)?.[1] ?? '0x0'),
      line: line.trim(),
    };
    const sport = num('sport') ?? num('id');
    const dport = num('dport');
    if (sport !== undefined) entry.sport = sport;
    if (dport !== undefined) entry.dport = dport;
    out.push(entry);
  }
  return out;
}

export interface Attribution {
  outcome: ProbeOutcome;
  /** The deciding rule IDs found, each with where it was read. */
  found: { node: string; ruleId: number; via: string; entry?: RuleEntry }[];
  notes: string[];
}

export class Attributor {
  constructor(private readonly prober: Prober) {}

  /**
   * Sends one probe alone, with every switch's datapath cache emptied first so that each pass through the
   * pipeline is an upcall that credits the OpenFlow flows it used, and reads back the deciding rule:
   * ct_label of the committed connection (allowed), reg3 of the reject packet-in, or the NetworkPolicy drop
   * flow the packet hit (its cookie carries the rule ID: an Antrea-native Drop's metric flow, or a K8s
   * isolation drop).
   */
  async attribute(probe: Probe): Promise<Attribution> {
    const nodes = [...this.prober.cluster.nodes.values()];
    const before = new Map<string, Map<string, FlowStat>>();
    for (const n of nodes) {
      await n.ctl.call('revalidator/purge');
      before.set(n.name, parseFlowStats(n.ovs.ofctl('--no-names', 'dump-flows', n.bridge)));
    }
    const [outcome] = await this.prober.run([probe]);
    if (!outcome) throw new Error('no outcome');
    const found: Attribution['found'] = [];
    const notes: string[] = [];
    const lookup = (node: string, id: number): RuleEntry | undefined => this.prober.cluster.nodes.get(node)?.rules?.get(id);
    const add = (node: string, ruleId: number, via: string): void => {
      if (found.some((f) => f.node === node && f.ruleId === ruleId && f.via === via)) return;
      const entry = lookup(node, ruleId);
      found.push(entry ? { node, ruleId, via, entry } : { node, ruleId, via });
    };

    if (outcome.actual === 'allow') {
      const { src, dst } = this.prober.addresses(probe.spec);
      for (const n of nodes) {
        for (const e of parseConntrack(await n.ctl.call('dpctl/dump-conntrack'))) {
          if (e.src !== src || e.dst !== dst || e.sport !== probe.srcPort) continue;
          const ingress = Number(e.labels & 0xffffffffn);
          const egress = Number((e.labels >> 32n) & 0xffffffffn);
          if (ingress) add(n.name, ingress, `ct_label ingress (zone ${e.zone})`);
          if (egress) add(n.name, egress, `ct_label egress (zone ${e.zone})`);
        }
      }
    } else if (outcome.actual === 'reject') {
      for (const r of outcome.packetIns.filter((x) => x.reject)) {
        if (r.reg3) add(r.node, r.reg3, 'reg3 of the reject packet-in');
        else notes.push(`reject packet-in on ${r.node} carries no reg3`);
      }
    }
    if (outcome.actual === 'drop' || outcome.actual === 'reject') {
      const reg3Loads: { node: string; ruleId: number; via: string }[] = [];
      for (const n of nodes) {
        const after = parseFlowStats(n.ovs.ofctl('--no-names', 'dump-flows', n.bridge));
        const was = before.get(n.name) ?? new Map<string, FlowStat>();
        for (const [key, stat] of after) {
          const hit = stat.packets - (was.get(key)?.packets ?? 0);
          if (hit <= 0) continue;
          const id = policyCookieRule(stat.cookie);
          if (id === undefined) continue;
          if (/^drop$/.test(stat.actions.trim())) add(n.name, id, `drop flow in table ${stat.table} (cookie 0x${stat.cookie.toString(16)})`);
          const reg3 = /set_field:(0x[0-9a-f]+|\d+)->reg3\b/.exec(stat.actions);
          if (reg3?.[1]) reg3Loads.push({ node: n.name, ruleId: Number(reg3[1]), via: `reg3 loaded in table ${stat.table} (cookie 0x${stat.cookie.toString(16)})` });
        }
      }
      // An Antrea-native deny names its rule in reg3 even if the metric table's drop flow had no rule cookie.
      if (outcome.actual === 'drop' && found.length === 0) for (const r of reg3Loads) add(r.node, r.ruleId, r.via);
      else if (reg3Loads.length) notes.push(...reg3Loads.map((r) => `${r.node}: ${r.via} = ${r.ruleId}`));
    }
    return { outcome, found, notes };
  }
}
