/**
 * The Node-side commands: inventory, apply, status, diff --live. Each returns its exit code and writes its own
 * output; the CLI only parses arguments. A missing tool or daemon, or a refused bundle, is a RuntimeError.
 */
import { DPC_VERSION } from '../compiler/version.js';
import { loadBundle, nodeName, type LoadedBundle } from './bundle.js';
import { inventoryDocument, inventoryMismatches, inventoryYaml, readInventory } from './inventory.js';
import { KINDS } from './kinds/index.js';
import type { KindContext, KindPlan } from './kinds/kind.js';
import { bridgeExternalIds, connectOvs, mapOf, readBridge, setBridgeExternalIds, type OvsConn } from './ovs.js';
import { checkpoint, findTool, RuntimeError } from './tools.js';
import { unifiedDiff } from './udiff.js';

export interface NodeOptions {
  node?: string;
  bridge?: string;
  db?: string;
  stateDir?: string;
  format: 'text' | 'json';
}

export const DEFAULT_STATE_DIR = '/var/lib/dpc';

const RECORD = { digest: 'dpc-bundle-digest', node: 'dpc-node', appliedAt: 'dpc-applied-at', version: 'dpc-version' } as const;

const out = (text: string): void => void process.stdout.write(text);

function connect(opts: NodeOptions, bridge?: string): OvsConn {
  findTool('ovsdb-client');
  return connectOvs({ db: opts.db, bridge: opts.bridge ?? bridge });
}

export function inventoryCommand(opts: NodeOptions): number {
  const conn = connect(opts);
  const inv = readInventory(readBridge(conn));
  const node = nodeName(opts.node);
  out(opts.format === 'json' ? `${JSON.stringify(inventoryDocument(node, inv), null, 2)}\n` : inventoryYaml(node, inv));
  return 0;
}

interface Prepared {
  conn: OvsConn;
  bundle: LoadedBundle;
  plans: KindPlan[];
  mismatches: string[];
  recorded: ReadonlyMap<string, string>;
}

/** Everything an apply or a diff needs, read before anything changes. */
function prepare(dir: string, opts: NodeOptions, fullRead: boolean): Prepared {
  const bundle = loadBundle(dir, nodeName(opts.node));
  const conn = connect(opts, bundle.meta.bridge);
  const kinds = KINDS.filter((k) => k.inBundle(bundle));
  for (const k of kinds) for (const t of k.tools) findTool(t);
  const bridge = readBridge(conn);
  const mismatches = inventoryMismatches(bundle.meta, readInventory(bridge));
  const recorded = mapOf(bridge.row.external_ids);
  // Applying the bundle already applied is a reconcile: it reads everything, so drift of any shape is repaired.
  const full = fullRead || recorded.get(RECORD.digest) === bundle.digest;
  const ctx: KindContext = { bundle, conn, bridge, stateDir: opts.stateDir ?? process.env.DPC_STATE_DIR ?? DEFAULT_STATE_DIR, recorded, full };
  const plans = mismatches.length > 0 ? [] : kinds.map((k) => k.plan(ctx));
  return { conn, bundle, plans, mismatches, recorded };
}

function refusal(p: Prepared): RuntimeError {
  return new RuntimeError(
    `refused: the bundle ${p.bundle.dir} assumes an inventory Node ${p.bundle.meta.node.name} does not have; nothing was changed:\n${p.mismatches.map((m) => `  ${m}`).join('\n')}\n` +
      `compile with this Node's inventory (dpc inventory) to fix it`,
  );
}

