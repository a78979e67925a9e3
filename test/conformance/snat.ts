// The `snat` check kind (Egress; conformance/README.md): one TCP connection from a Pod to a server outside the
// cluster, which reports the source address it saw.
//
// The path has two legs, joined per connection:
// - OVS: the SYN enters the source Pod's port on its Node's switch (the case's Cluster, every Node's bundle loaded);
//   whatever the flows tunnel is carried to the Node that holds the tunnel's destination address, until it leaves
//   on some Node's gateway port or nowhere. The switch that hands it to its gateway says which Node's host sends
//   it on, and the packet mark its datapath set (the SNAT mark, or none).
// - Kernel: every Node is also a network namespace holding its bundle's own ipsets, iptables and net/routes.txt
//   (SnatHosts), with an uplink on a shared underlay and the case's server network. A userspace datapath cannot pass
//   the packet mark to a kernel, so the mark OVS set on this connection's SYN is set again on its 5-tuple by one
//   mangle rule on that Node's gateway; a real socket in a namespace holding the Pod's address connects from the
//   same source port through that gateway, and the Node's own nat rules and routes do the rest.
// Replies return to the Pod's namespace directly from the gateway of the Node it left from (in Antrea, through OVS
// and, for a tunnelled Pod, the tunnel back); the verdicts are about the first packet and the source address.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { SourceText } from '../../compiler/ingest/documents.js';
import type { NodeBundle } from '../../targets/bundle/bundle.js';
import { createNetns, loadHostArtifacts, type Netns } from '../harness/netns.js';
import { UNDERLAY_BRIDGE, UPLINK_PORT } from '../harness/ovs.js';
import { parseFrame } from '../harness/packets.js';
import type { Step } from './cases.js';
import { commonPrefix, type Cluster, type ClusterNode } from './cluster.js';
import { probeFrame } from './frames.js';
import { checkPrintedBack } from './hostnet/cluster.js';
import { markAgain, markText, measureEgressRate, type RateHost, type SkbMark } from './snatRate.js';

type Obj = Record<string, unknown>;
type Fail = (where: string, message: string) => never;

export interface SnatServer {
  node: string;
  prefixLength: number;
  nodeAddresses: string[];
}

export interface SnatRate {
  expected: number;
  tolerance: number;
  time: number;
  omit: number;
}

