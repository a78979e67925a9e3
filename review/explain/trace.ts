/**
 * `dpc explain`'s engine: walks one packet through the compiled bundles, Node by Node across the tunnel, the way
 * the Nodes' own switches would (review/openflow), then reads the verdict and the Traceflow observations out of
 * what the walk met: the flows, the registers they set, the ports the packet left on, and for packets that leave
 * a Node through its gateway, the Node's iptables SNAT rules and routes. Policies are never read again here.
 */
import { Conntrack, Interpreter, Packet, type Emission, type Run } from '../openflow/interp.js';
import { FlowSyntaxError } from '../openflow/parse.js';
import { ipv4, ipText, macText } from './format.js';
import { loadBundles, type Bundles, type NodeView, type RuleEntry } from './bundles.js';
import { hostFilter, hostPath, ownAddresses, type HostFilter, type HostPath } from './host.js';
import { observe, type Observation } from './observations.js';

export { loadBundles, type Bundles, type BundleFiles, type RuleEntry } from './bundles.js';
export type { Observation } from './observations.js';

export type Endpoint = { pod: string } | { ip: string };

export interface PacketSpec {
  from: Endpoint;
  to: Endpoint;
  protocol: 'TCP' | 'UDP' | 'SCTP' | 'ICMP';
  port?: number;
  sourcePort?: number;
  icmp?: { type: number; code: number };
  /** new (default): the connection's first packet; established: a later packet of a connection the first committed. */
  state?: 'new' | 'established';
  /** The Node a source given as an IP enters on (through its gateway); ignored for a Pod source. */
  node?: string;
}

export interface FlowOrigin {
  ruleId?: number;
  policy?: string;
  rule?: string;
  direction?: string;
  action?: string;
  /** YAML file:line of the policy, when the explainer has the snapshot. */
  position?: string;
  /** Antrea's cookie category (pipeline, policy, Service, Egress, ...). */
  category: string;
}

export interface Hop {
  kind: 'flow' | 'miss' | 'group' | 'ct' | 'meter' | 'recirc' | 'host';
  table?: number;
  tableName?: string;
  priority?: number;
  flow?: string;
  line?: number;
  depth: number;
  origin?: FlowOrigin;
  /** Fields this flow changed, OVS spelling → value (hex for registers and marks). */
  set?: Record<string, string>;
  detail?: string;
}

export type VerdictKind = 'delivered' | 'dropped' | 'rejected' | 'controller' | 'host' | 'external' | 'normal' | 'looped';

export interface Verdict {
  kind: VerdictKind;
  summary: string;
  node: string;
  port?: number;
  pod?: string;
  table?: string;
  origin?: FlowOrigin;
  snat?: string;
  egressNode?: string;
}

export interface NodeHop {
  node: string;
  inPort: number;
  hops: Hop[];
  /** Registers and marks at the end of the Node's walk (non-zero ones). */
  registers: Record<string, string>;
  outputs: { kind: Emission['kind']; port?: number; table: string; userdata?: string }[];
  host?: HostPath;
  observations: Observation[];
}

export interface Trace {
  packet: PacketSpec & { srcIP: string; dstIP: string };
  nodes: NodeHop[];
  verdict: Verdict;
}

export class ExplainError extends Error {}

const CATEGORIES: Record<number, string> = { 1: 'pipeline', 2: 'policy', 3: 'service', 4: 'egress', 5: 'traffic-control', 6: 'multicast', 7: 'traceflow' };

function originOf(node: NodeView, cookie: bigint, bundles: Bundles): FlowOrigin {
  const category = CATEGORIES[Number((cookie >> 40n) & 0xffn)] ?? 'default';
  const ruleId = Number(cookie & 0xffffffffn);
  const o: FlowOrigin = { category };
  if (ruleId === 0) return o;
  o.ruleId = ruleId;
  const r = node.rules.get(ruleId);
  if (r) {
    o.policy = policyName(r);
    if (r.rule) o.rule = r.rule;
    if (r.direction) o.direction = r.direction;
    if (r.action) o.action = r.action;
    const pos = bundles.position(r.policy);
    if (pos) o.position = pos;
  }
  return o;
}

