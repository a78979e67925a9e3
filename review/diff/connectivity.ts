/**
 * The connectivity half of `dpc diff OLD NEW`: for every pair of endpoints (Pods, and the external segments the
 * policies name), the connections allowed before and after, decided by tracing packets through each side's
 * compiled bundles. One probe per port class per protocol decides a whole class (connset.ts).
 *
 * Three things keep this proportional to the change rather than to the cluster (issue 15 item 4):
 * - only pairs a changed line could touch are traced: a pair's packets run through its source's and its
 *   destination's Node only, and a changed flow narrows further by the addresses, ofports and conjunctions it
 *   matches (candidates below);
 * - Pods whose compiled flows are the same up to their own address, ofport and MAC (the same policy and
 *   address-set membership, on both sides) form one class, and a pair of classes is traced once;
 * - everything is read from the bundles: no policy is read twice.
 */
import { createHash } from 'node:crypto';
import { connectionSet, equal, formatConnections, isEmpty, portClasses, PORT_PROTOCOLS, type ConnectionSet, type PortProtocol, type Protocol, type Range } from './connset.js';
import { externalSegments, podCidrsOf, podsOf, policyCidrs, cidrRange, ipToInt, type Endpoint } from './endpoints.js';
import { addIptablesBoundaries, addPortBoundaries, parseFlow, type FlowFields } from './flowFields.js';
import type { NodeArtifactDiff } from './artifacts.js';
import type { CompiledVersion } from './version.js';
import { appendAll } from '../../compiler/util/append.js';

export interface Probe {
  readonly protocol: Protocol;
  /** Destination port (absent for ICMP). */
  readonly port?: number;
}

export interface Decision {
  readonly allowed: boolean;
  /** The rule IDs whose flows decided (rules.json IDs), first the deciding one. */
  readonly ruleIds: readonly number[];
}

/** What the connectivity diff needs of the interpreter, for one side. */
export interface Evaluator {
  decide(src: Endpoint, dst: Endpoint, probe: Probe): Decision;
}

export type DiffType = 'changed' | 'added' | 'removed';

export interface ConnectivityChange {
  readonly type: DiffType;
  readonly src: Endpoint;
  readonly dst: Endpoint;
  readonly dir1: ConnectionSet;
  readonly dir2: ConnectionSet;
  /** netpol-analyzer's workloads-diff-info: `workload X added` when an endpoint exists on one side only. */
  readonly info: string;
  /** Rule IDs that decided the probes whose verdict changed, per side. */
  readonly rules: { readonly old: readonly number[]; readonly new: readonly number[] };
}

export interface ConnectivityStats {
  endpoints: number;
  candidatePairs: number;
  classPairsTraced: number;
  probes: number;
  traces: number;
}

export interface ConnectivityResult {
  readonly changes: ConnectivityChange[];
  readonly stats: ConnectivityStats;
  readonly portClasses: ReadonlyMap<PortProtocol, readonly Range[]>;
}

/** Port boundaries per protocol of one Node on both sides: its NetworkPolicy flows and host rules. */
function nodeBoundaries(versions: readonly CompiledVersion[], node: string): Map<PortProtocol, Set<number>> {
  const bounds = new Map<PortProtocol, Set<number>>();
  for (const v of versions) {
    const files = v.nodes.get(node);
    if (!files) continue;
    addPortBoundaries(files.get('openflow/flows.txt') ?? '', bounds);
    for (const p of ['iptables/ipv4.rules', 'iptables/ipv6.rules']) addIptablesBoundaries(files.get(p) ?? '', bounds);
  }
  return bounds;
}

/**
 * Port classes per protocol for packets that cross the given Nodes. A pair's packets meet only its source's and
 * its destination's Node, so only those Nodes' flows can tell two ports apart for it: classes cut by the whole
 * cluster's ports would be exact too, but many times more probes.
 */
export function portClassesOf(versions: readonly CompiledVersion[], nodes?: readonly string[]): Map<PortProtocol, Range[]> {
  const names = nodes ?? [...new Set(versions.flatMap((v) => [...v.nodes.keys()]))];
  const all = new Map<PortProtocol, Set<number>>();
  for (const n of names) for (const [p, set] of nodeBoundaries(versions, n)) for (const b of set) (all.get(p) ?? all.set(p, new Set()).get(p)!).add(b);
  return new Map(PORT_PROTOCOLS.map((p) => [p, portClasses(all.get(p) ?? [])]));
}

