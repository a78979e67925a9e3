/**
 * The flow-record state machine of Antrea's exporter (pkg/agent/flowexporter/connections: conntrack_connections.go,
 * deny_connections.go, priorityqueue): a connection is exported when its active timeout (time since its last export)
 * or idle timeout (time since its stats last changed) expires; an exported connection that saw no change since is
 * no longer active and leaves the queue; one that conntrack no longer shows (or that is closing) is exported one last
 * time and then forgotten; one not exported within the stale timeout is dropped.
 *
 * Memory is bounded: each store holds at most `maxConnections` connections (new ones beyond are counted in
 * `overflow` and not tracked), and one export round hands out at most `maxPerRound` records.
 */
import { CT_STATUS_DYING, type CtConnection } from './conntrack.js';
import { RuleAction, type Naming, type PolicyMeta } from './naming.js';

export interface FlowKey {
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  readonly protocol: number;
}

export interface Conn {
  readonly flow: FlowKey;
  origDst: string;
  origDport: number;
  startMs: number;
  stopMs: number;
  lastExportMs: number;
  packets: bigint;
  bytes: bigint;
  reversePackets: bigint;
  reverseBytes: bigint;
  prevPackets: bigint;
  prevBytes: bigint;
  prevReversePackets: bigint;
  prevReverseBytes: bigint;
  tcpState: string;
  prevTcpState: string;
  status: number;
  isPresent: boolean;
  isActive: boolean;
  readyToDelete: boolean;
  /** In the export queue, with its two deadlines. */
  queued: boolean;
  activeExpireMs: number;
  idleExpireMs: number;
  sourcePod?: { namespace: string; name: string };
  destinationPod?: { namespace: string; name: string };
  ingress?: PolicyMeta;
  egress?: PolicyMeta;
  /** Set on a denied connection learnt from a packet-in. */
  denied?: boolean;
}

/** A snapshot handed to the exporter: later changes to the stored connection do not reach it. */
export type ExportedConn = Readonly<Conn> & { readonly endReason: 'active' | 'idle' | 'end' };

export interface StoreConfig {
  readonly activeTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly staleTimeoutMs: number;
  readonly protocols: ReadonlySet<number>;
  readonly maxConnections: number;
  readonly maxPerRound: number;
}

export const DEFAULT_MAX_CONNECTIONS = 65_536;
export const DEFAULT_MAX_DENIED = 16_384;
/** maxConnsToExport in Antrea's destination.go. */
export const MAX_PER_ROUND = 64;

export const keyOf = (f: FlowKey): string => `${f.protocol}|${f.src}|${f.sport}|${f.dst}|${f.dport}`;

/** utils.IsConnectionDying. */
export function isDying(c: Conn): boolean {
  if (c.tcpState === 'TIME_WAIT' || c.tcpState === 'CLOSE') return true;
  if (c.tcpState === '' && (c.status & CT_STATUS_DYING) !== 0) return true;
  return !c.isPresent;
}

abstract class Store {
  protected readonly conns = new Map<string, Conn>();
  overflow = 0;
  constructor(
    protected readonly cfg: StoreConfig,
    protected readonly naming: Naming,
  ) {}

  get size(): number {
    return this.conns.size;
  }

  protected queue(c: Conn, now: number): void {
    c.queued = true;
    c.activeExpireMs = now + this.cfg.activeTimeoutMs;
    c.idleExpireMs = now + this.cfg.idleTimeoutMs;
  }

  protected fillPods(c: Conn): boolean {
    const s = this.naming.pod(c.flow.src);
    const d = this.naming.pod(c.flow.dst);
    if (s) c.sourcePod = s;
    if (d) c.destinationPod = d;
    return !!(s || d);
  }

  protected admit(key: string, c: Conn): boolean {
    if (this.conns.size >= this.cfg.maxConnections) {
      this.overflow++;
      return false;
    }
    this.conns.set(key, c);
    return true;
  }

