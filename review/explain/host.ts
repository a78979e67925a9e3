/**
 * What happens to a packet the switch hands to the Node's host through the gateway: the Node's own iptables
 * (ANTREA-* chains of ipv4.rules, with the ipsets of ipsets.txt) and routes (routes.txt) as the bundle holds them.
 * Host-destined packets meet the filter table's ANTREA-INPUT (node-level policies); packets routed on meet
 * nat ANTREA-POSTROUTING (Egress SNAT, masquerade) and the policy routing of Egress marks.
 */
import type { Packet } from '../openflow/interp.js';
import type { Bundles, NodeView } from './bundles.js';
import { ipText, ipv4 } from './format.js';

export interface HostPath {
  /** The packet is for the Node itself (its addresses, gateway IP, or an address the bundle puts on it). */
  local: boolean;
  detail: string;
  /** The SNAT / masquerade rule it met, and the address it leaves with. */
  snat?: string;
  snatRule?: string;
  egressMark?: number;
  /** For a host-destined packet: the node-level policy verdict (ACCEPT, DROP, REJECT) and the rule that decided. */
  filter?: HostFilter;
  route?: string;
  /** For a packet routed to another Node's address over the underlay: that Node, and its ANTREA-INPUT verdict. */
  peer?: { node: string; filter: HostFilter };
}

export interface HostFilter {
  verdict: string;
  rule?: string;
}

interface Rule {
  chain: string;
  text: string;
  spec: Map<string, { value: string; not: boolean }[]>;
  target: string;
  targetArgs: string[];
}

type Tables = Map<string, Rule[]>;

/** Reads iptables-restore input into table → rules in order (chain names kept on each rule). */
export function parseIptables(text: string): Map<string, Tables> {
  const out = new Map<string, Tables>();
  let table: Tables | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) {
      table = new Map();
      out.set(line.slice(1), table);
      continue;
    }
    // A declared chain exists even without rules: a jump to it falls through.
    if (table && line.startsWith(':')) {
      const chain = line.slice(1).split(' ')[0]!;
      if (!table.has(chain)) table.set(chain, []);
      continue;
    }
    if (!table || !line.startsWith('-A ')) continue;
    const words = line.match(/"[^"]*"|\S+/g)!.map((w) => w.replace(/^"|"$/g, ''));
    const chain = words[1]!;
    const spec = new Map<string, { value: string; not: boolean }[]>();
    let target = '';
    const targetArgs: string[] = [];
    let not = false;
    for (let i = 2; i < words.length; i++) {
      const w = words[i]!;
      if (w === '!') {
        not = true;
        continue;
      }
      if (w === '-j') {
        target = words[++i]!;
        targetArgs.push(...words.slice(i + 1));
        break;
      }
      if (w === '-m') {
        i++;
        continue;
      }
      if (w.startsWith('-')) {
        const values: string[] = [];
        while (i + 1 < words.length && !words[i + 1]!.startsWith('-') && words[i + 1] !== '!') values.push(words[++i]!);
        spec.set(w, [...(spec.get(w) ?? []), { value: values.join(' '), not }]);
      }
      not = false;
    }
    table.set(chain, [...(table.get(chain) ?? []), { chain, text: line, spec, target, targetArgs }]);
  }
  return out;
}

/** ipset name → member networks, from ipset restore input. */
export function parseIpsets(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const w = line.trim().split(/\s+/);
    if (w[0] === 'create') out.set(w[1]!, []);
    if (w[0] === 'add') out.set(w[1]!, [...(out.get(w[1]!) ?? []), w.slice(2).join(' ')]);
  }
  return out;
}

function inNet(ip: string, net: string): boolean {
  const [addr, len] = net.split(/[/ ,]/);
  const a = ipv4(ip);
  const b = ipv4(addr ?? '');
  if (a === undefined || b === undefined) return false;
  const bits = BigInt(len && /^\d+$/.test(len) ? Number(len) : 32);
  const mask = ((1n << bits) - 1n) << (32n - bits);
  return (a & mask) === (b & mask);
}

interface HostPacket {
  src: string;
  dst: string;
  proto: number;
  sport: number;
  dport: number;
  icmpType: number;
  mark: number;
  inIface: string;
  outIface: string;
  ctState: 'NEW' | 'ESTABLISHED';
}