export const policyName = (r: RuleEntry): string => `${r.policy.type}:${r.policy.namespace ? `${r.policy.namespace}/` : ''}${r.policy.name}`;

function hex(field: string, v: bigint): string {
  if (field === 'ct_state') return ctStateText(v);
  if (/^(nw_src|nw_dst|arp_spa|arp_tpa|tun_src|tun_dst|ct_nw_src|ct_nw_dst)$/.test(field)) return ipText(v);
  if (/^(dl_|arp_sha|arp_tha)/.test(field)) return macText(v);
  if (/^(in_port|nw_proto|nw_ttl|tp_|icmp_)/.test(field)) return String(v);
  return `0x${v.toString(16)}`;
}

const fieldRecord = (fields: readonly [string, bigint][]): Record<string, string> => Object.fromEntries(fields.map(([k, v]) => [k, hex(k, v)]));

const REGISTER_LIKE = /^(x{0,2}reg\d+|pkt_mark|ct_mark|ct_label|ct_state|ct_zone|tun_dst|metadata)$/;

// ---------------------------------------------------------------------------------------------
// The packet

interface Start {
  node: NodeView;
  packet: Packet;
  srcIP: string;
  dstIP: string;
}

function findPod(bundles: Bundles, key: string): { node: NodeView; pod: NodeView['meta']['inventory']['pods'][number] } | undefined {
  const [ns, name] = key.split('/');
  for (const node of bundles.nodes.values()) {
    const pod = node.meta.inventory.pods.find((p) => p.namespace === ns && p.name === name);
    if (pod) return { node, pod };
  }
  return undefined;
}

function addressOf(bundles: Bundles, e: Endpoint): string {
  if ('ip' in e) {
    if (ipv4(e.ip) === undefined) throw new ExplainError(`${e.ip} is not an IPv4 address (the compiled pipeline is IPv4)`);
    return e.ip;
  }
  const hit = findPod(bundles, e.pod);
  const hostNode = bundles.hostPods.get(e.pod);
  if (!hit && hostNode) return bundles.nodes.get(hostNode)?.meta.node.internalIP ?? '';
  if (!hit) throw new ExplainError(`no Pod ${e.pod} with a port on any Node's br-int in these bundles (a host-network Pod has its Node's address: give it as an IP)`);
  return hit.pod.ip;
}

function inCidr(ip: string, cidr: string): boolean {
  const [net, len] = cidr.split('/');
  const bits = BigInt(Number(len));
  const mask = ((1n << bits) - 1n) << (32n - bits);
  return (ipv4(ip)! & mask) === (ipv4(net!)! & mask);
}

