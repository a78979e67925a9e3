/**
 * An interpreter of one bridge's OpenFlow pipeline, as `ofproto/trace` runs it: table lookup by priority with
 * conjunctive matches, OVS's action semantics (resubmit is a call, goto_table the tail, a group of type all runs
 * every bucket on a copy, ct(table=N) recirculates after the current actions), and a conntrack model that answers
 * each ct() from the connections committed so far (an established packet is traced after its connection's first
 * packet committed it).
 */
import { CT_STATE_BITS, FIELDS, ones, registerView } from './fields.js';
import type { Action, FieldRef, OfFlow, OfGroup, OfMeter } from './parse.js';

// ---------------------------------------------------------------------------------------------
// Packet

export class Packet {
  /** Only non-zero fields are stored; reg0..reg15 hold every register, xreg/xxreg are views of them. */
  private readonly f: Map<string, bigint>;

  constructor(fields?: Iterable<[string, bigint]>) {
    this.f = new Map();
    if (fields) for (const [k, v] of fields) this.set(k, v);
  }

  clone(): Packet {
    const p = new Packet();
    for (const [k, v] of this.f) p.f.set(k, v);
    return p;
  }

  get(field: string): bigint {
    const view = registerView(field);
    if (view && view.words > 1) {
      let v = 0n;
      for (let i = 0; i < view.words; i++) v = (v << 32n) | (this.f.get(`reg${view.base + i}`) ?? 0n);
      return v;
    }
    return this.f.get(field) ?? 0n;
  }

  set(field: string, value: bigint): void {
    const view = registerView(field);
    if (view && view.words > 1) {
      for (let i = 0; i < view.words; i++) this.set(`reg${view.base + i}`, (value >> BigInt(32 * (view.words - 1 - i))) & 0xffffffffn);
      return;
    }
    const width = FIELDS.get(field)?.bits ?? 64;
    const v = value & ones(width);
    if (v === 0n) this.f.delete(field);
    else this.f.set(field, v);
  }

  setMasked(field: string, value: bigint, mask: bigint): void {
    this.set(field, (this.get(field) & ~mask) | (value & mask));
  }

  readRef(ref: FieldRef): bigint {
    return (this.get(ref.field) >> BigInt(ref.start)) & ones(ref.bits);
  }

  writeRef(ref: FieldRef, value: bigint): void {
    const mask = ones(ref.bits) << BigInt(ref.start);
    this.setMasked(ref.field, (value & ones(ref.bits)) << BigInt(ref.start), mask);
  }