export interface SnatCheck {
  kind: 'snat';
  label: string;
  from: string;
  to: string;
  server?: SnatServer;
  port: number;
  /** Any one of these passes. */
  sourceIP?: string[];
  egressNode?: string | { sameAsStep: number };
  rateMbps?: SnatRate;
  verdict: 'allow' | 'deny';
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses one `snat:` check (cases.ts calls this; `fail` throws the case file's error). */
export function parseSnatCheck(o: Obj, where: string, podKeys: ReadonlySet<string>, fail: Fail): SnatCheck {
  const ip = (v: unknown, at: string): string => {
    if (typeof v !== 'string' || !IPV4.test(v)) fail(at, 'must be an IPv4 address');
    return v as string;
  };
  const num = (v: unknown, at: string, integer = true): number => {
    if (typeof v !== 'number' || !(v >= 0) || (integer && !Number.isInteger(v))) fail(at, `must be a non-negative ${integer ? 'integer' : 'number'}`);
    return v as number;
  };
  const from = o['from'];
  if (typeof from !== 'string' || !podKeys.has(from)) fail(`${where}.from`, 'must name a Pod in force at this step (ns/name)');
  const to = o['to'] as Obj | undefined;
  if (typeof to !== 'object' || to === null) fail(`${where}.to`, 'must be {ip: ADDRESS}');
  if (o['protocol'] !== 'TCP') fail(`${where}.protocol`, 'must be TCP');
  const verdict = o['verdict'];
  if (verdict !== 'allow' && verdict !== 'deny') fail(`${where}.verdict`, 'must be allow or deny');
  const check: SnatCheck = { kind: 'snat', label: '', from: from as string, to: ip(to!['ip'], `${where}.to.ip`), port: num(o['port'], `${where}.port`), verdict: verdict as 'allow' | 'deny' };
  if (o['server'] !== undefined) {
    const s = o['server'] as Obj;
    if (typeof s !== 'object' || s === null || typeof s['node'] !== 'string') fail(`${where}.server`, 'must be {node, prefixLength, nodeAddresses}');
    const addrs = s['nodeAddresses'];
    if (!Array.isArray(addrs) || addrs.length === 0) fail(`${where}.server.nodeAddresses`, 'must be a non-empty list of addresses');
    check.server = { node: s['node'] as string, prefixLength: num(s['prefixLength'], `${where}.server.prefixLength`), nodeAddresses: (addrs as unknown[]).map((a, i) => ip(a, `${where}.server.nodeAddresses[${i}]`)) };
  }
  if (o['sourceIP'] !== undefined) {
    const v = o['sourceIP'];
    check.sourceIP = Array.isArray(v) ? v.map((a, i) => ip(a, `${where}.sourceIP[${i}]`)) : [ip(v, `${where}.sourceIP`)];
  }
  const en = o['egressNode'];
  if (en !== undefined) {
    if (typeof en === 'string') check.egressNode = en;
    else if (typeof en === 'object' && en !== null && typeof (en as Obj)['sameAsStep'] === 'number') check.egressNode = { sameAsStep: (en as Obj)['sameAsStep'] as number };
    else fail(`${where}.egressNode`, 'must be a Node name or {sameAsStep: N}');
  }
  if (o['rateMbps'] !== undefined) {
    const r = o['rateMbps'] as Obj;
    if (typeof r !== 'object' || r === null) fail(`${where}.rateMbps`, 'must be {expected, tolerance, time, omit}');
    check.rateMbps = {
      expected: num(r['expected'], `${where}.rateMbps.expected`, false),
      tolerance: num(r['tolerance'], `${where}.rateMbps.tolerance`, false),
      time: num(r['time'] ?? 10, `${where}.rateMbps.time`),
      omit: num(r['omit'] ?? 0, `${where}.rateMbps.omit`),
    };
  }
  if (check.verdict === 'deny' && (check.sourceIP || check.egressNode || check.rateMbps)) fail(where, 'a deny check carries no sourceIP, egressNode or rateMbps');
  const rate = check.rateMbps ? ` iperf3 ${check.rateMbps.time}s -O ${check.rateMbps.omit} ~${check.rateMbps.expected} Mbit/s` : '';
  check.label = `snat ${check.from} -> ${check.to}:${check.port}${check.server ? ` (server on ${check.server.node})` : ''}${rate} ${check.verdict}`;
  return check;
}

/**
 * The step's compiler input with each `server` Node's link addresses added to that Node as ExternalIP entries of
 * status.addresses: they are addresses of the Node's own (README), and status.addresses is where a snapshot holds
 * a Node's addresses, as Antrea's agent finds a static Egress IP on any of its interfaces.
 */
export function snatSources(step: Step): SourceText[] {
  const extra = new Map<string, string[]>();
  for (const c of step.checks) {
    if (c.kind !== 'snat' || !c.server) continue;
    const have = extra.get(c.server.node) ?? [];
    extra.set(c.server.node, [...have, ...c.server.nodeAddresses.filter((a) => !have.includes(a))]);
  }
  if (extra.size === 0) return step.sources;
  return step.sources.map((src) => {
    const docs = parseAllDocuments(src.text);
    let changed = false;
    for (const d of docs) {
      const o = d.toJS() as Obj | null;
      const name = (o?.['metadata'] as Obj | undefined)?.['name'];
      if (o?.['kind'] !== 'Node' || typeof name !== 'string' || !extra.has(name)) continue;
      const listed = ((o['status'] as Obj | undefined)?.['addresses'] ?? []) as { address?: string }[];
      for (const a of extra.get(name)!) if (!listed.some((l) => l.address === a)) d.addIn(['status', 'addresses'], { type: 'ExternalIP', address: a });
      changed = true;
    }
    return changed ? { ...src, text: docs.map((d) => d.toString()).join('') } : src;
  });
}

// ---------------------------------------------------------------------------------------------
// The kernel leg: each Node's network namespace

const GATEWAY = 'antrea-gw0';
const UPLINK = 'uplink';
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const EMPTY_TABLES = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n';

interface HostNode {
  name: string;
  internalIP: string;
  podCIDR: string;
  gatewayIP: string;
  ns: Netns;
  /** Lines of net/routes.txt now loaded, to undo before the next step's. */
  routes: string[];
  /** The bundle of the step in force. */
  bundle?: NodeBundle;
}

interface ServerNet {
  ns: Netns;
  proc: ChildProcess;
  /** The Node whose link reaches it, or undefined for the underlay server. */
  node?: string;
}

function ipInt(ip: string): number {
  return ip.split('.').reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);
}
function intIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** `ip -batch` lines that undo what `lines` made: links deleted (their addresses go with them), rules and tables emptied. */
function undoRoutes(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const link = /^link add (?:link \S+ name (\S+)|(\S+) type)/.exec(l);
    if (link) out.push(`link del ${link[1] ?? link[2]}`);
    const rule = /^(-6 )?rule add (.*)$/.exec(l);
    if (rule) out.push(`${rule[1] ?? ''}rule del ${rule[2]}`);
    const table = /^(-6 )?route replace .* table (\d+)$/.exec(l);
    if (table) out.push(`${table[1] ?? ''}route flush table ${table[2]}`);
  }
  return [...new Set(out)];
}