/** The frame as the source would send it: a Pod addresses its gateway except for its own subnet, as its routes say. */
function startOf(bundles: Bundles, spec: PacketSpec): Start {
  const dstIP = addressOf(bundles, spec.to);
  let node: NodeView;
  let inPort: number;
  let srcMac: string;
  let srcIP: string;
  const from = 'pod' in spec.from && !findPod(bundles, spec.from.pod) && bundles.hostPods.has(spec.from.pod) ? { ip: addressOf(bundles, spec.from) } : spec.from;
  if ('pod' in from) {
    addressOf(bundles, from);
    const hit = findPod(bundles, from.pod)!;
    node = hit.node;
    inPort = hit.pod.ofport;
    srcMac = hit.pod.mac;
    srcIP = hit.pod.ip;
  } else {
    srcIP = from.ip;
    const own = [...bundles.nodes.values()].find((n) => n.meta.node.internalIP === srcIP || n.meta.node.gatewayIP === srcIP);
    const named = spec.node ? bundles.nodes.get(spec.node) : undefined;
    if (spec.node && !named) throw new ExplainError(`no Node ${spec.node} in these bundles`);
    const n = named ?? own;
    if (!n) throw new ExplainError(`the source ${srcIP} is neither a Pod nor a Node: say with --node which Node it enters through`);
    node = n;
    inPort = n.meta.inventory.gateway.ofport;
    srcMac = n.meta.inventory.gateway.mac;
  }
  const gw = node.meta.inventory.gateway;
  const local = node.meta.inventory.pods.find((p) => p.ip === dstIP);
  // On its own subnet a Pod ARPs for the peer itself; anything else goes to the gateway's MAC, as its routes say.
  const dstMac = local && (inPort === gw.ofport || inCidr(dstIP, node.meta.node.podCIDR)) ? local.mac : gw.mac;
  const p = new Packet();
  p.set('in_port', BigInt(inPort));
  p.set('dl_src', macOf(srcMac));
  p.set('dl_dst', macOf(dstMac));
  p.set('dl_type', 0x0800n);
  p.set('nw_src', ipv4(srcIP)!);
  p.set('nw_dst', ipv4(dstIP)!);
  p.set('nw_ttl', 64n);
  const proto = { TCP: 6n, UDP: 17n, SCTP: 132n, ICMP: 1n }[spec.protocol];
  p.set('nw_proto', proto);
  if (spec.protocol === 'ICMP') {
    p.set('icmp_type', BigInt(spec.icmp?.type ?? 8));
    p.set('icmp_code', BigInt(spec.icmp?.code ?? 0));
  } else {
    p.set('tp_src', BigInt(spec.sourcePort ?? 10000));
    if (spec.port === undefined) throw new ExplainError(`a ${spec.protocol} packet needs --port`);
    p.set('tp_dst', BigInt(spec.port));
    if (spec.protocol === 'TCP') p.set('tcp_flags', spec.state === 'established' ? 0x010n : 0x002n);
  }
  return { node, packet: p, srcIP, dstIP };
}

const macOf = (mac: string): bigint => BigInt(`0x${mac.split(':').join('')}`);

// ---------------------------------------------------------------------------------------------
// The walk

const MAX_NODES = 8;

/** Walks `spec` through `bundles`; the result names every flow met on every Node and the verdict. */
export function tracePacket(bundles: Bundles, spec: PacketSpec): Trace {
  const start = startOf(bundles, spec);
  const hostOnly = hostSource(bundles, start, spec);
  if (hostOnly) return { packet: { ...spec, srcIP: start.srcIP, dstIP: start.dstIP }, ...hostOnly };
  const conntracks = new Map<string, Conntrack>();
  const ctOf = (n: string) => conntracks.get(n) ?? conntracks.set(n, new Conntrack()).get(n)!;
  if (spec.state === 'established') {
    // The connection's first packet commits it (where policy lets it); the traced packet then finds it.
    walk(bundles, start.node, start.packet.clone(), ctOf, start.srcIP);
  }
  const { nodes, verdict } = walk(bundles, start.node, start.packet.clone(), ctOf, start.srcIP);
  return { packet: { ...spec, srcIP: start.srcIP, dstIP: start.dstIP }, nodes, verdict };
}

/**
 * A packet sent by a Node's host (a host-network Pod, or the Node itself) meets that Node's ANTREA-OUTPUT first;
 * toward another Node's address it never enters br-int: the underlay carries it to that Node's ANTREA-INPUT.
 */