  protected abstract onExpire(c: Conn, now: number): void;

  /** GetExpiredConns: the connections whose active or idle deadline passed, soonest first, then their next state. */
  expired(now: number): ExportedConn[] {
    const due = [...this.conns.values()]
      .filter((c) => c.queued && (c.activeExpireMs <= now || c.idleExpireMs <= now))
      .sort((a, b) => Math.min(a.activeExpireMs, a.idleExpireMs) - Math.min(b.activeExpireMs, b.idleExpireMs))
      .slice(0, this.cfg.maxPerRound);
    const out: ExportedConn[] = [];
    for (const c of due) {
      this.onExpire(c, now);
      const endReason = isDying(c) || c.readyToDelete ? 'end' : c.isActive ? 'active' : 'idle';
      out.push({ ...c, endReason });
      c.lastExportMs = now;
      if (c.readyToDelete || !c.isActive) c.queued = false;
      else {
        c.prevPackets = c.packets;
        c.prevBytes = c.bytes;
        c.prevReversePackets = c.reversePackets;
        c.prevReverseBytes = c.reverseBytes;
        c.prevTcpState = c.tcpState;
        c.activeExpireMs = now + this.cfg.activeTimeoutMs;
      }
    }
    return out;
  }

  /** How long until the next deadline; the shorter timeout when nothing is queued. */
  nextExpiryMs(now: number): number {
    let soonest = Infinity;
    for (const c of this.conns.values()) if (c.queued) soonest = Math.min(soonest, c.activeExpireMs, c.idleExpireMs);
    return soonest === Infinity ? Math.min(this.cfg.activeTimeoutMs, this.cfg.idleTimeoutMs) : Math.max(0, soonest - now);
  }
}

const blank = (flow: FlowKey, now: number): Conn => ({
  flow,
  origDst: flow.dst,
  origDport: flow.dport,
  startMs: now,
  stopMs: now,
  lastExportMs: now,
  packets: 0n,
  bytes: 0n,
  reversePackets: 0n,
  reverseBytes: 0n,
  prevPackets: 0n,
  prevBytes: 0n,
  prevReversePackets: 0n,
  prevReverseBytes: 0n,
  tcpState: '',
  prevTcpState: '',
  status: 0,
  isPresent: true,
  isActive: true,
  readyToDelete: false,
  queued: false,
  activeExpireMs: 0,
  idleExpireMs: 0,
});

/** Connections conntrack shows: allowed ones, named from ct_label. */
export class ConntrackStore extends Store {
  /** AddOrUpdateConns with one poll's dump. */
  update(dump: readonly CtConnection[], now: number): void {
    for (const [key, c] of this.conns) {
      if (!c.isPresent) {
        if (c.readyToDelete || now - c.lastExportMs >= this.cfg.staleTimeoutMs) this.conns.delete(key);
      } else c.isPresent = false;
    }
    for (const ct of dump) {
      if (!this.cfg.protocols.has(ct.protocol)) continue;
      const flow: FlowKey = { src: ct.src, dst: ct.dst, sport: ct.sport, dport: ct.dport, protocol: ct.protocol };
      const key = keyOf(flow);
      const existing = this.conns.get(key);
      if (existing) {
        existing.isPresent = true;
        if (isDying(existing)) continue;
        existing.stopMs = now;
        existing.packets = ct.packets;
        existing.bytes = ct.bytes;
        existing.reversePackets = ct.reversePackets;
        existing.reverseBytes = ct.reverseBytes;
        existing.tcpState = ct.tcpState;
        existing.status = ct.status;
        existing.isActive = existing.packets > existing.prevPackets || existing.reversePackets > existing.prevReversePackets || existing.tcpState !== existing.prevTcpState;
        if (existing.isActive) {
          if (!existing.queued) this.queue(existing, now);
          else existing.idleExpireMs = now + this.cfg.idleTimeoutMs;
        }
        continue;
      }
      const c = blank(flow, ct.startSeconds ? ct.startSeconds * 1000 : now);
      c.stopMs = now;
      c.origDst = ct.origDst;
      c.origDport = ct.origDport;
      c.packets = ct.packets;
      c.bytes = ct.bytes;
      c.reversePackets = ct.reversePackets;
      c.reverseBytes = ct.reverseBytes;
      c.tcpState = ct.tcpState;
      c.status = ct.status;
      if (!this.fillPods(c)) continue;
      // ct_label: the ingress rule in bytes 12..16, the egress rule in bytes 8..12 (docs/reference/ovs-pipeline.md §2.3).
      const ingress = this.naming.rule(ct.labels.readUInt32BE(12), RuleAction.allow);
      const egress = this.naming.rule(ct.labels.readUInt32BE(8), RuleAction.allow);
      if (ingress) c.ingress = ingress;
      if (egress) c.egress = egress;
      c.lastExportMs = c.startMs;
      if (!this.admit(key, c)) continue;
      this.queue(c, now);
    }
  }