const PROTO: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, icmp: 1 };

function ruleMatches(r: Rule, p: HostPacket, sets: Map<string, string[]>): boolean {
  for (const [opt, conds] of r.spec) {
    for (const { value, not } of conds) {
      let ok: boolean;
      switch (opt) {
        case '-p':
          ok = PROTO[value] === p.proto;
          break;
        case '-s':
          ok = inNet(p.src, value);
          break;
        case '-d':
          ok = inNet(p.dst, value);
          break;
        case '-i':
          ok = value === p.inIface;
          break;
        case '-o':
          ok = value === p.outIface;
          break;
        case '--dport':
        case '--sport': {
          const port = opt === '--dport' ? p.dport : p.sport;
          const [lo, hi] = value.split(':').map(Number);
          ok = port >= lo! && port <= (hi ?? lo!);
          break;
        }
        case '--icmp-type':
          ok = Number(value.split('/')[0]) === p.icmpType;
          break;
        case '--match-set': {
          const [set, dir] = value.split(' ');
          const members = sets.get(set!) ?? [];
          const ip = dir === 'src' ? p.src : p.dst;
          ok = members.some((m) => inNet(ip, m));
          break;
        }
        case '--mark': {
          const [v, m] = value.split('/');
          ok = (p.mark & Number(m ?? '0xffffffff')) === Number(v);
          break;
        }
        case '--ctstate':
          ok = value.split(',').includes(p.ctState);
          break;
        case '--comment':
        case '--src-type':
        case '--limit-iface-out':
          ok = true;
          break;
        default:
          ok = true;
      }
      if (ok === not) return false;
    }
  }
  // addrtype matches: only the masquerade of LOCAL traffic uses them; a packet from a Pod is never LOCAL.
  if (r.text.includes('--src-type LOCAL') && !r.text.includes('! --src-type LOCAL')) return false;
  return true;
}

/** Runs `chain` of one table; returns the terminal target met and its rule, or undefined when it falls through. */
function runChain(t: Tables, chain: string, p: HostPacket, sets: Map<string, string[]>, depth = 0): { target: string; rule: Rule } | undefined {
  if (depth > 32) return undefined;
  for (const r of t.get(chain) ?? []) {
    if (!ruleMatches(r, p, sets)) continue;
    if (r.target === 'LOG' || r.target === '') continue;
    if (r.target === 'RETURN') return undefined;
    if (t.has(r.target)) {
      const v = runChain(t, r.target, p, sets, depth + 1);
      if (v) return v;
      continue;
    }
    return { target: r.target, rule: r };
  }
  return undefined;
}

function ruleName(r: Rule): string {
  const c = /--comment (?:"([^"]*)"|(\S+))/.exec(r.text);
  return c ? (c[1] ?? c[2]!) : r.text;
}