  /** Every non-zero field, sorted by name. */
  fields(): [string, bigint][] {
    return [...this.f.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

// ---------------------------------------------------------------------------------------------
// Tables

interface PriorityLevel {
  readonly priority: number;
  readonly regular: readonly OfFlow[];
  readonly clauses: readonly OfFlow[];
}

export function matches(flow: OfFlow, p: Packet): boolean {
  for (const m of flow.match) if ((p.get(m.field) & m.mask) !== m.value) return false;
  return true;
}

class FlowTable {
  readonly levels: PriorityLevel[];
  /** conj_id flows by conjunction ID. */
  readonly conjFlows = new Map<number, OfFlow[]>();

  constructor(flows: readonly OfFlow[]) {
    const byPrio = new Map<number, { regular: OfFlow[]; clauses: OfFlow[] }>();
    for (const f of flows) {
      const conj = f.match.find((m) => m.field === 'conj_id');
      if (conj) {
        const id = Number(conj.value);
        const list = this.conjFlows.get(id);
        if (list) list.push(f);
        else this.conjFlows.set(id, [f]);
        continue;
      }
      let level = byPrio.get(f.priority);
      if (!level) byPrio.set(f.priority, (level = { regular: [], clauses: [] }));
      (f.clauses ? level.clauses : level.regular).push(f);
    }
    this.levels = [...byPrio.entries()].sort(([a], [b]) => b - a).map(([priority, l]) => ({ priority, ...l }));
  }

  /** OVS's lookup: the highest priority that has a matching flow or a complete conjunction wins. */
  lookup(p: Packet): { flow: OfFlow; conjId?: number } | undefined {
    for (const level of this.levels) {
      for (const f of level.regular) if (matches(f, p)) return { flow: f };
      if (level.clauses.length === 0) continue;
      const seen = new Map<number, { clauses: number; hit: Set<number> }>();
      for (const f of level.clauses) {
        if (!matches(f, p)) continue;
        for (const c of f.clauses!) {
          let s = seen.get(c.id);
          if (!s) seen.set(c.id, (s = { clauses: c.clauses, hit: new Set() }));
          s.hit.add(c.clause);
        }
      }
      const complete = [...seen.entries()].filter(([, s]) => s.hit.size === s.clauses).map(([id]) => id).sort((a, b) => a - b);
      for (const id of complete) {
        const q = p.clone();
        q.set('conj_id', BigInt(id));
        const candidates = (this.conjFlows.get(id) ?? []).filter((f) => matches(f, q)).sort((a, b) => b.priority - a.priority);
        if (candidates[0]) return { flow: candidates[0], conjId: id };
      }
    }
    return undefined;
  }
}

export class Pipeline {
  readonly tables = new Map<number, FlowTable>();
  readonly groups: ReadonlyMap<number, OfGroup>;
  readonly meters: ReadonlyMap<number, OfMeter>;

  constructor(flows: readonly OfFlow[], groups: readonly OfGroup[] = [], meters: readonly OfMeter[] = []) {
    const byTable = new Map<number, OfFlow[]>();
    for (const f of flows) {
      const list = byTable.get(f.table);
      if (list) list.push(f);
      else byTable.set(f.table, [f]);
    }
    for (const [t, fs] of byTable) this.tables.set(t, new FlowTable(fs));
    this.groups = new Map(groups.map((g) => [g.id, g]));
    this.meters = new Map(meters.map((m) => [m.id, m]));
  }
}

// ---------------------------------------------------------------------------------------------
// Conntrack

export interface CtEntry {
  zone: number;
  key: string;
  reverseKey: string;
  mark: bigint;
  label: bigint;
}

/** Connections committed so far, by zone and 5-tuple; shared by the passes of one connection. */
export class Conntrack {
  readonly entries: CtEntry[] = [];

  static keyOf(p: Packet, reverse = false): string {
    const src = reverse ? 'nw_dst' : 'nw_src';
    const dst = reverse ? 'nw_src' : 'nw_dst';
    const proto = p.get('nw_proto');
    const ports = proto === 6n || proto === 17n || proto === 132n ? (reverse ? [p.get('tp_dst'), p.get('tp_src')] : [p.get('tp_src'), p.get('tp_dst')]) : [p.get('icmp_type') === 0n && proto === 1n ? 8n : p.get('icmp_type'), 0n];
    return `${p.get(src)}|${p.get(dst)}|${proto}|${ports.join('|')}`;
  }

  find(zone: number, p: Packet): { entry: CtEntry; reply: boolean } | undefined {
    const key = Conntrack.keyOf(p);
    for (const e of this.entries) {
      if (e.zone !== zone) continue;
      if (e.key === key) return { entry: e, reply: false };
      if (e.reverseKey === key) return { entry: e, reply: true };
    }
    return undefined;
  }

  commit(zone: number, p: Packet, mark: bigint, label: bigint): void {
    const found = this.find(zone, p);
    if (found) {
      found.entry.mark = mark;
      found.entry.label = label;
      return;
    }
    this.entries.push({ zone, key: Conntrack.keyOf(p), reverseKey: Conntrack.keyOf(p, true), mark, label });
  }
}

// ---------------------------------------------------------------------------------------------
// Execution

/** One thing that happened to the packet, in order. */
export type Step =
  | { readonly kind: 'flow'; readonly table: number; readonly flow: OfFlow; readonly conjId?: number; readonly depth: number; readonly set: readonly [string, bigint][] }
  | { readonly kind: 'miss'; readonly table: number; readonly depth: number }
  | { readonly kind: 'group'; readonly group: number; readonly bucket: number; readonly depth: number }
  | { readonly kind: 'ct'; readonly zone: number; readonly state: bigint; readonly commit: boolean; readonly recirculate?: number; readonly depth: number }
  | { readonly kind: 'meter'; readonly meter: number; readonly depth: number }
  | { readonly kind: 'recirc'; readonly table: number };

export type Emission =
  | { readonly kind: 'output'; readonly port: number; readonly packet: Packet; readonly table: number; readonly flow: OfFlow }
  | { readonly kind: 'controller'; readonly userdata?: string; readonly reason?: string; readonly packet: Packet; readonly table: number; readonly flow: OfFlow }
  | { readonly kind: 'normal'; readonly packet: Packet; readonly table: number; readonly flow: OfFlow }
  | { readonly kind: 'drop'; readonly packet: Packet; readonly table: number; readonly flow?: OfFlow };

export interface Run {
  readonly steps: Step[];
  readonly emissions: Emission[];
  /** The packet after the last action of the last pass. */
  packet: Packet;
  /** ct_state of each ct(table=...) recirculation, in order: what `ofproto/trace --ct-next` needs to agree. */
  readonly ctStates: bigint[];
}

const MAX_DEPTH = 64;

export class Interpreter {
  constructor(
    readonly pipeline: Pipeline,
    readonly conntrack: Conntrack = new Conntrack(),
  ) {}

  /** Runs a packet from table 0 (or `table`) to its end, following every recirculation. */
  run(packet: Packet, table = 0): Run {
    const run: Run = { steps: [], emissions: [], packet, ctStates: [] };
    const queue: { table: number; packet: Packet }[] = [{ table, packet }];
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (run.steps.length > 0) run.steps.push({ kind: 'recirc', table: next.table });
      run.packet = next.packet;
      this.lookup(run, next.packet, next.table, 0, queue);
    }
    return run;
  }

  private lookup(run: Run, p: Packet, table: number, depth: number, queue: { table: number; packet: Packet }[]): void {
    if (depth > MAX_DEPTH) throw new Error(`resubmit depth over ${MAX_DEPTH} at table ${table}`);
    const hit = this.pipeline.tables.get(table)?.lookup(p);
    if (!hit) {
      run.steps.push({ kind: 'miss', table, depth });
      run.emissions.push({ kind: 'drop', packet: p.clone(), table });
      return;
    }
    const stepIndex = run.steps.length;
    run.steps.push({ kind: 'flow', table, flow: hit.flow, depth, set: [], ...(hit.conjId !== undefined ? { conjId: hit.conjId } : {}) });
    // What this flow's own actions change: nested resubmits and group buckets are their flows' changes, not its.
    let before = new Map(p.fields());
    const own = new Map<string, bigint>();
    const mark = (nested: boolean) => {
      for (const [k, v] of p.fields()) if (before.get(k) !== v) own.set(k, v);
      for (const [k] of before) if (p.get(k) === 0n) own.set(k, 0n);
      const s = run.steps[stepIndex]!;
      if (s.kind === 'flow') run.steps[stepIndex] = { ...s, set: [...own.entries()].sort(([a], [b]) => (a < b ? -1 : 1)) };
      if (nested) return () => (before = new Map(p.fields()));
      return () => undefined;
    };
    const gotoTable = this.actions(run, p, hit.flow.actions, hit.flow, table, depth, queue, mark);
    if (gotoTable !== undefined) this.lookup(run, p, gotoTable, depth, queue);
  }

  /** Runs an action list; returns the goto_table target, if any. `done` records what the list changed. */
  private actions(run: Run, p: Packet, actions: readonly Action[], flow: OfFlow, table: number, depth: number, queue: { table: number; packet: Packet }[], done: (nested: boolean) => () => void): number | undefined {
    let gotoTable: number | undefined;
    for (const a of actions) {
      switch (a.op) {
        case 'set':
          p.setMasked(a.field, a.value, a.mask);
          break;
        case 'load':
          p.writeRef(a.dst, a.value);
          break;
        case 'move':
          p.writeRef(a.dst, p.readRef(a.src));
          break;
        case 'goto':
          gotoTable = a.table;
          break;
        case 'resubmit': {
          const saved = p.get('in_port');
          if (a.port !== undefined) p.set('in_port', BigInt(a.port));
          const rebase = done(true);
          this.lookup(run, p, a.table ?? table, depth + 1, queue);
          if (a.port !== undefined) p.set('in_port', saved);
          rebase();
          break;
        }
        case 'conjunction':
          break;
        case 'ct':
          this.ct(run, p, a, depth, queue);
          break;
        case 'ct_clear':
          for (const f of ['ct_state', 'ct_mark', 'ct_label', 'ct_zone', 'ct_nw_src', 'ct_nw_dst', 'ct_nw_proto', 'ct_tp_src', 'ct_tp_dst']) p.set(f, 0n);
          break;
        case 'group': {
          const g = this.pipeline.groups.get(a.id);
          done(false);
          if (!g) {
            run.emissions.push({ kind: 'drop', packet: p.clone(), table, flow });
            break;
          }
          const buckets = g.type === 'all' ? g.buckets : g.buckets.slice(0, 1);
          for (const b of buckets) {
            run.steps.push({ kind: 'group', group: g.id, bucket: b.id, depth: depth + 1 });
            // A bucket acts on a copy: what it changes is gone when the next bucket (or the caller) goes on.
            const q = p.clone();
            const t = this.actions(run, q, b.actions, flow, table, depth + 1, queue, () => () => undefined);
            if (t !== undefined) this.lookup(run, q, t, depth + 1, queue);
          }
          break;
        }
        case 'meter':
          run.steps.push({ kind: 'meter', meter: a.id, depth });
          break;
        case 'output': {
          const port = a.port ?? Number(p.readRef(a.ref!));
          run.emissions.push({ kind: 'output', port, packet: p.clone(), table, flow });
          break;
        }
        case 'in_port':
          run.emissions.push({ kind: 'output', port: Number(p.get('in_port')), packet: p.clone(), table, flow });
          break;
        case 'normal':
          run.emissions.push({ kind: 'normal', packet: p.clone(), table, flow });
          break;
        case 'local':
          run.emissions.push({ kind: 'output', port: 0xfffffffe, packet: p.clone(), table, flow });
          break;
        case 'controller':
          run.emissions.push({ kind: 'controller', packet: p.clone(), table, flow, ...(a.userdata ? { userdata: a.userdata } : {}), ...(a.reason ? { reason: a.reason } : {}) });
          break;
        case 'drop':
          run.emissions.push({ kind: 'drop', packet: p.clone(), table, flow });
          break;
        case 'dec_ttl': {
          const ttl = p.get('nw_ttl');
          if (ttl <= 1n) {
            run.emissions.push({ kind: 'drop', packet: p.clone(), table, flow });
            done(false);
            return undefined;
          }
          p.set('nw_ttl', ttl - 1n);
          break;
        }
        case 'note':
        case 'learn':
        case 'other':
          break;
      }
    }
    done(false);
    return gotoTable;
  }

  private ct(run: Run, p: Packet, a: Extract<Action, { op: 'ct' }>, depth: number, queue: { table: number; packet: Packet }[]): void {
    const zone = a.zone ?? (a.zoneRef ? Number(p.readRef(a.zoneRef)) : 0);
    const found = this.conntrack.find(zone, p);
    let state = CT_STATE_BITS['trk']!;
    // Conntrack starts a TCP connection only on a bare SYN; any other segment of an unknown connection is invalid.
    const flags = p.get('tcp_flags');
    const tcpNotNew = p.get('nw_proto') === 6n && (flags & 0x017n) !== 0x002n;
    if (found) state |= CT_STATE_BITS['est']! | (found.reply ? CT_STATE_BITS['rpl']! : 0n);
    else state |= tcpNotNew && flags !== 0n ? CT_STATE_BITS['inv']! : CT_STATE_BITS['new']!;
    // What the connection holds once this action is done: exec() writes ct_mark/ct_label of a committed one.
    const view = p.clone();
    view.set('ct_state', state);
    view.set('ct_zone', BigInt(zone));
    view.set('ct_mark', found?.entry.mark ?? 0n);
    view.set('ct_label', found?.entry.label ?? 0n);
    if (a.commit) {
      for (const x of a.exec) {
        if (x.op === 'set') view.setMasked(x.field, x.value, x.mask);
        else if (x.op === 'move') view.writeRef(x.dst, view.readRef(x.src));
        else if (x.op === 'load') view.writeRef(x.dst, x.value);
      }
      this.conntrack.commit(zone, p, view.get('ct_mark'), view.get('ct_label'));
    }
    run.steps.push({ kind: 'ct', zone, state, commit: a.commit, depth, ...(a.table !== undefined ? { recirculate: a.table } : {}) });
    if (a.table !== undefined) {
      // The tracked copy resumes at the table after this pass; the packet in hand goes on untracked.
      run.ctStates.push(state);
      queue.push({ table: a.table, packet: view });
    }
  }
}
