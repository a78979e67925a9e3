/**
 * Applying one Node's bundle, as a function: `dpc apply` calls it once per run, a long-running agent calls it
 * for every new bundle (no process start, no module loading). Also the drift check behind `dpc diff --live`.
 * Failures the operator must act on (a missing tool or daemon, a refused bundle, a failed kind) are RuntimeErrors.
 */
import { join } from 'node:path';
import { DPC_VERSION } from '../compiler/version.js';
import { nodeName, openBundle, readArtifacts, sha256, type BundleMeta, type LoadedBundle, type OpenedBundle } from './bundle.js';
import { inventoryMismatches, readInventory } from './inventory.js';
import { KINDS } from './kinds/index.js';
import type { ArtifactKind, KindPlan, StartContext } from './kinds/kind.js';
import { OpenFlowClient } from './openflow/client.js';
import { bridgeExternalIds, connectOvs, mapOf, readBridge, setBridgeExternalIds, type LiveBridge, type OvsConn } from './ovs.js';
import { checkpoint, findTool, RuntimeError, trace } from './tools.js';
import { unifiedDiff } from './udiff.js';

export interface NodeOptions {
  node?: string;
  bridge?: string;
  db?: string;
  stateDir?: string;
  /**
   * An open OpenFlow connection to the bridge (the agent's). Without one, an apply opens its own on the bridge's
   * management socket for the run, and uses ovs-ofctl alone if that fails.
   */
  openflow?: OpenFlowClient;
}

export interface ApplyOptions extends NodeOptions {
  /** Plan and report, change nothing. */
  dryRun?: boolean;
  /** Read every owned object from the Node instead of trusting the last apply's record. */
  full?: boolean;
}

export interface ApplyReport {
  node: string;
  /** `sha256:...` of the bundle's bundle.json. */
  digest: string;
  result: 'applied' | 'unchanged' | 'dry-run';
  kinds: { kind: string; changes: string[] }[];
}

export interface DiffReport {
  node: string;
  digest: string;
  inSync: boolean;
  /** Where the bundle's assumed inventory and the Node differ. */
  inventory: string[];
  /** Per kind and file with drift: a unified diff, live against bundle. */
  kinds: { kind: string; file: string; diff: string }[];
}

export const DEFAULT_STATE_DIR = '/var/lib/dpc';

export const RECORD = { digest: 'dpc-bundle-digest', node: 'dpc-node', appliedAt: 'dpc-applied-at', version: 'dpc-version' } as const;

export function connect(opts: NodeOptions, bridge?: string): OvsConn {
  const conn = connectOvs({ db: opts.db, bridge: opts.bridge ?? bridge });
  // A unix socket is spoken to directly; other remotes (tcp:, ssl:) through ovsdb-client.
  if (!conn.db.startsWith('unix:')) findTool('ovsdb-client');
  return conn;
}

interface Prepared {
  conn: OvsConn;
  bundle: LoadedBundle;
  plans: KindPlan[];
  mismatches: string[];
  recorded: ReadonlyMap<string, string>;
  /** Closes the OpenFlow connection prepare() opened (not one it was given). */
  done(): void;
}

/** The bridge's management socket, spoken to directly; undefined (ovs-ofctl alone) when it cannot be. */
async function openflowFor(conn: OvsConn): Promise<OpenFlowClient | undefined> {
  const t0 = process.hrtime.bigint();
  try {
    return await OpenFlowClient.open(join(conn.rundir, `${conn.bridge}.mgmt`));
  } catch {
    return undefined;
  } finally {
    trace('openflow connect', t0);
  }
}