// ---- candidate pairs -------------------------------------------------------------------------------------

type EndpointSet = 'all' | ReadonlySet<number>;
interface Rect {
  readonly src: EndpointSet;
  readonly dst: EndpointSet;
}

const intersect = (a: EndpointSet, b: EndpointSet): EndpointSet => (a === 'all' ? b : b === 'all' ? a : new Set([...a].filter((x) => b.has(x))));

interface Index {
  readonly endpoints: readonly Endpoint[];
  /** By address (Pods on both sides share a key; a Pod moved or re-addressed gets both addresses). */
  readonly byIp: ReadonlyMap<number, number[]>;
  /** byIp's addresses in ascending order, so that a CIDR finds its Pods by binary search rather than a scan. */
  readonly ips: readonly number[];
  /** Per Node, ofport → endpoint, per side (a Pod's ofport belongs to its Node). */
  readonly byOfport: ReadonlyMap<string, ReadonlyMap<number, number[]>>;
  readonly onNode: ReadonlyMap<string, ReadonlySet<number>>;
  readonly externals: readonly number[];
  readonly externalRanges: readonly { i: number; range: [number, number] }[];
}

function buildIndex(endpoints: readonly Endpoint[], sides: readonly Endpoint[][]): Index {
  const byIp = new Map<number, number[]>();
  const byOfport = new Map<string, Map<number, number[]>>();
  const onNode = new Map<string, Set<number>>();
  const id = new Map(endpoints.map((e, i) => [e.key, i]));
  const push = <K,>(m: Map<K, number[]>, k: K, v: number) => {
    const l = m.get(k);
    if (!l) m.set(k, [v]);
    else if (!l.includes(v)) l.push(v);
  };
  for (const side of sides) {
    for (const e of side) {
      const i = id.get(e.key)!;
      if (e.kind !== 'Pod') continue;
      push(byIp, ipToInt(e.ip), i);
      let ports = byOfport.get(e.node!);
      if (!ports) byOfport.set(e.node!, (ports = new Map()));
      push(ports, e.ofport!, i);
      let set = onNode.get(e.node!);
      if (!set) onNode.set(e.node!, (set = new Set()));
      set.add(i);
    }
  }
  const externals = endpoints.flatMap((e, i) => (e.kind === 'External' ? [i] : []));
  const externalRanges = externals.map((i) => {
    const [a, b] = endpoints[i]!.key.replace('[External]', '').split('-');
    return { i, range: [ipToInt(a!), ipToInt(b!)] as [number, number] };
  });
  const ips = [...byIp.keys()].sort((a, b) => a - b);
  return { endpoints, byIp, ips, byOfport, onNode, externals, externalRanges };
}

/** Endpoints whose address a flow's nw_src/nw_dst value can match. */
function byAddress(ix: Index, value: string): EndpointSet {
  const r = cidrRange(value.split('/')[0]!.includes('.') ? value : '');
  if (!r) return 'all';
  const out = new Set<number>();
  if (r[0] === r[1]) for (const i of ix.byIp.get(r[0]) ?? []) out.add(i);
  else {
    let lo = 0;
    let hi = ix.ips.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ix.ips[mid]! < r[0]) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < ix.ips.length && ix.ips[k]! <= r[1]; k++) for (const i of ix.byIp.get(ix.ips[k]!)!) out.add(i);
  }
  for (const { i, range } of ix.externalRanges) if (range[0] <= r[1] && range[1] >= r[0]) out.add(i);
  return out;
}

function flowRect(ix: Index, node: string, f: FlowFields): Rect {
  let src: EndpointSet = 'all';
  let dst: EndpointSet = 'all';
  if (f.nwSrc) src = intersect(src, byAddress(ix, f.nwSrc));
  if (f.nwDst) dst = intersect(dst, byAddress(ix, f.nwDst));
  const ports = ix.byOfport.get(node);
  if (f.inPort !== undefined && ports?.has(f.inPort)) src = intersect(src, new Set(ports.get(f.inPort)));
  if (f.reg1 !== undefined && ports?.has(f.reg1)) dst = intersect(dst, new Set(ports.get(f.reg1)));
  return { src, dst };
}

/** A pair's packets run through its source's Node and its destination's Node: a rect restricted to those at N. */
function throughNode(ix: Index, node: string, r: Rect): Rect[] {
  const here = ix.onNode.get(node) ?? new Set<number>();
  return [
    { src: intersect(r.src, here), dst: r.dst },
    { src: r.src, dst: intersect(r.dst, here) },
  ];
}

