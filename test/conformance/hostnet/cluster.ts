// Node-policy conformance on real kernels: each Node of a case is a network namespace holding its bundle's ipsets
// and iptables, loaded with the commands a Node uses (ipset restore, iptables-restore --noflush, the jump lines);
// host-network Pods are sockets in that namespace; normal Pods are namespaces behind the Node's gateway (a bridge
// named like Antrea's antrea-gw0 holding the gateway IP); Nodes are joined by one link carrying their InternalIPs.
//
// Routing stands in for OVS between Pods and Nodes, with the paths Antrea gives host traffic: host → local Pod
// leaves through the gateway from the gateway IP; host → remote Pod CIDR goes to the peer Node from the gateway IP
// (Antrea: through the tunnel); a Pod → a Node address leaves its Node masqueraded to the Node's InternalIP (Antrea's
// ANTREA-POSTROUTING masquerade, not compiled by dpc yet, so this harness adds it in the nat table). Forwarded Pod
// traffic never reaches INPUT or OUTPUT, as in Antrea, so no Node policy judges it. Pod-level policies are not
// loaded here: cases run on this backend hold Node policies only.
//
// Each load is also checked against what the kernel prints back: iptables-save (owned chains) and ipset save must
// equal the bundle's files line for line (ipset members compared as sets for IPv6 only, see targets/ipset).

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { NodeBundle } from '../../../targets/bundle/bundle.js';
import { createNetns, loadHostArtifacts, ownedSave, type Netns } from '../../harness/netns.js';
import { REPO_ROOT } from '../../repoRoot.js';

const AGENT = join(REPO_ROOT, 'test', 'conformance', 'hostnet', 'agent.py');
// The system interpreter when there is one: version-manager shims on PATH cost a second or more per start.
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const UPLINK = 'uplink';
const GATEWAY = 'antrea-gw0';
const POD_CIDRS = 'DPC-TEST-POD-CIDRS';
const EMPTY_FILTER = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';
const EMPTY_NAT = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n';

interface AgentAnswer {
  id: number;
  ok: boolean;
  error?: string;
  [k: string]: unknown;
}

/** The probe agent of one namespace (agent.py), spoken to in JSON lines. */
export class Agent {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, (a: AgentAnswer) => void>();
  private nextId = 1;
  readonly ready: Promise<void>;
  private stderr = '';

  constructor(readonly ns: Netns) {
    this.proc = spawn('ip', ['netns', 'exec', ns.name, PYTHON, '-u', AGENT], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    let readyResolve!: () => void;
    this.ready = new Promise((r) => (readyResolve = r));
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const a = JSON.parse(line) as AgentAnswer;
      if (a.id === 0) return readyResolve();
      this.pending.get(a.id)?.(a);
      this.pending.delete(a.id);
    });
    this.proc.on('exit', () => {
      for (const [, resolve] of this.pending) resolve({ id: -1, ok: false, error: `agent in ${ns.name} exited: ${this.stderr.trim()}` });
      this.pending.clear();
    });
  }

  call(op: string, args: Record<string, unknown>): Promise<AgentAnswer> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.proc.stdin.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  }

  stop(): void {
    if (this.proc.exitCode === null && this.proc.pid !== undefined) this.proc.kill('SIGKILL');
  }
}

export interface HostNode {
  name: string;
  internalIP: string;
  podCIDR: string;
  gatewayIP: string;
  ns: Netns;
  agent: Agent;
}

export interface HostPod {
  key: string;
  ip: string;
  node: string;
  hostNetwork: boolean;
  /** The namespace its sockets live in: its own, or its Node's for a host-network Pod. */
  agent: Agent;
}

interface BundleNode {
  name: string;
  internalIP: string;
  podCIDR: string;
  gatewayIP: string;
}

export class HostNetCluster {
  readonly nodes = new Map<string, HostNode>();
  readonly pods = new Map<string, HostPod>();
  private underlay?: Netns;
  private readonly made: Netns[] = [];
  private readonly agents: Agent[] = [];
  /** The files each Node last loaded, for reports. */
  readonly loaded = new Map<string, ReadonlyMap<string, string>>();

