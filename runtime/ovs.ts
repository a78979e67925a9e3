/**
 * Reaching a Node's Open vSwitch as OVS's own tools do: the database at `--db unix:PATH`, else
 * $OVS_RUNDIR/db.sock, else /var/run/openvswitch/db.sock; ovs-vswitchd's bridge socket in the same run dir.
 * OVSDB is spoken as RFC 7047 JSON-RPC, on the unix socket directly (no process to start) or through
 * ovsdb-client for other remotes; one transaction is one atomic change.
 */
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { runAsync, RuntimeError, trace } from './tools.js';

export const DEFAULT_RUNDIR = '/var/run/openvswitch';

export interface OvsConn {
  /** `unix:PATH` of ovsdb-server. */
  readonly db: string;
  readonly rundir: string;
  readonly bridge: string;
}

export function connectOvs(opts: { db?: string; bridge?: string }): OvsConn {
  const rundir = process.env.OVS_RUNDIR || (opts.db?.startsWith('unix:') ? dirname(opts.db.slice(5)) : DEFAULT_RUNDIR);
  const db = opts.db ?? `unix:${join(rundir, 'db.sock')}`;
  if (db.startsWith('unix:') && !existsSync(db.slice(5))) {
    throw new RuntimeError(`ovsdb-server is not running: no socket ${db.slice(5)} (set OVS_RUNDIR or --db unix:PATH)`);
  }
  return { db, rundir, bridge: opts.bridge ?? 'br-int' };
}

/** OVSDB's JSON values with sets and maps in a canonical order, a one-element set as its atom. */
export function canonicalDatum(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  const [tag, body] = v as [string, unknown];
  if (tag === 'map') {
    const pairs = (body as [unknown, unknown][]).map(([k, x]) => [k, canonicalDatum(x)] as const);
    return ['map', pairs.sort((a, b) => cmpJson(a[0], b[0]))];
  }
  if (tag === 'set') {
    const items = (body as unknown[]).map(canonicalDatum).sort(cmpJson);
    return items.length === 1 ? items[0] : ['set', items];
  }
  return v;
}

const cmpJson = (a: unknown, b: unknown): number => {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

export function mapOf(v: unknown): Map<string, string> {
  const c = canonicalDatum(v);
  if (Array.isArray(c) && c[0] === 'map') return new Map((c[1] as [string, string][]).map(([k, x]) => [String(k), String(x)]));
  return new Map();
}

/** Atoms of a set column (a single atom counts as a one-element set). */
export function setOf(v: unknown): unknown[] {
  if (Array.isArray(v) && v[0] === 'set') return v[1] as unknown[];
  if (Array.isArray(v) && v[0] !== 'uuid' && v[0] !== 'named-uuid') return [];
  return [v];
}

export type Row = Record<string, unknown>;

/** One JSON-RPC transact on ovsdb-server's unix socket: one request, one reply, then the connection closes. */
function socketTransact(path: string, params: unknown[]): Promise<unknown[]> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let text = '';
    const fail = (why: string): void => {
      sock.destroy();
      reject(new RuntimeError(`ovsdb-server at ${path}: ${why}`));
    };
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify({ id: 0, method: 'transact', params })));
    sock.on('data', (chunk: string) => {
      text += chunk;
      let reply: { id?: unknown; result?: unknown[]; error?: unknown };
      try {
        reply = JSON.parse(text) as typeof reply;
      } catch {
        return; // not whole yet
      }
      sock.end();
      trace('ovsdb transact', t0);
      if (reply.error != null || !Array.isArray(reply.result)) return fail(`transaction refused: ${JSON.stringify(reply.error)}`);
      resolve(reply.result);
    });
    sock.on('error', (e) => fail(e.message));
    sock.on('end', () => {
      if (!text) fail('closed the connection without a reply');
    });
  });
}