/** Each conjunction's clauses on one Node: per clause, the union of its match flows' rects. */
function conjunctionClauses(ix: Index, node: string, flowTexts: readonly string[]): Map<number, Map<number, Rect>> {
  // Unions grow in place: a clause of a rule with thousands of peers gets one flow per peer.
  const acc = new Map<number, Map<number, { src: 'all' | Set<number>; dst: 'all' | Set<number> }>>();
  const into = (to: 'all' | Set<number>, from: EndpointSet): 'all' | Set<number> => {
    if (to === 'all' || from === 'all') return 'all';
    for (const i of from) to.add(i);
    return to;
  };
  for (const text of flowTexts) {
    for (const line of text.split('\n')) {
      if (!line.includes('conjunction(')) continue;
      const f = parseFlow(line);
      const rect = flowRect(ix, node, f);
      for (const c of f.conjunctions) {
        let clauses = acc.get(c.id);
        if (!clauses) acc.set(c.id, (clauses = new Map()));
        const prev = clauses.get(c.clause);
        if (prev) {
          prev.src = into(prev.src, rect.src);
          prev.dst = into(prev.dst, rect.dst);
        } else clauses.set(c.clause, { src: into(new Set(), rect.src), dst: into(new Set(), rect.dst) });
      }
    }
  }
  return acc;
}

/**
 * Which ports a Node's flows tell apart, per rule: the port clauses of each conjunction, and port matches of
 * flows that name their endpoints themselves. For a pair, only rules whose other clauses can match it cut its
 * ports into classes; the rest never look at its packets' ports.
 */
interface NodePorts {
  readonly clauses: Map<number, Map<number, Rect>>;
  readonly byConj: Map<number, { protocol: PortProtocol; lo: number; hi: number }[]>;
  readonly own: { rect: Rect; protocol: PortProtocol; lo: number; hi: number }[];
  readonly host: Map<PortProtocol, Set<number>>;
}

function nodePorts(ix: Index, node: string, versions: readonly CompiledVersion[]): NodePorts {
  const texts = versions.map((v) => v.nodes.get(node)?.get('openflow/flows.txt') ?? '');
  const clauses = conjunctionClauses(ix, node, texts);
  const byConj = new Map<number, { protocol: PortProtocol; lo: number; hi: number }[]>();
  const own: NodePorts['own'] = [];
  for (const text of texts) {
    let at = text.indexOf('tp_dst=');
    while (at >= 0) {
      const start = text.lastIndexOf('\n', at) + 1;
      const end = text.indexOf('\n', at);
      const f = parseFlow(text.slice(start, end < 0 ? undefined : end));
      if (f.category === 2 && f.tpDst && f.protocol && f.protocol !== 'ICMP') {
        const port = { protocol: f.protocol, lo: f.tpDst[0], hi: f.tpDst[1] };
        if (f.conjunctions.length) for (const c of f.conjunctions) (byConj.get(c.id) ?? byConj.set(c.id, []).get(c.id)!).push(port);
        else own.push({ rect: flowRect(ix, node, f), ...port });
      }
      at = end < 0 ? -1 : text.indexOf('tp_dst=', end);
    }
  }
  const host = new Map<PortProtocol, Set<number>>();
  for (const v of versions) for (const p of ['iptables/ipv4.rules', 'iptables/ipv6.rules']) addIptablesBoundaries(v.nodes.get(node)?.get(p) ?? '', host);
  return { clauses, byConj, own, host };
}

const inSet = (set: EndpointSet, i: number): boolean => set === 'all' || set.has(i);

function pairBoundaries(ports: NodePorts, s: number, d: number, into: Map<PortProtocol, Set<number>>): void {
  const add = (p: PortProtocol, lo: number, hi: number) => (into.get(p) ?? into.set(p, new Set()).get(p)!).add(lo).add(hi + 1);
  for (const [id, list] of ports.byConj) {
    const cl = ports.clauses.get(id);
    if (cl && ![...cl.values()].every((c) => inSet(c.src, s) && inSet(c.dst, d))) continue;
    for (const x of list) add(x.protocol, x.lo, x.hi);
  }
  for (const x of ports.own) if (inSet(x.rect.src, s) && inSet(x.rect.dst, d)) add(x.protocol, x.lo, x.hi);
  for (const [p, set] of ports.host) for (const b of set) (into.get(p) ?? into.set(p, new Set()).get(p)!).add(b);
}