function hostSource(bundles: Bundles, start: Start, spec: PacketSpec): { nodes: NodeHop[]; verdict: Verdict } | undefined {
  if (('pod' in spec.from && !bundles.hostPods.has(spec.from.pod)) || !ownAddresses(start.node).has(start.srcIP)) return undefined;
  const node = start.node;
  const peer = [...bundles.nodes.values()].find((n) => ownAddresses(n).has(start.dstIP));
  const toSwitch = !peer;
  const out = hostFilter(node, start.packet, 'ANTREA-OUTPUT', toSwitch || peer === node ? node.meta.inventory.gateway.name : 'uplink', spec.state);
  const hop = (n: NodeView, detail: string): NodeHop => ({ node: n.name, inPort: 0, hops: [{ kind: 'host', depth: 0, detail }], registers: {}, outputs: [], observations: [] });
  const outDetail = `${node.name}'s ANTREA-OUTPUT: ${out.verdict}${out.rule ? ` (${out.rule})` : ''}`;
  const refused = hostRefusal(out, node.name);
  if (refused) return { nodes: [hop(node, outDetail)], verdict: refused };
  if (toSwitch) return undefined;
  if (peer === node) return { nodes: [hop(node, outDetail)], verdict: { kind: 'host', node: node.name, summary: `${start.dstIP} is ${node.name}'s own address: delivered locally` } };
  const inF = hostFilter(peer, start.packet, 'ANTREA-INPUT', 'uplink', spec.state);
  const nodes = [hop(node, outDetail), hop(peer, `${peer.name}'s ANTREA-INPUT: ${inF.verdict}${inF.rule ? ` (${inF.rule})` : ''}`)];
  return { nodes, verdict: hostRefusal(inF, peer.name) ?? { kind: 'host', node: peer.name, summary: `sent over the underlay from ${node.name}'s host to ${peer.name}'s host network` } };
}

function walk(bundles: Bundles, first: NodeView, packet: Packet, ctOf: (node: string) => Conntrack, srcIP: string): { nodes: NodeHop[]; verdict: Verdict } {
  const nodes: NodeHop[] = [];
  let node = first;
  let p = packet;
  for (let i = 0; i < MAX_NODES; i++) {
    let run: Run;
    try {
      run = new Interpreter(node.pipeline(), ctOf(node.name)).run(p);
    } catch (e) {
      if (e instanceof FlowSyntaxError) throw new ExplainError(`${node.name}: ${e.message}`);
      throw e;
    }
    const hop = nodeHop(bundles, node, p, run);
    nodes.push(hop);
    const decided = decide(bundles, node, run, hop);
    hop.observations = observe({ bundles, node, run, hop, sender: i === 0, srcIP, verdict: decided.verdict });
    if (!decided.next) return { nodes, verdict: decided.verdict };
    node = decided.next.node;
    p = decided.next.packet;
  }
  return { nodes, verdict: { kind: 'looped', node: node.name, summary: `the packet crossed ${MAX_NODES} Nodes without being delivered` } };
}

function nodeHop(bundles: Bundles, node: NodeView, p: Packet, run: Run): NodeHop {
  const hops: Hop[] = run.steps.map((s): Hop => {
    switch (s.kind) {
      case 'flow': {
        const h: Hop = { kind: 'flow', table: s.table, tableName: node.tableNames.get(s.table) ?? String(s.table), priority: s.flow.priority, flow: s.flow.text, line: s.flow.line, depth: s.depth, origin: originOf(node, s.flow.cookie, bundles) };
        if (s.set.length) h.set = fieldRecord(s.set);
        if (s.conjId !== undefined) h.detail = `conjunction ${s.conjId}`;
        return h;
      }
      case 'miss':
        return { kind: 'miss', table: s.table, tableName: node.tableNames.get(s.table) ?? String(s.table), depth: s.depth, detail: 'no flow matches: dropped' };
      case 'group':
        return { kind: 'group', depth: s.depth, detail: `group ${s.group} bucket ${s.bucket}` };
      case 'ct':
        return { kind: 'ct', depth: s.depth, detail: `conntrack zone ${s.zone}: ${ctStateText(s.state)}${s.commit ? ', committed' : ''}${s.recirculate !== undefined ? `, continues at ${node.tableNames.get(s.recirculate) ?? s.recirculate}` : ''}` };
      case 'meter':
        return { kind: 'meter', depth: s.depth, detail: `meter ${s.meter}` };
      case 'recirc':
        return { kind: 'recirc', depth: 0, table: s.table, tableName: node.tableNames.get(s.table) ?? String(s.table), detail: `recirculated: resumes at ${s.table}. ${node.tableNames.get(s.table) ?? ''}` };
    }
  });
  return {
    node: node.name,
    inPort: Number(p.get('in_port')),
    hops,
    registers: fieldRecord(run.packet.fields().filter(([k]) => REGISTER_LIKE.test(k))),
    outputs: run.emissions.map((e) => ({ kind: e.kind, table: node.tableNames.get(e.table) ?? String(e.table), ...(e.kind === 'output' ? { port: e.port } : {}), ...(e.kind === 'controller' && e.userdata ? { userdata: e.userdata } : {}) })),
    observations: [],
  };
}