/** The Nodes' kernels and the servers outside the cluster, for the `snat` checks of one case. */
export class SnatHosts {
  readonly nodes = new Map<string, HostNode>();
  private underlay?: Netns;
  private underlayGateway = '';
  private uplinkPrefix = 24;
  private readonly servers = new Map<string, ServerNet>();
  private readonly made: Netns[] = [];
  private hasDummy: boolean | undefined;
  /** Routes each switch was given toward addresses Nodes hold beyond their InternalIP. */
  private readonly ovsRoutes = new Map<string, string[]>();
  /** `step|from` → the Node its connection left from, for egressNode {sameAsStep}. */
  readonly leftFrom = new Map<string, string>();

  private track(ns: Netns): Netns {
    this.made.push(ns);
    return ns;
  }

  private build(nodes: { name: string; internalIP: string; podCIDR: string; gatewayIP: string }[]): void {
    const ul = this.track(createNetns('sul'));
    this.underlay = ul;
    ul.ip(['link add br0 type bridge', 'link set br0 up']);
    this.uplinkPrefix = commonPrefix(nodes.map((n) => n.internalIP));
    const mask = this.uplinkPrefix === 0 ? 0 : (0xffffffff << (32 - this.uplinkPrefix)) >>> 0;
    // The underlay's router: the segment's network address, held by the outside server (when a case has one).
    const net = (ipInt(nodes[0]!.internalIP) & mask) >>> 0;
    this.underlayGateway = intIp(nodes.some((n) => ipInt(n.internalIP) === net) ? (net | ~mask) >>> 0 : net);
    for (const [i, n] of nodes.entries()) {
      const ns = this.track(createNetns(`sn${i}`));
      ns.ip([
        `link add ${UPLINK} type veth peer name sul${i} netns ${ul.name}`,
        `addr add ${n.internalIP}/${this.uplinkPrefix} dev ${UPLINK}`,
        `link set ${UPLINK} up`,
        `route add default via ${this.underlayGateway} dev ${UPLINK} onlink`,
        `link add ${GATEWAY} type bridge`,
        `addr add ${n.gatewayIP}/${n.podCIDR.split('/')[1]} dev ${GATEWAY}`,
        `link set ${GATEWAY} up`,
      ]);
      ul.ip([`link set sul${i} master br0`, `link set sul${i} up`]);
      for (const k of ['net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0']) ns.exec('sysctl', ['-q', '-w', k]);
      ns.run('sysctl', ['-q', '-w', 'net.bridge.bridge-nf-call-iptables=0']);
      this.nodes.set(n.name, { ...n, ns, routes: [] });
    }
    if (this.hasDummy === undefined) this.hasDummy = ul.run('ip', ['link', 'add', 'dpc-probe0', 'type', 'dummy']).status === 0;
  }