/** Everything an apply or a diff needs, read before anything changes. */
async function prepare(dir: string, opts: NodeOptions, fullRead: boolean): Promise<Prepared> {
  const t0 = process.hrtime.bigint();
  const opened = openBundle(dir, nodeName(opts.node));
  const conn = connect(opts, opened.meta.bridge);
  const given = opts.openflow && !opts.openflow.closed ? opts.openflow : undefined;
  const owning = given ? undefined : openflowFor(conn);
  // A connection left open would keep a finished command alive: closed on every way out.
  const done = (): void => void owning?.then((c) => c?.close());
  try {
    const [bridge, own] = await Promise.all([readBridge(conn), owning]);
    const planned = await planAll(opened, conn, bridge, given ?? own, opts, fullRead);
    trace('bundle checked and planned', t0);
    return { ...planned, done };
  } catch (e) {
    done();
    throw e;
  }
}

/** The bridge key recording which bundle files a kind with `artifacts` last applied, and its value for a bundle. */
const trustKey = (k: ArtifactKind): string => `dpc-${k.name}-digest`;
const artifactsDigest = (k: ArtifactKind, meta: BundleMeta): string => sha256(k.artifacts!.map((f) => `${f}=${meta.artifacts[f] ?? ''}`).join('\n'));

/** A kind whose files are as last applied: no live read, no change, the record kept. */
const trusted = (k: ArtifactKind, digest: string): KindPlan => ({ kind: k.name, files: [], changes: [], apply: async () => undefined, record: new Map([[trustKey(k), digest]]) });

async function planAll(opened: OpenedBundle, conn: OvsConn, bridge: LiveBridge, openflow: OpenFlowClient | undefined, opts: NodeOptions, fullRead: boolean): Promise<Omit<Prepared, 'done'>> {
  const recorded = mapOf(bridge.row.external_ids);
  const kinds = KINDS.filter((k) => k.inBundle(opened.meta, recorded));
  for (const k of kinds) for (const t of k.tools) findTool(t);
  // Applying the bundle already applied is a reconcile: it reads everything, so drift of any shape is repaired.
  const full = fullRead || recorded.get(RECORD.digest) === sha256(opened.metaText);
  const early: StartContext = { meta: opened.meta, conn, bridge, stateDir: opts.stateDir ?? process.env.DPC_STATE_DIR ?? DEFAULT_STATE_DIR, recorded, full, ...(openflow ? { openflow } : {}) };
  // Live reads that need no artifact run while the artifacts are read and checked.
  const digests = kinds.map((k) => (k.artifacts ? artifactsDigest(k, opened.meta) : undefined));
  const trust = kinds.map((k, i) => !full && digests[i] !== undefined && recorded.get(trustKey(k)) === digests[i]);
  const started = kinds.map((k, i) => (trust[i] ? undefined : k.start?.(early)));
  const { bundle, checked } = readArtifacts(opened);
  const mismatches = inventoryMismatches(bundle.meta, readInventory(bridge));
  const plan = async (k: ArtifactKind, i: number): Promise<KindPlan> => {
    const digest = digests[i];
    if (digest === undefined) return k.plan({ ...early, bundle, started: started[i] });
    if (trust[i]) return trusted(k, digest);
    const p = await k.plan({ ...early, bundle, started: started[i] });
    return { ...p, record: new Map([...p.record, [trustKey(k), digest]]) };
  };
  const planning = Promise.all(mismatches.length > 0 ? [] : kinds.map(plan));
  const [plans] = await Promise.allSettled([planning, Promise.allSettled(started)]);
  // An altered bundle is refused as such, whatever planning with its bytes ran into.
  await checked;
  if (plans.status === 'rejected') throw plans.reason;
  return { conn, bundle, plans: plans.value, mismatches, recorded };
}

function refusal(p: Prepared): RuntimeError {
  return new RuntimeError(
    `refused: the bundle ${p.bundle.dir} assumes an inventory Node ${p.bundle.meta.node.name} does not have; nothing was changed:\n${p.mismatches.map((m) => `  ${m}`).join('\n')}\n` +
      `compile with this Node's inventory (dpc inventory) to fix it`,
  );
}

/**
 * Puts the bundle in `dir` (one Node's folder or a whole compile output) on this Node: each kind's difference
 * applied atomically in KINDS order, then each kind's finish step in reverse, then the record on the bridge.
 * Throws a RuntimeError when refused (nothing changed) or when a kind fails (that kind as it was).
 */