  protected onExpire(c: Conn, now: number): void {
    if (isDying(c)) c.readyToDelete = true;
    if (c.idleExpireMs < now) c.isActive = false;
  }
}

export interface DeniedPacket {
  readonly flow: FlowKey;
  /** IP total length of the denied packet. */
  readonly ipLength: number;
  /** The rule from reg3 (Antrea-native deny); absent for a K8s isolation drop, known only by its table. */
  readonly ruleId?: number;
  readonly direction: 'Ingress' | 'Egress';
  /** 2 Drop, 3 Reject. */
  readonly action: number;
  /** The allow rule of the other direction already committed (ct_label from the packet-in), if any. */
  readonly labels?: Buffer;
}

/** Connections a policy denied, learnt from store-deny packet-ins (packetin.go storeDenyConnection). */
export class DenyStore extends Store {
  add(p: DeniedPacket, now: number): void {
    if (!this.cfg.protocols.has(p.flow.protocol)) return;
    const key = keyOf(p.flow);
    const existing = this.conns.get(key);
    if (existing) {
      if (existing.readyToDelete) return;
      existing.bytes += BigInt(p.ipLength);
      existing.packets += 1n;
      existing.stopMs = now;
      existing.isActive = true;
      if (!existing.queued) this.queue(existing, now);
      else existing.idleExpireMs = now + this.cfg.idleTimeoutMs;
      return;
    }
    const c = blank(p.flow, now);
    c.denied = true;
    // Antrea never marks a denied connection present, so its records end with reason end-of-flow.
    c.isPresent = false;
    c.packets = 1n;
    c.bytes = BigInt(p.ipLength);
    if (!this.fillPods(c)) return;
    const denying = p.ruleId !== undefined ? this.naming.rule(p.ruleId, p.action) : undefined;
    // A K8s isolation drop names no policy: only its type and action are known (packetin.go).
    const meta: PolicyMeta = denying ?? { name: '', namespace: '', type: 1, ruleName: '', action: p.action };
    if (p.direction === 'Ingress') c.ingress = meta;
    else c.egress = meta;
    if (p.labels) {
      const other = p.direction === 'Ingress' ? this.naming.rule(p.labels.readUInt32BE(8), RuleAction.allow) : this.naming.rule(p.labels.readUInt32BE(12), RuleAction.allow);
      if (other && p.direction === 'Ingress') c.egress = other;
      if (other && p.direction === 'Egress') c.ingress = other;
    }
    if (!this.admit(key, c)) return;
    this.queue(c, now);
  }

  /** RunPeriodicDeletion. */
  sweep(now: number): void {
    for (const [key, c] of this.conns) if (c.readyToDelete || now - c.lastExportMs >= this.cfg.staleTimeoutMs) this.conns.delete(key);
  }

  protected onExpire(c: Conn, now: number): void {
    if (c.idleExpireMs < now) c.readyToDelete = true;
    if (c.packets <= c.prevPackets) c.isActive = false;
  }
}