  /** Loads every Node's host files (replacing the previous step's) and routes the switches toward the addresses Nodes now hold. */
  async apply(bundles: readonly NodeBundle[], cluster: Cluster, step: Step): Promise<void> {
    const metas = bundles.map((b) => {
      const meta = JSON.parse(b.files.get('bundle.json') ?? '{}') as { node?: { name: string; internalIP: string; podCIDR: string; gatewayIP: string } };
      if (!meta.node) throw new Error(`bundle for ${b.node} has no bundle.json node`);
      return { bundle: b, node: meta.node };
    });
    if (!this.underlay) this.build(metas.map((m) => m.node));
    for (const { bundle } of metas) {
      const n = this.nodes.get(bundle.node);
      if (!n) throw new Error(`bundle for Node ${bundle.node}, which the first step did not have`);
      const f = bundle.files;
      n.ns.exec('iptables-restore', [], EMPTY_TABLES);
      n.ns.exec('ipset', ['destroy']);
      const undo = undoRoutes(n.routes);
      if (undo.length) n.ns.ip(undo);
      loadHostArtifacts(n.ns, { ipsets: f.get('ipset/ipsets.txt'), ipv4: f.get('iptables/ipv4.rules'), jumps: f.get('iptables/jumps.txt') });
      checkPrintedBack(n.ns, f);
      const routes = (f.get('net/routes.txt') ?? '').split('\n').filter(Boolean);
      // This kernel may lack the dummy driver; a bridge with no ports holds an address the same way.
      if (routes.length) n.ns.ip(this.hasDummy ? routes : routes.map((l) => l.replace(/ type dummy$/, ' type bridge')));
      n.routes = routes;
      n.bundle = bundle;
    }
    for (const c of step.checks) if (c.kind === 'snat') await this.server(c);
    // Antrea announces an Egress IP that moved with a gratuitous ARP, which dpc does not compile: the runner
    // forgets the old answers instead, so the next ARP finds the Node that holds the address now.
    for (const ns of [...[...this.nodes.values()].map((n) => n.ns), ...[...this.servers.values()].map((s) => s.ns)]) ns.run('ip', ['neigh', 'flush', 'all']);
    this.routeSwitches(cluster);
  }

  /** The Node whose kernel holds `ip` as a local address on its uplink side (InternalIP, Egress IPs), if any. */
  holder(ip: string): HostNode | undefined {
    for (const n of this.nodes.values()) {
      const out = n.ns.exec('ip', ['-4', '-o', 'addr', 'show']);
      for (const line of out.split('\n')) {
        const m = /^\d+:\s+(\S+)\s+inet (\S+)\//.exec(line);
        if (m && m[2] === ip && m[1] !== 'lo' && m[1] !== GATEWAY && !m[1]!.startsWith('srv')) return n;
      }
    }
    return undefined;
  }

  /**
   * The underlay carries a frame for any address a Node holds to that Node (it answers ARP for it). Each switch
   * gets that as a route via the holder's InternalIP, so its tunnels to an Egress IP go out on the uplink.
   */
  private routeSwitches(cluster: Cluster): void {
    const held: { ip: string; node: HostNode }[] = [];
    for (const n of this.nodes.values()) {
      for (const line of n.ns.exec('ip', ['-4', '-o', 'addr', 'show']).split('\n')) {
        const m = /^\d+:\s+(\S+)\s+inet (\S+)\//.exec(line);
        if (!m || m[1] === 'lo' || m[1] === GATEWAY || m[1] === UPLINK || m[1]!.startsWith('srv')) continue;
        held.push({ ip: m[2]!, node: n });
      }
    }
    for (const sw of cluster.nodes.values()) {
      for (const r of this.ovsRoutes.get(sw.name) ?? []) sw.ovs.appctl('ovs/route/del', r);
      const added: string[] = [];
      for (const h of held) {
        if (h.node.name === sw.name) continue;
        sw.ovs.appctl('ovs/route/add', `${h.ip}/32`, UNDERLAY_BRIDGE, h.node.internalIP);
        added.push(`${h.ip}/32`);
      }
      this.ovsRoutes.set(sw.name, added);
    }
  }