  private track(ns: Netns): Netns {
    this.made.push(ns);
    return ns;
  }

  private agent(ns: Netns): Agent {
    const a = new Agent(ns);
    this.agents.push(a);
    return a;
  }

  private async build(nodes: readonly BundleNode[]): Promise<void> {
    const ul = this.track(createNetns('ul'));
    this.underlay = ul;
    ul.ip(['link add br0 type bridge', 'link set br0 up']);
    const ulPorts: string[] = [];
    for (const [i, n] of nodes.entries()) {
      const ns = this.track(createNetns(`n${i}`));
      const peer = `ul${i}`;
      const prefix = n.podCIDR.split('/')[1];
      ns.ip([
        `link add ${UPLINK} type veth peer name ${peer} netns ${ul.name}`,
        `addr add ${n.internalIP}/32 dev ${UPLINK}`,
        `link set ${UPLINK} up`,
        `link add ${GATEWAY} type bridge`,
        `addr add ${n.gatewayIP}/${prefix} dev ${GATEWAY}`,
        `link set ${GATEWAY} up`,
      ]);
      ulPorts.push(`link set ${peer} master br0`, `link set ${peer} up`);
      ns.exec('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
      this.nodes.set(n.name, { ...n, ns, agent: this.agent(ns) });
    }
    ul.ip(ulPorts);
    for (const n of this.nodes.values()) {
      const routes: string[] = [];
      for (const p of this.nodes.values()) {
        if (p === n) continue;
        routes.push(`route add ${p.internalIP}/32 dev ${UPLINK}`);
        // Antrea sends host traffic to a remote Pod CIDR through the gateway and the tunnel, from the gateway IP.
        routes.push(`route add ${p.podCIDR} via ${p.internalIP} dev ${UPLINK} onlink src ${n.gatewayIP}`);
      }
      n.ns.ip(routes);
    }
    await Promise.all([...this.nodes.values()].map((n) => n.agent.ready));
  }

  /** Loads every Node's host artifacts, replacing the previous step's; checks the kernel prints them back. */
  async apply(bundles: readonly NodeBundle[]): Promise<void> {
    const nodes = bundles.map((b) => {
      const meta = JSON.parse(b.files.get('bundle.json') ?? '{}') as { node?: BundleNode };
      if (!meta.node) throw new Error(`bundle for ${b.node} has no bundle.json node`);
      return meta.node;
    });
    if (!this.underlay) await this.build(nodes);
    for (const b of bundles) {
      const node = this.nodes.get(b.node);
      if (!node) throw new Error(`bundle for Node ${b.node}, which the first step did not have`);
      this.load(node, b, nodes);
    }
  }

  private load(node: HostNode, bundle: NodeBundle, all: readonly BundleNode[]): void {
    const ns = node.ns;
    const files = bundle.files;
    // Start from empty filter and nat tables and no sets (a restore without --noflush empties a table and removes
    // its chains), then load as a Node would: sets, one restore per family, the jump commands.
    ns.exec('iptables-restore', [], `${EMPTY_FILTER}${EMPTY_NAT}`);
    ns.exec('ip6tables-restore', [], EMPTY_FILTER);
    ns.exec('ipset', ['destroy']);
    loadHostArtifacts(ns, {
      ipsets: files.get('ipset/ipsets.txt'),
      ipv4: files.get('iptables/ipv4.rules'),
      ipv6: files.get('iptables/ipv6.rules'),
      jumps: files.get('iptables/jumps.txt'),
    });
    // Pod traffic to anything but a Pod leaves masqueraded to the Node's address, as Antrea's masquerade rule does;
    // the harness's own set is not an ANTREA- name, so never a bundle's.
    ns.exec('ipset', ['restore'], `create ${POD_CIDRS} hash:net family inet\n${all.map((n) => `add ${POD_CIDRS} ${n.podCIDR}`).join('\n')}\n`);
    ns.exec('iptables-restore', ['--noflush'], `*nat\n-A POSTROUTING -s ${node.podCIDR} -o ${UPLINK} -m set ! --match-set ${POD_CIDRS} dst -j MASQUERADE\nCOMMIT\n`);
    this.loaded.set(node.name, files);
    checkPrintedBack(ns, files);
  }

  /** Namespaces for the step's normal Pods (host-network Pods use their Node's); made once per Pod and address. */
  async ensurePods(pods: readonly { key: string; ip?: string; node?: string; hostNetwork: boolean }[]): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const p of pods) {
      const node = p.node ? this.nodes.get(p.node) : undefined;
      if (!node || !p.ip) continue;
      const have = this.pods.get(p.key);
      if (have && have.ip === p.ip && have.node === p.node) continue;
      if (p.hostNetwork) {
        this.pods.set(p.key, { key: p.key, ip: p.ip, node: node.name, hostNetwork: true, agent: node.agent });
        continue;
      }
      const ns = this.track(createNetns('pod'));
      const hostEnd = `p${this.made.length}`;
      ns.ip([`link add eth0 type veth peer name ${hostEnd} netns ${node.ns.name}`, `addr add ${p.ip}/${node.podCIDR.split('/')[1]} dev eth0`, 'link set eth0 up', `route add default via ${node.gatewayIP}`]);
      node.ns.ip([`link set ${hostEnd} master ${GATEWAY}`, `link set ${hostEnd} up`]);
      const agent = this.agent(ns);
      waits.push(agent.ready);
      this.pods.set(p.key, { key: p.key, ip: p.ip, node: node.name, hostNetwork: false, agent });
    }
    await Promise.all(waits);
  }

  /** Nothing to flush between batches: every cell has its own source port, so no cell meets another's connection. */
  async flushConntrack(): Promise<void> {}

  /** iptables-save -c of every Node's owned chains, for reports. */
  counters(): string {
    const out: string[] = [];
    for (const n of this.nodes.values()) {
      const save = n.ns.run('iptables-save', ['-c']).stdout;
      out.push(`    ${n.name}:`, ...save.split('\n').filter((l) => l.includes('ANTREA-POL')).map((l) => `      ${l}`));
    }
    return out.join('\n');
  }

  async stop(): Promise<void> {
    for (const a of this.agents) a.stop();
    for (const ns of this.made.reverse()) ns.delete();
  }
}