export async function transact(conn: OvsConn, operations: readonly unknown[]): Promise<unknown[]> {
  const params = ['Open_vSwitch', ...operations];
  const results = conn.db.startsWith('unix:')
    ? await socketTransact(conn.db.slice(5), params)
    : (JSON.parse(await runAsync('ovsdb-client', ['transact', conn.db, JSON.stringify(params)])) as unknown[]);
  const errors = results.filter((r): r is { error: string; details?: string } => typeof r === 'object' && r !== null && 'error' in r);
  if (errors.length > 0) throw new RuntimeError(`OVSDB transaction failed: ${errors.map((e) => `${e.error}${e.details ? `: ${e.details}` : ''}`).join('; ')}`);
  return results;
}

export async function select(conn: OvsConn, table: string, columns: readonly string[], where: unknown[] = []): Promise<Row[]> {
  const [r] = (await transact(conn, [{ op: 'select', table, where, columns: ['_uuid', ...columns] }])) as [{ rows: Row[] }];
  return r.rows;
}

export const uuidOf = (row: Row): string => (row._uuid as [string, string])[1];

export interface LiveBridge {
  row: Row;
  interfaces: Row[];
  ports: Row[];
  /** Flow_Table rows by UUID. */
  flowTables: ReadonlyMap<string, Row>;
}

/** The bridge, its ports and their interfaces, and the Flow_Table rows: one transaction, one consistent view. */
export async function readBridge(conn: OvsConn): Promise<LiveBridge> {
  const [b, p, i, t] = (await transact(conn, [
    { op: 'select', table: 'Bridge', where: [['name', '==', conn.bridge]], columns: ['_uuid', 'name', 'ports', 'flow_tables', 'external_ids'] },
    { op: 'select', table: 'Port', where: [], columns: ['_uuid', 'name', 'interfaces', 'external_ids'] },
    { op: 'select', table: 'Interface', where: [], columns: ['_uuid', 'name', 'type', 'ofport', 'ofport_request', 'mac', 'mac_in_use', 'options', 'external_ids'] },
    { op: 'select', table: 'Flow_Table', where: [], columns: ['_uuid', 'name'] },
  ])) as { rows: Row[] }[];
  const row = b!.rows[0];
  if (!row) throw new RuntimeError(`bridge ${conn.bridge} does not exist in ${conn.db}`);
  const portIds = new Set(setOf(row.ports).map((u) => (u as [string, string])[1]));
  const ports = p!.rows.filter((r) => portIds.has(uuidOf(r)));
  const ifaceIds = new Set(ports.flatMap((r) => setOf(r.interfaces).map((u) => (u as [string, string])[1])));
  return { row, ports, interfaces: i!.rows.filter((r) => ifaceIds.has(uuidOf(r))), flowTables: new Map(t!.rows.map((r) => [uuidOf(r), r])) };
}

export async function bridgeExternalIds(conn: OvsConn): Promise<Map<string, string>> {
  const rows = await select(conn, 'Bridge', ['external_ids'], [['name', '==', conn.bridge]]);
  if (!rows[0]) throw new RuntimeError(`bridge ${conn.bridge} does not exist in ${conn.db}`);
  return mapOf(rows[0].external_ids);
}

/** Sets keys of the bridge's external_ids in one transaction, leaving every other key as it is. */
export async function setBridgeExternalIds(conn: OvsConn, entries: ReadonlyMap<string, string>): Promise<void> {
  const keys = [...entries.keys()];
  await transact(conn, [
    { op: 'mutate', table: 'Bridge', where: [['name', '==', conn.bridge]], mutations: [['external_ids', 'delete', ['set', keys]]] },
    { op: 'mutate', table: 'Bridge', where: [['name', '==', conn.bridge]], mutations: [['external_ids', 'insert', ['map', [...entries]]]] },
  ]);
}

/** ovs-ofctl -O OpenFlow15 against the bridge's management socket in the run dir. */
export function ofctl(conn: OvsConn, command: string, args: readonly string[] = [], options: readonly string[] = []): Promise<string> {
  const target = `unix:${join(conn.rundir, `${conn.bridge}.mgmt`)}`;
  if (!existsSync(target.slice(5))) {
    throw new RuntimeError(`ovs-vswitchd is not serving ${conn.bridge}: no socket ${target.slice(5)} (is ovs-vswitchd running? set OVS_RUNDIR)`);
  }
  return runAsync('ovs-ofctl', ['-O', 'OpenFlow15', ...options, command, target, ...args]);
}
