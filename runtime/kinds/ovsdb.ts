/**
 * The bridge's own OVSDB rows: the ports the bundle creates (tunnel, gateway; whatever later features add) and
 * the Flow_Table names. The bundle's transact.json says "insert"; the runtime turns it into "ensure": a row that
 * is missing is inserted, a row that exists with other values in the columns the bundle sets is updated, and a
 * row that matches is left alone, all in one OVSDB transaction. Rows are found by name (ports, interfaces) or by
 * table number (Flow_Table); columns the bundle does not set are not dpc's and are never compared or written.
 * Map columns (external_ids, options) are shared with other software: dpc compares and writes only the keys the
 * bundle sets, and removes only keys an earlier bundle set (on record in br-int's external_ids), key by key.
 */
import { canonicalDatum, setOf, transact, type Row } from '../ovs.js';
import { checkpoint, RuntimeError } from '../tools.js';
import type { ArtifactKind, KindContext, KindPlan } from './kind.js';

const TRANSACT = 'ovsdb/transact.json';
/** Bridge external_ids key listing the map keys (table, row, column, key) dpc set: what it owns in shared maps. */
const KEYS_RECORD = 'dpc-ovsdb-keys';

const isMap = (v: unknown): v is ['map', [unknown, unknown][]] => Array.isArray(v) && v[0] === 'map';

interface InsertOp {
  op: 'insert';
  table: string;
  'uuid-name': string;
  row: Row;
}
interface MutateOp {
  op: 'mutate';
  table: string;
  where: unknown;
  mutations: [string, string, unknown][];
}

interface DesiredPort {
  port: InsertOp;
  interfaces: InsertOp[];
}

interface Desired {
  ports: DesiredPort[];
  tables: { id: number; insert: InsertOp }[];
}

function parseTransact(text: string): Desired {
  const [db, ...ops] = JSON.parse(text) as [string, ...(InsertOp | MutateOp)[]];
  if (db !== 'Open_vSwitch') throw new RuntimeError(`${TRANSACT}: not an Open_vSwitch transaction`);
  const inserts = new Map<string, InsertOp>();
  const desired: Desired = { ports: [], tables: [] };
  const named = (ref: unknown): InsertOp => {
    const name = (ref as [string, string])[1];
    const op = inserts.get(name);
    if (!op) throw new RuntimeError(`${TRANSACT}: reference to unknown row ${name}`);
    return op;
  };
  for (const op of ops) {
    if (op.op === 'insert') inserts.set(op['uuid-name'], op);
    else if (op.op === 'mutate' && op.table === 'Bridge') {
      for (const [column, how, value] of op.mutations) {
        if (how !== 'insert') throw new RuntimeError(`${TRANSACT}: unsupported mutation ${how} of Bridge ${column}`);
        if (column === 'ports') {
          for (const ref of setOf(value)) {
            const port = named(ref);
            desired.ports.push({ port, interfaces: setOf(port.row.interfaces).map(named) });
          }
        } else if (column === 'flow_tables') {
          for (const [id, ref] of (value as ['map', [number, unknown][]])[1]) desired.tables.push({ id, insert: named(ref) });
        } else throw new RuntimeError(`${TRANSACT}: unsupported Bridge column ${column}`);
      }
    } else throw new RuntimeError(`${TRANSACT}: unsupported operation ${op.op} on ${op.table}`);
  }
  return desired;
}

/** Columns the bundle sets on a row, without the references that tie rows together. */
const ownColumns = (row: Row): [string, unknown][] =>
  Object.entries(row)
    .filter(([k]) => k !== 'interfaces')
    .map(([k, v]) => [k, canonicalDatum(v)] as [string, unknown])
    .sort(([a], [b]) => (a < b ? -1 : 1));

// One collator for every comparison: localeCompare with options builds a new one per call (a sort of a few
// hundred lines cost tens of milliseconds).
const byNumber = new Intl.Collator('en', { numeric: true }).compare;

const line = (table: string, name: string, column: string, value: unknown): string => `${table} ${name} ${column}=${JSON.stringify(value)}`;

