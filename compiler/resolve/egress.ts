/**
 * Egress decisions that Antrea makes live, made offline the same way (docs/reference/iptables-egress.md §3.5, §3.7):
 * the controller's IP allocation from ExternalIPPools, every agent's choice of the Egress Node on a consistent-hash
 * ring, and each Pod's effective Egress. Node-independent: which Node holds which IP, not what a Node installs.
 */
import { crc32 } from 'node:zlib';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { Msg } from '../diagnostics/messages.js';
import type { ClusterModel, NodeInfo, PodInfo } from '../model/model.js';
import { matchesSelector } from '../model/selectors.js';
import { formatIP, parseIP, type IPAddr } from '../net/ip.js';
import { allocatorRange, rangeHas, rangeTotal, type AllocatorRange } from '../net/ipAllocator.js';
import { parseQuantity, quantityValue } from '../net/quantity.js';
import type { EgressObject, ExternalIPPoolObject } from '../../schemas/egress.js';
import type { Located } from '../diagnostics/diagnostic.js';

/** Antrea's ring: 50 virtual replicas per Node (pkg/agent/memberlist `defaultVirtualNodeReplicas`). */
const REPLICAS = 50;

export interface SubnetInfo {
  gateway: IPAddr;
  prefixLength: number;
  vlan: number;
}

export interface EgressDecision {
  name: string;
  /** The IP the Egress SNATs to; absent when it has none (pool missing or exhausted). */
  ip?: IPAddr;
  pool?: string;
  /** The Node that holds the IP; absent when no Node does. */
  node?: string;
  /** How the Node was found: Antrea's scheduler, the Node owning a static IP, or the snapshot's status. */
  placedBy?: 'schedule' | 'static' | 'status';
  /** Why the Egress SNATs nothing (absent when it works). */
  unplaced?: string;
  /** Bandwidth in OVS meter units (kbps, kbits), when shaping is on. */
  bandwidth?: { rateKbps: number; burstKbits: number };
  /** The pool's subnetInfo, when EgressSeparateSubnet honours it. */
  subnet?: SubnetInfo;
  /** Pods for which this is the effective Egress, by key, sorted. */
  pods: readonly string[];
  /** Pods it selects that another Egress claimed first. */
  shadowedPods: readonly string[];
}

export interface PoolUsage {
  name: string;
  total: number;
  used: number;
}

export interface ResolvedEgress {
  /** Sorted by name. */
  egresses: readonly EgressDecision[];
  /** Pod key → its effective Egress's name. */
  podEgress: ReadonlyMap<string, string>;
  pools: readonly PoolUsage[];
  diagnostics: Diagnostic[];
}

type EgressSrc = Located<EgressObject>;

/** Antrea's processing order for scheduling (EgressesByCreationTimestamp): creation time, then name. */
function byCreation(a: EgressSrc, b: EgressSrc): number {
  const ta = a.obj.metadata.creationTimestamp ?? '';
  const tb = b.obj.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.obj.metadata.name < b.obj.metadata.name ? -1 : a.obj.metadata.name > b.obj.metadata.name ? 1 : 0;
}

/** A pool's ranges as its allocator holds them, and which offsets are taken. One per compile, never shared. */
class PoolAllocator {
  readonly ranges: AllocatorRange[];
  readonly taken: Set<bigint>[];
  constructor(pool: ExternalIPPoolObject) {
    this.ranges = pool.spec.ipRanges.map(allocatorRange).filter((r): r is AllocatorRange => r !== undefined);
    this.taken = this.ranges.map(() => new Set());
  }
  /** AllocateIP: the first range holding the IP that has it free and not reserved. */
  claim(ip: IPAddr): boolean {
    for (const [i, r] of this.ranges.entries()) {
      if (!rangeHas(r, ip) || r.reserved.includes(ip.value) || this.taken[i]!.has(ip.value)) continue;
      this.taken[i]!.add(ip.value);
      return true;
    }
    return false;
  }
  /** AllocateNext: the lowest free offset of the first range with room. */
  next(): IPAddr | undefined {
    for (const [i, r] of this.ranges.entries()) {
      if (this.taken[i]!.size >= rangeTotal(r)) continue;
      for (let off = 0n; off < r.max; off++) {
        const v = r.base.value + off;
        if (r.reserved.includes(v) || this.taken[i]!.has(v)) continue;
        this.taken[i]!.add(v);
        return { family: r.base.family, value: v };
      }
    }
    return undefined;
  }
  usage(name: string): PoolUsage {
    return { name, total: this.ranges.reduce((n, r) => n + rangeTotal(r), 0), used: this.taken.reduce((n, t) => n + t.size, 0) };
  }
}