/** The bundle's files as the kernel prints them back, owned chains only; throws on the first difference. */
export function checkPrintedBack(ns: Netns, files: ReadonlyMap<string, string>): void {
  for (const [family, path, save] of [[4, 'iptables/ipv4.rules', 'iptables-save'], [6, 'iptables/ipv6.rules', 'ip6tables-save']] as const) {
    const want = files.get(path) ?? '';
    const owned = new Set(want.split('\n').filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]!));
    const got = ownedSave(ns.exec(save, []), (_t, chain) => owned.has(chain));
    if (got !== want) throw new Error(`${save} (IPv${family}) does not print back ${path}:\n--- file\n${want}--- kernel\n${got}`);
  }
  const sets = files.get('ipset/ipsets.txt') ?? '';
  const names = new Set(sets.split('\n').filter((l) => l.startsWith('create ')).map((l) => l.split(' ')[1]!));
  // The kernel adds its bucket size and a random hash seed to each create line. ipset's sort compares an IPv6
  // member by its first 32 bits only, so members of IPv6 sets are compared as sets.
  const canon = (text: string) => {
    const lines = text.split('\n').filter((l) => names.has(l.split(' ')[1] ?? ''));
    const v6 = (l: string) => l.startsWith('add ') && l.split(' ')[1]!.endsWith('-6');
    return [...lines.filter((l) => !v6(l)), ...lines.filter(v6).sort()].join('\n');
  };
  const printed = canon(ns.exec('ipset', ['save', '-sorted']).replace(/ bucketsize \d+ initval 0x[0-9a-f]+/g, ''));
  const wantSets = canon(sets);
  if (printed !== wantSets) throw new Error(`ipset save does not print back ipset/ipsets.txt:\n--- file\n${wantSets}\n--- kernel\n${printed}`);
}