  /** The server network of a check, made once per case and kept: a listener on `to.ip` reporting the client's address. */
  private async server(c: SnatCheck): Promise<ServerNet> {
    const key = c.server ? `${c.to}|${c.server.node}|${c.server.prefixLength}|${c.server.nodeAddresses.join(',')}` : `${c.to}|underlay`;
    const have = this.servers.get(key);
    if (have) return have;
    const ns = this.track(createNetns('srv'));
    if (c.server) {
      const node = this.nodes.get(c.server.node);
      if (!node) throw new Error(`snat server on Node ${c.server.node}, which has no bundle`);
      const link = `srv${this.servers.size}`;
      ns.ip([`link add eth0 type veth peer name ${link} netns ${node.ns.name}`, `addr add ${c.to}/${c.server.prefixLength} dev eth0`, 'link set eth0 up', `route add default via ${c.server.nodeAddresses[0]}`]);
      node.ns.ip([...c.server.nodeAddresses.map((a) => `addr add ${a}/${c.server!.prefixLength} dev ${link}`), `link set ${link} up`]);
    } else {
      const i = this.servers.size;
      ns.ip([`link add eth0 type veth peer name suls${i} netns ${this.underlay!.name}`, `addr add ${c.to}/32 dev eth0`, `addr add ${this.underlayGateway}/32 dev eth0`, 'link set eth0 up', 'route add default dev eth0']);
      this.underlay!.ip([`link set suls${i} master br0`, `link set suls${i} up`]);
    }
    const proc = spawn('ip', ['netns', 'exec', ns.name, PYTHON, '-u', '-c', SERVER, c.to, String(c.port), c.rateMbps ? 'iperf3' : 'clientip'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let err = '';
      proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      proc.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      proc.on('exit', (code) => reject(new Error(`snat server in ${ns.name} exited ${code}: ${err.trim()}`)));
    });
    const s: ServerNet = { ns, proc };
    if (c.server) s.node = c.server.node;
    this.servers.set(key, s);
    return s;
  }

  podNamespace(): Netns {
    return createNetns('spod');
  }

  async stop(): Promise<void> {
    for (const s of this.servers.values()) if (s.proc.exitCode === null && s.proc.pid !== undefined) s.proc.kill('SIGKILL');
    for (const ns of this.made.reverse()) ns.delete();
  }
}

// agnhost netexec's GET /clientip, reduced to what the check reads: the peer's address, then close. With
// `iperf3`, an iperf3 server bound to the address instead.
const SERVER = `
import socket, subprocess, sys
ip, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if mode == 'iperf3':
    p = subprocess.Popen(['iperf3', '-s', '--forceflush', '-B', ip, '-p', str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for line in p.stdout:
        if b'listening' in line.lower():
            print('ready', flush=True)
            break
    p.wait()
    sys.exit(0)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((ip, port))
s.listen(64)
print('ready', flush=True)
while True:
    c, a = s.accept()
    try:
        c.sendall(a[0].encode())
    finally:
        c.close()
`;

// One connection from a fixed source port; prints the address the server reported, or why none came.
const CLIENT = `
import socket, sys
dst, port, sport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('', sport))
s.settimeout(2.0)
try:
    s.connect((dst, port))
    data = b''
    while True:
        d = s.recv(100)
        if not d:
            break
        data += d
    print('seen ' + data.decode())
except Exception as e:
    print('failed ' + type(e).__name__ + ': ' + str(e))
`;

// ---------------------------------------------------------------------------------------------
// The OVS leg

interface OvsLeg {
  /** The Node whose switch handed the SYN to its gateway; undefined when no switch did. */
  exit?: ClusterNode;
  /** skb_mark actions the exit switch's datapath applied: value and mask. */
  marks: SkbMark[];
  /** The marks of a hop walked with ofproto/trace, when the exit was reached that way. */
  traced?: SkbMark[];
  /** The outer destination of the first tunnel the SYN took, when it took one. */
  tunnelDst?: string;
  path: string[];
}