/** Artifacts whose change can alter no verdict: the rule map and exporter settings (names only), packet-in meters (rates only). */
const VERDICT_NEUTRAL = new Set(['visibility/rules.json', 'visibility/exporter.json', 'openflow/meters.txt']);

export function candidateRects(ix: Index, diffs: readonly NodeArtifactDiff[], oldV: CompiledVersion, newV: CompiledVersion): Rect[] {
  const rects: Rect[] = [];
  const everything: Rect = { src: 'all', dst: 'all' };
  for (const d of diffs) {
    const texts = [oldV.nodes.get(d.node), newV.nodes.get(d.node)].map((f) => f?.get('openflow/flows.txt') ?? '');
    let clauses: Map<number, Map<number, Rect>> | undefined;
    const ruleRect = (id: number): Rect => {
      clauses ??= conjunctionClauses(ix, d.node, texts);
      const cl = clauses.get(id);
      if (!cl) return everything;
      let r: Rect = everything;
      for (const c of cl.values()) r = { src: intersect(r.src, c.src), dst: intersect(r.dst, c.dst) };
      return r;
    };
    for (const file of d.files) {
      if (VERDICT_NEUTRAL.has(file.path)) continue;
      if (file.path !== 'openflow/flows.txt') {
        appendAll(rects, throughNode(ix, d.node, everything));
        continue;
      }
      for (const l of file.lines) {
        const f = parseFlow(l.line);
        let r = flowRect(ix, d.node, f);
        // A line that names no endpoint itself acts through its rule: the rule's conjunction decides whom.
        const own = f.nwSrc || f.nwDst || f.inPort !== undefined || f.reg1 !== undefined;
        if (!own && f.category === 2) {
          const id = f.conjId ?? (f.ruleId || undefined);
          if (id !== undefined) r = ruleRect(id);
        }
        appendAll(rects, throughNode(ix, d.node, r));
      }
    }
  }
  return rects;
}

// ---- classes ---------------------------------------------------------------------------------------------

const MAC = /\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b/g;

/**
 * Per Pod, a fingerprint of every flow line that names it (its address, or its ofport on its own Node), with its
 * own address, ofport and every MAC blanked out. Pods with equal fingerprints on both sides are treated alike by
 * every table, so one of them stands for all.
 */
function podClasses(ix: Index, versions: readonly CompiledVersion[], wanted: ReadonlySet<number>, cidrs: readonly string[]): Map<number, string> {
  const lines = new Map<number, Set<string>>();
  const add = (i: number, s: string) => {
    let set = lines.get(i);
    if (!set) lines.set(i, (set = new Set()));
    set.add(s);
  };
  // Only the fields that name one endpoint; read with one regex per line rather than a full parse (every Node).
  const NAMING = /\b(nw_src|nw_dst)=(\d+\.\d+\.\d+\.\d+)(?=[ ,])|\b(in_port)=(\d+)|\b(reg1)=0x([0-9a-f]+)(?=[ ,])/g;
  versions.forEach((v, side) => {
    for (const [node, files] of v.nodes) {
      const ports = ix.byOfport.get(node);
      for (const line of (files.get('openflow/flows.txt') ?? '').split('\n')) {
        let hits: Set<number> | undefined;
        for (const m of line.matchAll(NAMING)) {
          const ids = m[2] !== undefined ? ix.byIp.get(ipToInt(m[2])) : ports?.get(m[4] !== undefined ? Number(m[4]) : parseInt(m[6]!, 16));
          for (const i of ids ?? []) if (wanted.has(i) && (m[2] !== undefined || ix.endpoints[i]!.node === node)) (hits ??= new Set()).add(i);
        }
        for (const i of hits ?? []) {
          const e = ix.endpoints[i]!;
          const ofport = e.ofport!;
          const norm = line
            .split(e.ip).join('<ip>')
            .replace(new RegExp(`(in_port=|output:|reg1=0x)(${ofport}|${ofport.toString(16)})\\b`, 'g'), '$1<port>')
            .replace(MAC, '<mac>');
          add(i, `${side}:${norm}`);
        }
      }
    }
  });
  // An ipBlock names a Pod without naming its address: the ranges holding the Pod are part of its class.
  const ranges = cidrs.map((c) => [c, cidrRange(c)] as const);
  const out = new Map<number, string>();
  ix.endpoints.forEach((e, i) => {
    if (e.kind !== 'Pod' || !wanted.has(i)) out.set(i, e.key);
    else {
      const ip = ipToInt(e.ip);
      const inside = ranges.filter(([, r]) => r && ip >= r[0] && ip <= r[1]).map(([c]) => c);
      out.set(i, createHash('sha256').update([...(lines.get(i) ?? [])].sort().join('\n')).update(`\n${inside.join(',')}`).digest('base64'));
    }
  });
  return out;
}