function planOvsdb(ctx: KindContext): KindPlan {
  const desired = parseTransact(ctx.bundle.text(TRANSACT)!);
  const { bridge } = ctx;
  const liveTables = new Map<number, string>(
    (canonicalDatum(bridge.row.flow_tables) as ['map', [number, [string, string]][]])[1].map(([id, u]) => [id, u[1]]),
  );
  const tableRows = bridge.flowTables;
  const ifaceByName = new Map(bridge.interfaces.map((r) => [String(r.name), r]));
  const portByName = new Map(bridge.ports.map((r) => [String(r.name), r]));

  const ops: unknown[] = [];
  const newPorts: unknown[] = [];
  const newTables: [number, unknown][] = [];
  const liveLines: string[] = [];
  const desiredLines: string[] = [];
  const changes: string[] = [];

  const recordedKeys = new Set(JSON.parse(ctx.recorded.get(KEYS_RECORD) || '[]') as string[]);
  const desiredKeys = new Set<string>();

  const ensure = (op: InsertOp, live: Row | undefined, where: unknown[]): void => {
    const name = String(op.row.name ?? op['uuid-name']);
    const differing: Row = {};
    const mutations: unknown[] = [];
    for (const [column, value] of ownColumns(op.row)) {
      const map = isMap(value) ? value[1] : undefined;
      const keyOf = (k: unknown): string => JSON.stringify([op.table, name, column, k]);
      for (const [k] of map ?? []) desiredKeys.add(keyOf(k));
      desiredLines.push(line(op.table, name, column, value));
      if (!live) continue;
      const have = canonicalDatum(live[column]);
      if (map) {
        // A map column is shared: only the keys the bundle sets, or an earlier apply set, are dpc's.
        const owned = (isMap(have) ? have[1] : []).filter(([k]) => map.some(([d]) => d === k) || recordedKeys.has(keyOf(k)));
        liveLines.push(line(op.table, name, column, ['map', owned]));
        if (JSON.stringify(owned) !== JSON.stringify(map)) {
          const keys = [...new Set([...owned.map(([k]) => k), ...map.map(([k]) => k)])];
          mutations.push([column, 'delete', ['set', keys]], [column, 'insert', ['map', map]]);
        }
        continue;
      }
      liveLines.push(line(op.table, name, column, have));
      if (JSON.stringify(have) !== JSON.stringify(value)) differing[column] = op.row[column];
    }
    if (live && Object.keys(differing).length > 0) ops.push({ op: 'update', table: op.table, where, row: differing });
    if (live && mutations.length > 0) ops.push({ op: 'mutate', table: op.table, where, mutations });
    const changed = [...Object.keys(differing), ...mutations.filter((_, i) => i % 2 === 0).map((m) => (m as [string])[0])];
    if (live && changed.length > 0) changes.push(`~ ${op.table} ${name} ${changed.join(', ')}`);
  };

  for (const { port, interfaces } of desired.ports) {
    const name = String(port.row.name);
    const livePort = portByName.get(name);
    if (!livePort) {
      ops.push(port, ...interfaces);
      newPorts.push(['named-uuid', port['uuid-name']]);
      changes.push(`+ Port ${name} (${interfaces.map((i) => String(i.row.name)).join(', ')})`);
      for (const op of [port, ...interfaces]) ensure(op, undefined, []);
      continue;
    }
    ensure(port, livePort, [['_uuid', '==', livePort._uuid]]);
    for (const iface of interfaces) {
      const live = ifaceByName.get(String(iface.row.name));
      if (!live) throw new RuntimeError(`Port ${name} exists without its interface ${String(iface.row.name)}; remove the port or fix it by hand`);
      ensure(iface, live, [['_uuid', '==', live._uuid]]);
    }
  }
  for (const { id, insert } of desired.tables) {
    const uuid = liveTables.get(id);
    const live = uuid === undefined ? undefined : tableRows.get(uuid);
    if (!live) {
      ops.push(insert);
      newTables.push([id, ['named-uuid', insert['uuid-name']]]);
      changes.push(`+ Flow_Table ${id} ${String(insert.row.name)}`);
      desiredLines.push(line('Flow_Table', String(id), 'name', insert.row.name));
    } else {
      // Flow_Table rows are keyed by their number on the bridge; name them by it in the diff.
      for (const [column, value] of ownColumns(insert.row)) {
        desiredLines.push(line('Flow_Table', String(id), column, value));
        liveLines.push(line('Flow_Table', String(id), column, canonicalDatum(live[column])));
        if (JSON.stringify(canonicalDatum(live[column])) !== JSON.stringify(value)) {
          ops.push({ op: 'update', table: 'Flow_Table', where: [['_uuid', '==', live._uuid]], row: { [column]: insert.row[column] } });
          changes.push(`~ Flow_Table ${id} ${column}`);
        }
      }
    }
  }
  const mutations: unknown[] = [];
  if (newPorts.length > 0) mutations.push(['ports', 'insert', ['set', newPorts]]);
  if (newTables.length > 0) mutations.push(['flow_tables', 'insert', ['map', newTables]]);
  if (mutations.length > 0) ops.push({ op: 'mutate', table: 'Bridge', where: [['name', '==', ctx.conn.bridge]], mutations });

  // The keys this apply may set are on record in the same transaction, so a kill before the final record still
  // leaves them owned (and removable by a later bundle that drops them).
  const keysRecord = (keys: Iterable<string>): string => JSON.stringify([...keys].sort());
  if (ops.length > 0) {
    ops.push(
      { op: 'mutate', table: 'Bridge', where: [['name', '==', ctx.conn.bridge]], mutations: [['external_ids', 'delete', ['set', [KEYS_RECORD]]]] },
      { op: 'mutate', table: 'Bridge', where: [['name', '==', ctx.conn.bridge]], mutations: [['external_ids', 'insert', ['map', [[KEYS_RECORD, keysRecord([...recordedKeys, ...desiredKeys])]]]]] },
    );
  }
  return {
    kind: 'ovsdb',
    files: [{ path: TRANSACT, live: liveLines.sort(byNumber), desired: desiredLines.sort(byNumber), compare: byNumber }],
    changes,
    apply: async () => {
      if (ops.length > 0) await transact(ctx.conn, ops);
      checkpoint('ovsdb-committed');
    },
    record: new Map([[KEYS_RECORD, keysRecord(desiredKeys)]]),
  };
}

export const ovsdbKind: ArtifactKind = {
  name: 'ovsdb',
  tools: [],
  inBundle: (meta) => TRANSACT in meta.artifacts,
  plan: async (ctx) => planOvsdb(ctx),
};