async function ovsLeg(cluster: Cluster, hosts: SnatHosts, step: Step, c: SnatCheck, srcPort: number): Promise<OvsLeg> {
  const pod = step.pods.find((p) => p.key === c.from);
  const src = pod?.node ? cluster.nodes.get(pod.node) : undefined;
  const port = src?.pod(c.from);
  if (!pod?.ip || !src || !port) throw new Error(`Pod ${c.from} has no port on any switch`);
  const nodes = [...cluster.nodes.values()];
  for (const n of nodes) {
    await n.ctl.call('dpctl/del-flows');
    await n.flushConntrack();
    await n.collect();
  }
  const frame = probeFrame({ srcMac: port.mac, dstMac: src.gatewayMac, srcIp: pod.ip, dstIp: c.to, protocol: 'TCP', srcPort, dstPort: c.port, ipId: 0x5a7 });
  const leg: OvsLeg = { marks: [], path: [`${src.name}:${port.interface}`] };
  await src.receive(port.interface, [frame]);
  for (let hop = 0; hop < 4; hop++) {
    await Promise.all(nodes.map((n) => n.settle()));
    const forward: { to: ClusterNode; bytes: Buffer }[] = [];
    for (const n of nodes) {
      for (const f of await n.collect()) {
        let p;
        try {
          p = parseFrame(f.bytes);
        } catch {
          continue;
        }
        if (f.port === UPLINK_PORT && p.tunnel) {
          const inner = p.tunnel.inner.ipv4;
          if (!inner || inner.src !== pod.ip || inner.dst !== c.to) continue;
          const holder = hosts.holder(p.tunnel.outerDst);
          const to = holder && cluster.nodes.get(holder.name);
          leg.tunnelDst ??= p.tunnel.outerDst;
          leg.path.push(`${n.name} tunnel to ${p.tunnel.outerDst}${to ? ` (${to.name})` : ' (no Node holds it)'}`);
          if (!to) continue;
          if (p.tunnel.outerDst === to.internalIP) forward.push({ to, bytes: f.bytes });
          else {
            const t = await traceTunnel(to, p.tunnel.inner.raw, { src: p.tunnel.outerSrc, dst: p.tunnel.outerDst, vni: p.tunnel.vni ?? p.tunnel.key ?? 0 });
            leg.path.push(`${to.name}: ofproto/trace from its tunnel port ${t.toGateway ? `-> ${to.gatewayPort} (gateway)` : '-> nowhere'}`);
            if (t.toGateway) {
              if (leg.exit && leg.exit !== to) throw new Error(`the SYN left on two gateways (${leg.exit.name}, ${to.name})`);
              leg.exit = to;
              leg.traced = t.marks;
            }
          }
        } else if (f.port === n.gatewayPort && p.ipv4?.src === pod.ip && p.ipv4.dst === c.to) {
          leg.path.push(`${n.name}:${f.port} (gateway)`);
          if (leg.exit && leg.exit !== n) throw new Error(`the SYN left on two gateways (${leg.exit.name}, ${n.name})`);
          leg.exit = n;
        }
      }
    }
    if (forward.length === 0) break;
    for (const f of forward) await f.to.receive(UPLINK_PORT, [f.bytes]);
  }
  if (leg.traced) leg.marks = leg.traced;
  else if (leg.exit) {
    const dump = await leg.exit.ctl.call('dpctl/dump-flows');
    for (const m of dump.matchAll(/set\(skb_mark\((0x[0-9a-f]+)(?:\/(0x[0-9a-f]+))?\)\)/g)) leg.marks.push({ value: Number(m[1]), mask: m[2] ? Number(m[2]) : 0xffffffff });
  }
  return leg;
}

/**
 * Where the underlay brings a tunnel frame to the Node whose InternalIP it is addressed to, that Node's switch
 * decapsulates the real frame. A userspace switch decapsulates only for its underlay bridge's own address, and
 * does not pick up a second one reliably, so a frame for another address the Node holds (an Egress IP) is walked
 * through that Node's flows with ofproto/trace as the inner packet entering its tunnel port with tun_src, tun_dst
 * and VNI set (README: the least the runner must do), each ct() taken as a new connection: the datapath actions it
 * prints say where the packet leaves and which mark it gets.
 */
async function traceTunnel(node: ClusterNode, inner: Buffer, tunnel: { src: string; dst: string; vni: number }): Promise<{ toGateway: boolean; marks: OvsLeg['marks'] }> {
  const ct = Array.from({ length: 8 }, () => ['--ct-next', 'trk,new']).flat();
  const flow = `in_port=${node.bundle.inventory.tunnel.ofport},tun_src=${tunnel.src},tun_dst=${tunnel.dst},tun_id=${tunnel.vni}`;
  const text = await node.ctl.call('ofproto/trace', ...ct, node.bridge, flow, inner.toString('hex'));
  const gwPort = /port (\d+): (\S+)/g;
  let dp: string | undefined;
  for (const m of (await node.ctl.call('dpctl/show')).matchAll(gwPort)) if (m[2] === node.gatewayPort) dp = m[1];
  const actions = [...text.matchAll(/^Datapath actions: (.*)$/gm)].map((m) => m[1]!);
  const marks = actions.flatMap((a) => [...a.matchAll(/set\(skb_mark\((0x[0-9a-f]+)(?:\/(0x[0-9a-f]+))?\)\)/g)].map((m) => ({ value: Number(m[1]), mask: m[2] ? Number(m[2]) : 0xffffffff })));
  const last = actions.at(-1) ?? '';
  return { toGateway: dp !== undefined && last.split(',').some((t) => t.trim() === dp), marks };
}