export function ctStateText(state: bigint): string {
  const names = ['new', 'est', 'rel', 'rpl', 'inv', 'trk', 'snat', 'dnat'];
  return names.filter((_, i) => (state >> BigInt(i)) & 1n).map((n) => `+${n}`).join('') || '-trk';
}

/** Antrea's packet-in userdata: category 1 (NetworkPolicy), then the operation bits (1 log, 2 reject, 4 store deny). */
const isReject = (userdata?: string): boolean => {
  const parts = (userdata ?? '').split('.').map((x) => parseInt(x, 16));
  return parts[0] === 1 && ((parts[1] ?? 0) & 2) !== 0;
};

/** A node-level policy that refused the packet in a Node's host, as a verdict. */
function hostRefusal(f: HostFilter | undefined, node: string): Verdict | undefined {
  if (!f || (f.verdict !== 'DROP' && f.verdict !== 'REJECT')) return undefined;
  const kind = f.verdict === 'DROP' ? 'dropped' : 'rejected';
  return { kind, node, table: 'iptables filter', summary: `${kind} in ${node}'s host by iptables (${f.rule ?? f.verdict})` };
}

function decide(bundles: Bundles, node: NodeView, run: Run, hop: NodeHop): { verdict: Verdict; next?: { node: NodeView; packet: Packet } } {
  const inv = node.meta.inventory;
  const name = node.name;
  const reject = run.emissions.find((e) => e.kind === 'controller' && isReject(e.userdata));
  const outputs = run.emissions.filter((e): e is Extract<Emission, { kind: 'output' }> => e.kind === 'output');
  const ruleAt = (e: Emission): FlowOrigin | undefined => {
    const id = Number(e.packet.get('reg3'));
    const r = node.rules.get(id);
    if (id !== 0 && r) return { ...originOf(node, BigInt(id), bundles), category: 'policy' };
    return e.kind !== 'output' && e.flow ? originOf(node, e.flow.cookie, bundles) : undefined;
  };
  if (reject) {
    const origin = ruleAt(reject);
    return { verdict: { kind: 'rejected', node: name, table: hop.outputs.find((o) => o.kind === 'controller')?.table ?? '', summary: `rejected on ${name}${origin?.policy ? ` by ${origin.policy} rule ${origin.rule ?? origin.ruleId}` : ''}: sent to the agent, which answers the source`, ...(origin ? { origin } : {}) } };
  }
  // A TrafficControl mirror sends a copy beside the packet: the packet's own way decides, the copies are noted.
  const tcPorts = new Set((inv.trafficControlPorts ?? []).map((x) => x.ofport));
  const out = outputs.find((o) => !tcPorts.has(o.port)) ?? outputs[0];
  const copies = outputs.filter((o) => o !== out).map((o) => inv.trafficControlPorts?.find((x) => x.ofport === o.port)?.name ?? `port ${o.port}`);
  const also = copies.length ? `; copies to ${copies.join(', ')}` : '';
  if (out) {
    const tun = inv.tunnel?.ofport;
    if (tun !== undefined && out.port === tun) {
      const dst = ipText(out.packet.get('tun_dst'));
      const next = bundles.byIP.get(dst);
      if (!next) return { verdict: { kind: 'external', node: name, port: out.port, summary: `left ${name} through the tunnel to ${dst}, which is no Node of these bundles` } };
      const q = new Packet();
      for (const f of ['dl_src', 'dl_dst', 'dl_type', 'nw_src', 'nw_dst', 'nw_proto', 'nw_ttl', 'nw_tos', 'tp_src', 'tp_dst', 'tcp_flags', 'icmp_type', 'icmp_code']) q.set(f, out.packet.get(f));
      q.set('in_port', BigInt(next.meta.inventory.tunnel?.ofport ?? 0));
      q.set('tun_src', ipv4(node.meta.node.internalIP)!);
      q.set('tun_dst', out.packet.get('tun_dst'));
      return { verdict: { kind: 'external', node: name, summary: 'tunnelled' }, next: { node: next, packet: q } };
    }
    const pod = inv.pods.find((x) => x.ofport === out.port);
    if (pod) return { verdict: { kind: 'delivered', node: name, port: out.port, pod: `${pod.namespace}/${pod.name}`, summary: `delivered to Pod ${pod.namespace}/${pod.name} on ${name} (port ${out.port})${also}` } };
    if (out.port === inv.gateway.ofport) {
      const host = hostPath(bundles, node, out.packet);
      hop.host = host;
      const refused = hostRefusal(host.local ? host.filter : host.peer?.filter, host.local ? name : host.peer?.node ?? name);
      if (refused) return { verdict: { ...refused, port: out.port } };
      if (host.local) return { verdict: { kind: 'host', node: name, port: out.port, summary: `delivered to ${name}'s host network through ${inv.gateway.name} (${host.detail})` } };
      if (host.peer) return { verdict: { kind: 'host', node: host.peer.node, port: out.port, summary: `left ${name} through ${inv.gateway.name}: ${host.detail}; delivered to ${host.peer.node}'s host network` } };
      const v: Verdict = { kind: 'external', node: name, port: out.port, summary: `left ${name} through ${inv.gateway.name}: ${host.detail}` };
      if (host.snat) v.snat = host.snat;
      if (host.egressMark) v.egressNode = name;
      return { verdict: v };
    }
    const tc = inv.trafficControlPorts?.find((x) => x.ofport === out.port);
    return { verdict: { kind: 'delivered', node: name, port: out.port, summary: `sent to port ${out.port}${tc ? ` (${tc.name})` : ''} on ${name}` } };
  }
  // NetworkPolicy packet-ins that only log (or record a deny) go beside the packet's fate; they are not one.
  const ctl = run.emissions.find((e) => e.kind === 'controller' && !e.userdata?.startsWith('01.'));
  if (ctl) return { verdict: { kind: 'controller', node: name, summary: `sent to the controller on ${name} (${ctl.kind === 'controller' ? ctl.userdata ?? ctl.reason ?? '' : ''})` } };
  if (run.emissions.some((e) => e.kind === 'normal')) return { verdict: { kind: 'normal', node: name, summary: `handed to the NORMAL action on ${name}` } };
  const drop = [...run.emissions].reverse().find((e) => e.kind === 'drop');
  const table = drop ? node.tableNames.get(drop.table) ?? String(drop.table) : hop.hops.filter((h) => h.tableName).at(-1)?.tableName ?? '';
  const origin = drop ? ruleAt(drop) : undefined;
  const by = origin?.policy ? ` by ${origin.policy}${origin.rule ? ` rule ${origin.rule}` : origin.action === 'Isolate' ? ' (isolation: no rule allows it)' : ''}` : '';
  return { verdict: { kind: 'dropped', node: name, table, summary: `dropped on ${name} in ${table}${by}`, ...(origin ? { origin } : {}) } };
}