// ---- the diff --------------------------------------------------------------------------------------------

/** Above this many candidate pairs, Pods are grouped into classes before tracing (see podClasses). */
export const CLASS_THRESHOLD = 2000;

export interface ConnectivityOptions {
  /** Group Pods into classes above this many candidate pairs (default CLASS_THRESHOLD; 0: always). */
  readonly classThreshold?: number;
  /** Trace every pair, not only candidates (for tests that check the candidate filter loses nothing). */
  readonly allPairs?: boolean;
}

export function connectivityDiff(
  oldV: CompiledVersion,
  newV: CompiledVersion,
  diffs: readonly NodeArtifactDiff[],
  evaluators: { old: Evaluator; new: Evaluator },
  options: ConnectivityOptions = {},
): ConnectivityResult {
  const sides = [oldV, newV];
  const pods = sides.map(podsOf);
  const podCidrs = [...new Set(sides.flatMap(podCidrsOf))];
  // A Node whose flows are the same text on both sides holds the same CIDRs: read once.
  const cidrs = new Set([...policyCidrs(oldV), ...policyCidrs(newV, (node, flows) => oldV.nodes.get(node)?.get('openflow/flows.txt') === flows)]);
  const externals = externalSegments(cidrs, podCidrs);
  const byKey = new Map<string, Endpoint>();
  for (const e of [...pods[1]!, ...pods[0]!, ...externals]) if (!byKey.has(e.key)) byKey.set(e.key, e);
  const endpoints = [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const sidePods = pods.map((list) => new Map(list.map((e) => [e.key, e])));
  const ix = buildIndex(endpoints, [...pods, externals]);
  const stats: ConnectivityStats = { endpoints: endpoints.length, candidatePairs: 0, classPairsTraced: 0, probes: 0, traces: 0 };
  if (diffs.length === 0 && !options.allPairs) return { changes: [], stats, portClasses: new Map() };

  // Candidate pairs, as src * n + dst.
  const n = endpoints.length;
  const pairs = new Set<number>();
  const all = endpoints.map((_, i) => i);
  const rects = options.allPairs ? [{ src: 'all' as const, dst: 'all' as const }] : candidateRects(ix, diffs, oldV, newV);
  for (const r of rects) {
    const srcs = r.src === 'all' ? all : [...r.src];
    const dsts = r.dst === 'all' ? all : [...r.dst];
    for (const s of srcs) for (const d of dsts) if (s !== d && !(endpoints[s]!.kind === 'External' && endpoints[d]!.kind === 'External')) pairs.add(s * n + d);
  }
  stats.candidatePairs = pairs.size;

  // Classes pay for themselves only when many pairs share them: computing them reads every Node's flows.
  const involved = new Set<number>();
  for (const key of pairs) involved.add(Math.floor(key / n)).add(key % n);
  const cls = pairs.size > (options.classThreshold ?? CLASS_THRESHOLD) ? podClasses(ix, sides, involved, [...cidrs]) : new Map(endpoints.map((e, i) => [i, e.key]));
  // A Pod on one side only is absent from the other. Address ranges exist on both sides: both are cut at the
  // boundaries of either side's ipBlocks, so a range one side splits is compared piece by piece.
  const present = (side: 0 | 1, e: Endpoint): Endpoint | undefined => (e.kind === 'Pod' ? sidePods[side]!.get(e.key) : e);

  // Probes per pair: ICMP, then one port per class per protocol, the classes cut only by the rules that can
  // match the pair on the Nodes its packets cross.
  const portsOf = new Map<string, NodePorts>();
  const usedClasses = new Map<PortProtocol, Set<number>>();
  const probesFor = (si: number, di: number) => {
    const bounds = new Map<PortProtocol, Set<number>>();
    for (const node of new Set([endpoints[si]!.node, endpoints[di]!.node])) {
      if (!node) continue;
      let np = portsOf.get(node);
      if (!np) portsOf.set(node, (np = nodePorts(ix, node, sides)));
      pairBoundaries(np, si, di, bounds);
    }
    const probes: Probe[] = [{ protocol: 'ICMP' }];
    const ranges: (Range | undefined)[] = [undefined];
    for (const p of PORT_PROTOCOLS) {
      for (const r of portClasses(bounds.get(p) ?? [])) {
        probes.push({ protocol: p, port: r[0] });
        ranges.push(r);
        (usedClasses.get(p) ?? usedClasses.set(p, new Set()).get(p)!).add(r[0]);
      }
    }
    stats.probes = Math.max(stats.probes, probes.length);
    return { probes, ranges };
  };

  interface Outcome {
    sets: [ConnectionSet, ConnectionSet];
    rules: [number[], number[]];
  }
  const memo = new Map<string, Outcome>();
  const evaluate = (s: Endpoint, d: Endpoint, probes: readonly Probe[], ranges: readonly (Range | undefined)[]): Outcome => {
    const out: Outcome = { sets: [connectionSet({}), connectionSet({})], rules: [[], []] };
    const verdicts: boolean[][] = [[], []];
    const deciding: number[][][] = [[], []];
    ([0, 1] as const).forEach((side) => {
      const src = present(side, s);
      const dst = present(side, d);
      if (!src || !dst) return;
      const ev = side === 0 ? evaluators.old : evaluators.new;
      const ports: Partial<Record<PortProtocol, Range[]>> = {};
      probes.forEach((p, k) => {
        const dec = ev.decide(src, dst, p);
        stats.traces++;
        verdicts[side]![k] = dec.allowed;
        deciding[side]![k] = [...dec.ruleIds];
        if (dec.allowed && p.port !== undefined) (ports[p.protocol as PortProtocol] ??= []).push(ranges[k]!);
      });
      out.sets[side] = connectionSet(ports, verdicts[side]![0] === true);
    });
    // The rules responsible: those deciding a probe whose verdict differs between the sides.
    const changed = probes.map((_, k) => verdicts[0]![k] !== verdicts[1]![k]);
    for (const side of [0, 1] as const) out.rules[side] = [...new Set(probes.flatMap((_, k) => (changed[k] ? deciding[side]![k] ?? [] : [])))].sort((a, b) => a - b);
    return out;
  };

  const changes: ConnectivityChange[] = [];
  const changedNodes = new Set(diffs.map((x) => x.node));
  for (const key of [...pairs].sort((a, b) => a - b)) {
    const si = Math.floor(key / n);
    const di = key % n;
    const s = endpoints[si]!;
    const d = endpoints[di]!;
    const { probes, ranges } = probesFor(si, di);
    // A changed Node's generic flows (naming no Pod) may treat its Pods unlike another Node's: classes meet
    // across Nodes only where the bundles did not change, and only between pairs probed at the same ports.
    const at = (e: Endpoint) => (e.node && changedNodes.has(e.node) ? e.node : '');
    const locality = s.node === d.node ? 'same' : s.node && d.node ? 'cross' : 'ext';
    const memoKey = `${cls.get(si)}|${at(s)}|${cls.get(di)}|${at(d)}|${locality}|${ranges.map((r) => r?.[0] ?? '').join(',')}`;
    let o = memo.get(memoKey);
    if (!o) {
      o = evaluate(s, d, probes, ranges);
      memo.set(memoKey, o);
      stats.classPairsTraced++;
    }
    const [a, b] = o.sets;
    if (equal(a, b)) continue;
    const type: DiffType = isEmpty(a) ? 'added' : isEmpty(b) ? 'removed' : 'changed';
    const newOrLost = [s, d].filter((e) => e.kind === 'Pod' && (!sidePods[0]!.has(e.key) || !sidePods[1]!.has(e.key)));
    const info = newOrLost.length ? `workload ${newOrLost.map((e) => e.key).join(' and ')} ${type}` : '';
    changes.push({ type, src: s, dst: d, dir1: a, dir2: b, info, rules: { old: o.rules[0], new: o.rules[1] } });
  }
  const classes = new Map(PORT_PROTOCOLS.map((p) => [p, portClasses(usedClasses.get(p) ?? [])]));
  return { changes, stats, portClasses: classes };
}

export { formatConnections };