// ---------------------------------------------------------------------------------------------
// One check

export interface SnatResult {
  ok: boolean;
  lines: string[];
}

let nextSourcePort = 47000;

export async function runSnatCheck(cluster: Cluster, hosts: SnatHosts, step: Step, c: SnatCheck): Promise<SnatResult> {
  const lines: string[] = [];
  const srcPort = nextSourcePort++ > 59000 ? (nextSourcePort = 47000) : nextSourcePort;
  const leg = await ovsLeg(cluster, hosts, step, c, srcPort);
  lines.push(`OVS: ${leg.path.join(' -> ')}${leg.exit ? `; mark ${leg.marks.map(markText).join(',') || 'none'}` : '; left nowhere'}`);
  if (!leg.exit) return { ok: c.verdict === 'deny', lines };
  const node = hosts.nodes.get(leg.exit.name);
  const pod = step.pods.find((p) => p.key === c.from)!;
  if (!node || !pod.ip) throw new Error(`no host namespace for ${leg.exit.name}`);
  if (c.rateMbps) {
    const podNode = pod.node ? hosts.nodes.get(pod.node) : undefined;
    if (!podNode) throw new Error(`Pod ${c.from} is on no Node with a host namespace`);
    const r = await measureEgressRate(rateHost(podNode), rateHost(node), c, pod.ip, leg.marks, leg.tunnelDst);
    return { ok: r.ok, lines: [...lines, ...r.lines] };
  }
  const ns = hosts.podNamespace();
  const hostEnd = `sp${srcPort}`;
  try {
    ns.ip([`link add eth0 type veth peer name ${hostEnd} netns ${node.ns.name}`, `addr add ${pod.ip}/32 dev eth0`, 'link set eth0 up', `route add default via ${node.gatewayIP} dev eth0 onlink`]);
    node.ns.ip([`link set ${hostEnd} master ${GATEWAY}`, `link set ${hostEnd} up`, `route replace ${pod.ip}/32 dev ${GATEWAY}`]);
    const tuple = ['-i', GATEWAY, '-s', pod.ip, '-d', c.to, '-p', 'tcp', '--sport', String(srcPort), '--dport', String(c.port)];
    markAgain(node.ns, tuple, leg.marks);
    const out = ns.exec(PYTHON, ['-c', CLIENT, c.to, String(c.port), String(srcPort)]).trim();
    const seen = /^seen (\S*)$/.exec(out)?.[1];
    lines.push(`kernel: ${leg.exit.name} sent it on; ${seen !== undefined ? `the server saw ${seen}` : out}`);
    if (seen === undefined) return { ok: c.verdict === 'deny', lines };
    hosts.leftFrom.set(`${step.number}|${c.from}`, leg.exit.name);
    let ok = c.verdict === 'allow';
    if (c.sourceIP && !c.sourceIP.includes(seen)) {
      ok = false;
      lines.push(`source ${seen}, expected ${c.sourceIP.join(' or ')}`);
    }
    if (c.egressNode !== undefined) {
      const want = typeof c.egressNode === 'string' ? c.egressNode : hosts.leftFrom.get(`${c.egressNode.sameAsStep}|${c.from}`);
      if (want !== leg.exit.name) {
        ok = false;
        lines.push(`left from ${leg.exit.name}, expected ${want ?? `the Node of step ${(c.egressNode as { sameAsStep: number }).sameAsStep} (not recorded)`}`);
      }
    }
    return { ok, lines };
  } finally {
    node.ns.run('iptables', ['-t', 'mangle', '-F', 'PREROUTING']);
    ns.delete();
  }
}

function rateHost(n: HostNode): RateHost {
  if (!n.bundle) throw new Error(`no bundle loaded on ${n.name}`);
  return { name: n.name, ns: n.ns, bundle: n.bundle, podCIDR: n.podCIDR, gatewayIP: n.gatewayIP, tunnelIP: n.internalIP };
}

export function stepHasSnat(step: Step): boolean {
  return step.checks.some((c) => c.kind === 'snat');
}