export function applyCommand(dir: string, opts: NodeOptions & { dryRun: boolean; full: boolean }): number {
  const p = prepare(dir, opts, opts.full);
  if (p.mismatches.length > 0) throw refusal(p);
  const changes = p.plans.reduce((n, k) => n + k.changes.length, 0);
  const upToDate = changes === 0 && p.recorded.get(RECORD.digest) === p.bundle.digest;
  const applied: string[] = [];
  if (!opts.dryRun && !upToDate) {
    checkpoint('planned');
    for (const k of p.plans) {
      if (k.changes.length === 0) continue;
      try {
        k.apply();
      } catch (e) {
        const done = applied.length > 0 ? `; already applied: ${applied.join(', ')}` : '';
        throw new RuntimeError(`applying ${k.kind} failed, ${k.kind} is as it was${done}: ${(e as Error).message}`);
      }
      applied.push(k.kind);
    }
    for (const k of [...p.plans].reverse()) {
      k.finish?.();
      checkpoint(`${k.kind}-finished`);
    }
    const record = new Map<string, string>(p.plans.flatMap((k) => [...k.record]));
    record.set(RECORD.digest, p.bundle.digest);
    record.set(RECORD.node, p.bundle.meta.node.name);
    record.set(RECORD.appliedAt, new Date().toISOString());
    record.set(RECORD.version, DPC_VERSION);
    setBridgeExternalIds(p.conn, record);
    checkpoint('recorded');
  }
  const state = opts.dryRun ? 'dry-run' : upToDate ? 'unchanged' : 'applied';
  if (opts.format === 'json') {
    out(`${JSON.stringify({ node: p.bundle.meta.node.name, digest: `sha256:${p.bundle.digest}`, result: state, kinds: p.plans.map((k) => ({ kind: k.kind, changes: k.changes })) }, null, 2)}\n`);
    return 0;
  }
  const verb = opts.dryRun ? 'would change' : upToDate ? 'in sync, nothing changed' : 'applied';
  out(`Node ${p.bundle.meta.node.name}: bundle sha256:${p.bundle.digest.slice(0, 12)} ${verb}${upToDate ? '' : ` (${changes} change${changes === 1 ? '' : 's'})`}\n`);
  for (const k of p.plans) {
    const add = k.changes.filter((c) => c.startsWith('+')).length;
    const del = k.changes.filter((c) => c.startsWith('-')).length;
    out(`  ${k.kind.padEnd(9)} +${add} -${del} ~${k.changes.length - add - del}\n`);
    if (opts.dryRun) for (const c of k.changes) out(`    ${c}\n`);
  }
  return 0;
}

export function diffCommand(dir: string, opts: NodeOptions): number {
  const p = prepare(dir, opts, true);
  const diffs = p.plans.flatMap((k) =>
    k.files.map((f) => ({ kind: k.kind, path: f.path, text: unifiedDiff(`live/${f.path}`, `bundle/${f.path}`, [...f.live].sort(f.compare), [...f.desired].sort(f.compare), f.compare) })),
  );
  const drift = p.mismatches.length > 0 || diffs.some((d) => d.text !== '');
  if (opts.format === 'json') {
    out(`${JSON.stringify({ node: p.bundle.meta.node.name, inSync: !drift, inventory: p.mismatches, kinds: diffs.filter((d) => d.text).map((d) => ({ kind: d.kind, file: d.path, diff: d.text })) }, null, 2)}\n`);
  } else {
    for (const m of p.mismatches) out(`inventory: ${m}\n`);
    for (const d of diffs) out(d.text);
    if (!drift) out(`Node ${p.bundle.meta.node.name} is in sync with bundle sha256:${p.bundle.digest.slice(0, 12)}\n`);
  }
  return drift ? 1 : 0;
}

export function statusCommand(opts: NodeOptions): number {
  const conn = connect(opts);
  const ids = bridgeExternalIds(conn);
  const status = {
    bridge: conn.bridge,
    node: ids.get(RECORD.node) ?? null,
    digest: ids.has(RECORD.digest) ? `sha256:${ids.get(RECORD.digest)}` : null,
    appliedAt: ids.get(RECORD.appliedAt) ?? null,
    version: ids.get(RECORD.version) ?? null,
  };
  if (opts.format === 'json') out(`${JSON.stringify(status, null, 2)}\n`);
  else if (!status.digest) out(`${conn.bridge}: no dpc bundle applied\n`);
  else out(`${conn.bridge}: Node ${status.node}, bundle ${status.digest}, applied ${status.appliedAt} by dpc ${status.version}\n`);
  return 0;
}