/**
 * Antrea's consistent hash (pkg/agent/consistenthash): every Node contributes 50 replicas at crc32(i + name);
 * the key's crc32 picks the first replica at or after it, wrapping around, skipping Nodes a filter rejects.
 * Equal hashes: the Node added later replaces the earlier one, as btree.ReplaceOrInsert does; Antrea adds Nodes in
 * its lister's order, dpc in name order.
 */
export class ConsistentHash {
  private readonly ring: { hash: number; node: string }[];
  private readonly nodes: number;
  constructor(nodes: readonly string[]) {
    const byHash = new Map<number, string>();
    for (const n of nodes) for (let i = 0; i < REPLICAS; i++) byHash.set(crc32(`${i}${n}`), n);
    this.ring = [...byHash.entries()].map(([hash, node]) => ({ hash, node })).sort((a, b) => a.hash - b.hash);
    this.nodes = new Set(nodes).size;
  }
  get(key: string, accept: (node: string) => boolean = () => true): string | undefined {
    if (this.nodes === 0) return undefined;
    const h = crc32(key);
    let start = this.ring.findIndex((r) => r.hash >= h);
    if (start < 0) start = 0;
    const rejected = new Set<string>();
    for (let k = 0; k < this.ring.length && rejected.size < this.nodes; k++) {
      const { node } = this.ring[(start + k) % this.ring.length]!;
      if (rejected.has(node)) continue;
      if (accept(node)) return node;
      rejected.add(node);
    }
    return undefined;
  }
}

/** Alive memberlist members a pool may place IPs on: Linux, Ready, matching its nodeSelector. */
function eligibleNodes(model: ClusterModel, pool: ExternalIPPoolObject): NodeInfo[] {
  return model.nodes.filter((n) => n.linux && n.ready && matchesSelector(pool.spec.nodeSelector, n.labels));
}

function selectsPod(model: ClusterModel, e: EgressObject, pod: PodInfo): boolean {
  const { podSelector, namespaceSelector } = e.spec.appliedTo;
  if (!podSelector && !namespaceSelector) return false; // an empty appliedTo selects nothing
  if (podSelector && !matchesSelector(podSelector, pod.labels)) return false;
  if (namespaceSelector) {
    const ns = model.namespaces.get(pod.namespace);
    if (!ns || !matchesSelector(namespaceSelector, ns.labels)) return false;
  }
  return true;
}

function bandwidthOf(e: EgressObject): EgressDecision['bandwidth'] {
  const bw = e.spec.bandwidth;
  if (!bw) return undefined;
  // Antrea reads the Quantities as bits and divides by 1000 into uint32 (egress_controller.go bandwidthToRateLimitMeter).
  const kilo = (t: string) => Number(BigInt.asUintN(32, quantityValue(parseQuantity(t)!) / 1000n));
  return { rateKbps: kilo(bw.rate), burstKbits: kilo(bw.burst) };
}