export async function applyBundle(dir: string, opts: ApplyOptions = {}): Promise<ApplyReport> {
  return (await applyAndRead(dir, opts)).report;
}

/** applyBundle, also handing back the bundle it read and checked (the agent's lookups use it: no second read). */
export async function applyAndRead(dir: string, opts: ApplyOptions = {}): Promise<{ report: ApplyReport; bundle: LoadedBundle }> {
  const t0 = process.hrtime.bigint();
  const p = await prepare(dir, opts, opts.full ?? false);
  try {
    return { report: await applyPrepared(p, opts, t0), bundle: p.bundle };
  } finally {
    p.done();
  }
}

async function applyPrepared(p: Prepared, opts: ApplyOptions, t0: bigint): Promise<ApplyReport> {
  if (p.mismatches.length > 0) throw refusal(p);
  const changes = p.plans.reduce((n, k) => n + k.changes.length, 0);
  const upToDate = changes === 0 && p.recorded.get(RECORD.digest) === p.bundle.digest;
  const applied: string[] = [];
  if (!opts.dryRun && !upToDate) {
    checkpoint('planned');
    for (const k of p.plans) {
      if (k.changes.length === 0) continue;
      try {
        await k.apply();
      } catch (e) {
        const done = applied.length > 0 ? `; already applied: ${applied.join(', ')}` : '';
        throw new RuntimeError(`applying ${k.kind} failed, ${k.kind} is as it was${done}: ${(e as Error).message}`);
      }
      applied.push(k.kind);
    }
    for (const k of [...p.plans].reverse()) {
      await k.finish?.();
      checkpoint(`${k.kind}-finished`);
    }
    const record = new Map<string, string>(p.plans.flatMap((k) => [...k.record]));
    record.set(RECORD.digest, p.bundle.digest);
    record.set(RECORD.node, p.bundle.meta.node.name);
    record.set(RECORD.appliedAt, new Date().toISOString());
    record.set(RECORD.version, DPC_VERSION);
    await setBridgeExternalIds(p.conn, record);
    checkpoint('recorded');
  }
  trace('apply', t0);
  return {
    node: p.bundle.meta.node.name,
    digest: `sha256:${p.bundle.digest}`,
    result: opts.dryRun ? 'dry-run' : upToDate ? 'unchanged' : 'applied',
    kinds: p.plans.map((k) => ({ kind: k.kind, changes: [...k.changes] })),
  };
}

/** Every difference between the Node and the bundle, read wholly from the Node (never from the record). */
export async function diffBundle(dir: string, opts: NodeOptions = {}): Promise<DiffReport> {
  const p = await prepare(dir, opts, true);
  p.done();
  const diffs = p.plans.flatMap((k) =>
    k.files.map((f) => ({ kind: k.kind, file: f.path, diff: unifiedDiff(`live/${f.path}`, `bundle/${f.path}`, [...f.live].sort(f.compare), [...f.desired].sort(f.compare), f.compare) })),
  );
  const kinds = diffs.filter((d) => d.diff !== '');
  return { node: p.bundle.meta.node.name, digest: `sha256:${p.bundle.digest}`, inSync: p.mismatches.length === 0 && kinds.length === 0, inventory: p.mismatches, kinds };
}

export interface NodeStatus {
  bridge: string;
  node: string | null;
  digest: string | null;
  appliedAt: string | null;
  version: string | null;
}

export async function nodeStatus(opts: NodeOptions = {}): Promise<NodeStatus> {
  const conn = connect(opts);
  const ids = await bridgeExternalIds(conn);
  return {
    bridge: conn.bridge,
    node: ids.get(RECORD.node) ?? null,
    digest: ids.has(RECORD.digest) ? `sha256:${ids.get(RECORD.digest)}` : null,
    appliedAt: ids.get(RECORD.appliedAt) ?? null,
    version: ids.get(RECORD.version) ?? null,
  };
}