/** The addresses a Node's host owns: its InternalIP, its gateway's, and those its bundle adds (Egress IPs). */
export function ownAddresses(node: NodeView): Set<string> {
  const own = new Set([node.meta.node.internalIP, node.meta.node.gatewayIP]);
  for (const m of (node.file('net/routes.txt') ?? '').matchAll(/^address add ([\d.]+)\//gm)) own.add(m[1]!);
  return own;
}

/** The node-level policy verdict of a Node's filter chain (ANTREA-INPUT for what it receives, ANTREA-OUTPUT for what it sends). */
export function hostFilter(node: NodeView, packet: Packet, chain: 'ANTREA-INPUT' | 'ANTREA-OUTPUT', iface: string, state: 'new' | 'established' = 'new'): HostFilter {
  const filter = parseIptables(node.file('iptables/ipv4.rules') ?? '').get('filter');
  const hp = hostPacket(packet, state);
  if (chain === 'ANTREA-INPUT') hp.inIface = iface;
  else hp.outIface = iface;
  const v = filter ? runChain(filter, chain, hp, parseIpsets(node.file('ipset/ipsets.txt') ?? '')) : undefined;
  return { verdict: v?.target ?? 'ACCEPT', ...(v ? { rule: ruleName(v.rule) } : {}) };
}

function hostPacket(packet: Packet, state: 'new' | 'established'): HostPacket {
  return {
    src: ipText(packet.get('nw_src')),
    dst: ipText(packet.get('nw_dst')),
    proto: Number(packet.get('nw_proto')),
    sport: Number(packet.get('tp_src')),
    dport: Number(packet.get('tp_dst')),
    icmpType: Number(packet.get('icmp_type')),
    mark: Number(packet.get('pkt_mark')),
    inIface: '',
    outIface: '',
    ctState: state === 'new' ? 'NEW' : 'ESTABLISHED',
  };
}

export function hostPath(bundles: Bundles, node: NodeView, packet: Packet, state: 'new' | 'established' = 'new'): HostPath {
  const meta = node.meta;
  const dst = ipText(packet.get('nw_dst'));
  const routes = node.file('net/routes.txt') ?? '';
  const own = ownAddresses(node);
  const tables = parseIptables(node.file('iptables/ipv4.rules') ?? '');
  const sets = parseIpsets(node.file('ipset/ipsets.txt') ?? '');
  const hp: HostPacket = { ...hostPacket(packet, state), inIface: meta.inventory.gateway.name };
  if (own.has(dst)) {
    const f = hostFilter(node, packet, 'ANTREA-INPUT', meta.inventory.gateway.name, state);
    return { local: true, filter: f, detail: f.rule ? `${dst} is ${node.name}'s; ANTREA-INPUT: ${f.verdict} (${f.rule})` : `${dst} is ${node.name}'s; no ANTREA-INPUT rule stops it` };
  }
  const mark = hp.mark & 0xff;
  // Policy routing first: an Egress mark may choose a route table (a VLAN subnet's), else the main table's uplink.
  let route: string | undefined;
  for (const m of routes.matchAll(/^rule add fwmark (0x[0-9a-f]+)\/(0x[0-9a-f]+) lookup (\d+)$/gm)) {
    if ((hp.mark & Number(m[2])) === Number(m[1])) {
      const table = m[3]!;
      const r = [...routes.matchAll(new RegExp(`^route replace (\\S+)(?: via (\\S+))? dev (\\S+).* table ${table}$`, 'gm'))].find((x) => x[1] === 'default' || inNet(dst, x[1]!));
      if (r) {
        route = `table ${table}: ${r[1]}${r[2] ? ` via ${r[2]}` : ''} dev ${r[3]}`;
        hp.outIface = r[3]!;
      }
    }
  }
  const peer = bundles.byIP.get(dst);
  const nat = tables.get('nat');
  const v = nat ? runChain(nat, 'ANTREA-POSTROUTING', { ...hp, outIface: hp.outIface || 'uplink' }, sets) : undefined;
  const path: HostPath = { local: false, detail: '' };
  if (route) path.route = route;
  if (mark !== 0) path.egressMark = mark;
  if (v?.target === 'SNAT') {
    const to = v.rule.targetArgs[v.rule.targetArgs.indexOf('--to-source') + 1] ?? '';
    path.snat = to;
    path.snatRule = ruleName(v.rule);
  } else if (v?.target === 'MASQUERADE') {
    path.snat = meta.node.internalIP;
    path.snatRule = ruleName(v.rule);
  }
  const parts = [peer ? `routed to Node ${peer.name}'s InternalIP ${dst} over the underlay` : `routed out of the cluster toward ${dst}`];
  if (route) parts.push(`via ${route}`);
  if (path.snat) parts.push(`source NAT to ${path.snat} (${path.snatRule})`);
  if (peer) {
    // The peer Node's host receives it on its uplink, after this Node's masquerade.
    const arrived = packet.clone();
    if (path.snat) arrived.set('nw_src', ipv4(path.snat)!);
    const f = hostFilter(peer, arrived, 'ANTREA-INPUT', 'uplink', state);
    path.peer = { node: peer.name, filter: f };
    parts.push(f.rule ? `${peer.name}'s ANTREA-INPUT: ${f.verdict} (${f.rule})` : `no ANTREA-INPUT rule of ${peer.name} stops it`);
  }
  path.detail = parts.join(', ');
  return path;
}