export function resolveEgress(model: ClusterModel): ResolvedEgress {
  const diagnostics: Diagnostic[] = [];
  const features = model.config.features;
  const egresses = [...model.egresses].sort(byCreation);
  const warn = (e: EgressSrc, msg: { code: string; message: string }, field: (string | number)[] = []) =>
    diagnostics.push({ severity: 'warning', ...msg, object: { kind: 'Egress', name: e.obj.metadata.name }, at: { loc: e.loc, field } });

  // The controller: explicit IPs of pool Egresses are restored first, then free ones handed out in order.
  const allocators = new Map([...model.externalIPPools].map(([name, p]) => [name, new PoolAllocator(p.obj)]));
  const ipOf = new Map<string, IPAddr>();
  const unplaced = new Map<string, string>();
  for (const e of egresses) {
    const { egressIP, externalIPPool } = e.obj.spec;
    const name = e.obj.metadata.name;
    if (externalIPPool && !allocators.has(externalIPPool)) {
      unplaced.set(name, `ExternalIPPool ${externalIPPool} does not exist`);
      continue;
    }
    if (!egressIP) continue;
    const ip = parseIP(egressIP)!;
    ipOf.set(name, ip);
    // A failed claim leaves the datapath working; Antrea only stops tracking the IP (controller.go syncEgressIP).
    if (externalIPPool && !allocators.get(externalIPPool)!.claim(ip)) warn(e, Msg.egressIPNotAllocated(egressIP, externalIPPool), ['spec', 'egressIP']);
  }
  for (const e of egresses) {
    const { egressIP, externalIPPool } = e.obj.spec;
    const name = e.obj.metadata.name;
    if (egressIP || !externalIPPool || unplaced.has(name)) continue;
    const ip = allocators.get(externalIPPool)!.next();
    if (ip) ipOf.set(name, ip);
    else unplaced.set(name, `ExternalIPPool ${externalIPPool} has no free IP`);
  }

  // Every agent: one ring per pool, Egresses in creation order, each Node holding at most its capacity of IPs.
  const rings = new Map<string, ConsistentHash>();
  const ipsOnNode = new Map<string, Set<string>>();
  const capacity = (n: string) => model.nodeByName.get(n)?.maxEgressIPs ?? model.config.egress.maxEgressIPsPerNode;
  const nodeOf = new Map<string, { node: string; by: EgressDecision['placedBy'] }>();
  for (const e of egresses) {
    const name = e.obj.metadata.name;
    const ip = ipOf.get(name);
    if (!ip) continue;
    const ipText = formatIP(ip);
    const poolName = e.obj.spec.externalIPPool;
    if (!poolName) {
      // A static IP belongs to whichever Node has it on an interface.
      const owners = model.nodes.filter((n) => n.addresses.some((a) => a.family === ip.family && a.value === ip.value));
      if (owners.length === 0) unplaced.set(name, `no Node has ${ipText} on an interface; its Pods' traffic is tunnelled to that address`);
      else nodeOf.set(name, { node: owners[0]!.name, by: 'static' });
      continue;
    }
    const pool = model.externalIPPools.get(poolName)!;
    let ring = rings.get(poolName);
    if (!ring) rings.set(poolName, (ring = new ConsistentHash(eligibleNodes(model, pool.obj).map((n) => n.name))));
    // The ring is keyed by the IP as written in spec.egressIP (the controller writes it in Go's canonical form).
    const key = e.obj.spec.egressIP ?? ipText;
    const node = ring.get(key, (n) => {
      const held = ipsOnNode.get(n);
      return (held?.size ?? 0) + (held?.has(key) ? 0 : 1) <= capacity(n);
    });
    if (!node) {
      unplaced.set(name, eligibleNodes(model, pool.obj).length === 0 ? `no Node available: no Ready Linux Node matches the nodeSelector of ExternalIPPool ${poolName}` : `no Node available: every eligible Node already holds its maximum of Egress IPs`);
      continue;
    }
    nodeOf.set(name, { node, by: 'schedule' });
    let held = ipsOnNode.get(node);
    if (!held) ipsOnNode.set(node, (held = new Set()));
    held.add(key);
  }

  // A live snapshot's status is what the cluster did: used as made, a different choice reported.
  for (const e of egresses) {
    const name = e.obj.metadata.name;
    const status = e.obj.status?.egressNode;
    if (!status || !ipOf.has(name)) continue;
    const mine = nodeOf.get(name)?.node;
    if (!model.nodeByName.has(status)) {
      warn(e, Msg.egressStatusUnknownNode(status), ['status', 'egressNode']);
      continue;
    }
    if (mine !== status) warn(e, Msg.egressStatusDiffers(status, mine ?? 'no Node'), ['status', 'egressNode']);
    nodeOf.set(name, { node: status, by: 'status' });
    unplaced.delete(name);
  }

  // Each Pod binds to the first Egress (in creation order) that selects it and has an IP; the others wait.
  const podEgress = new Map<string, string>();
  const podsOf = new Map<string, string[]>();
  const shadowed = new Map<string, string[]>();
  const live = egresses.filter((e) => ipOf.has(e.obj.metadata.name) && (nodeOf.has(e.obj.metadata.name) || !e.obj.spec.externalIPPool));
  for (const pod of model.pods) {
    if (pod.hostNetwork) continue;
    for (const e of live) {
      if (!selectsPod(model, e.obj, pod)) continue;
      const name = e.obj.metadata.name;
      if (!podEgress.has(pod.key)) {
        podEgress.set(pod.key, name);
        (podsOf.get(name) ?? podsOf.set(name, []).get(name)!).push(pod.key);
      } else (shadowed.get(name) ?? shadowed.set(name, []).get(name)!).push(pod.key);
    }
  }

  const decisions: EgressDecision[] = [...egresses]
    .sort((a, b) => (a.obj.metadata.name < b.obj.metadata.name ? -1 : 1))
    .map((e) => {
      const name = e.obj.metadata.name;
      const d: EgressDecision = { name, pods: podsOf.get(name) ?? [], shadowedPods: shadowed.get(name) ?? [] };
      const ip = ipOf.get(name);
      if (ip) d.ip = ip;
      if (e.obj.spec.externalIPPool) d.pool = e.obj.spec.externalIPPool;
      const placed = nodeOf.get(name);
      if (placed) {
        d.node = placed.node;
        d.placedBy = placed.by;
      }
      if (d.ip?.family === 6) warn(e, Msg.egressIPv6NotCompiled(formatIP(d.ip)), ['spec', 'egressIP']);
      const why = unplaced.get(name);
      if (why) {
        d.unplaced = why;
        warn(e, Msg.egressUnplaced(why));
      }
      if (features.egressTrafficShaping) {
        const bw = bandwidthOf(e.obj);
        if (bw) d.bandwidth = bw;
      }
      const si = d.pool ? model.externalIPPools.get(d.pool)?.obj.spec.subnetInfo : undefined;
      if (si && model.config.egress.separateSubnet) {
        d.subnet = { gateway: parseIP(si.gateway)!, prefixLength: si.prefixLength, vlan: si.vlan ?? 0 };
        if (d.node && !model.config.transportInterface) {
          diagnostics.push({ severity: 'error', ...Msg.egressNeedsTransportInterface(d.pool!), object: { kind: 'Egress', name }, at: { loc: e.loc, field: ['spec', 'externalIPPool'] } });
        }
      }
      if (d.shadowedPods.length > 0) warn(e, Msg.egressPodsShadowed(d.shadowedPods.length, d.shadowedPods.slice(0, 5).join(', ')));
      return d;
    });
  const pools = [...allocators].map(([name, a]) => a.usage(name));
  return { egresses: decisions, podEgress, pools, diagnostics };
}

/** The review view of the decisions (summary and JSON): addresses as text, empty fields left out. */
export interface EgressReport {
  egresses: { name: string; ip?: string; pool?: string; node?: string; placedBy?: string; unplaced?: string; pods: readonly string[]; notEffectiveFor?: readonly string[]; bandwidth?: EgressDecision['bandwidth'] }[];
  pools: readonly PoolUsage[];
}

export function egressReport(r: ResolvedEgress): EgressReport {
  return {
    egresses: r.egresses.map((d) => ({
      name: d.name,
      ...(d.ip ? { ip: formatIP(d.ip) } : {}),
      ...(d.pool ? { pool: d.pool } : {}),
      ...(d.node ? { node: d.node, placedBy: d.placedBy } : {}),
      ...(d.unplaced ? { unplaced: d.unplaced } : {}),
      pods: d.pods,
      ...(d.shadowedPods.length > 0 ? { notEffectiveFor: d.shadowedPods } : {}),
      ...(d.bandwidth ? { bandwidth: d.bandwidth } : {}),
    })),
    pools: r.pools,
  };
}
