/**
 * One artifact kind on a Node (OVSDB rows, OpenFlow, iptables, ipsets, ...): each reads the live state dpc owns,
 * diffs it against the bundle, applies the difference atomically and verifies. Kinds that land later implement
 * the same interface and join KINDS in runtime/kinds/index.ts.
 */
import type { BundleMeta, LoadedBundle } from '../bundle.js';
import type { OpenFlowClient } from '../openflow/client.js';
import type { LiveBridge, OvsConn } from '../ovs.js';

/** What is known before the bundle's artifacts are read and checked. */
export interface StartContext {
  readonly meta: BundleMeta;
  readonly conn: OvsConn;
  /** Where the runtime keeps what it applied (a fast path for reading large live state; never trusted alone). */
  readonly stateDir: string;
  /** The bridge's OVSDB rows as read before the apply. */
  readonly bridge: LiveBridge;
  /** br-int external_ids as read before the apply: what the runtime recorded last time. */
  readonly recorded: ReadonlyMap<string, string>;
  /** Read every owned object from the live Node, never from the record (dpc diff --live, dpc status). */
  readonly full: boolean;
  /** An OpenFlow connection to the bridge, when one is open: counts and flow changes go on it, not through ovs-ofctl. */
  readonly openflow?: OpenFlowClient;
}

export interface KindContext extends StartContext {
  readonly bundle: LoadedBundle;
  /** What this kind's start() returned. */
  readonly started?: unknown;
}

/** One file's owned live lines against the bundle's, both in the bundle's canonical order. */
export interface FileDiff {
  readonly path: string;
  readonly live: readonly string[];
  readonly desired: readonly string[];
  /** The canonical order both sides are in. */
  readonly compare: (a: string, b: string) => number;
}

export interface KindPlan {
  readonly kind: string;
  readonly files: readonly FileDiff[];
  /** Human lines, one per change: `+ flow ...`, `- group 4`, `~ Interface antrea-gw0 mac`. */
  readonly changes: readonly string[];
  /** Makes the change; throws (leaving this kind's previous state) on failure. */
  apply(): Promise<void>;
  /** Runs after every kind has applied, in reverse kind order: removing what others referenced (stale sets). */
  finish?(): Promise<void>;
  /** What the Node must remember (bridge external_ids), written once every kind succeeded. */
  readonly record: ReadonlyMap<string, string>;
}

export interface ArtifactKind {
  readonly name: string;
  /** Whether the bundle carries this kind at all (a kind the bundle lacks is left alone on the Node). */
  inBundle(meta: BundleMeta, recorded: ReadonlyMap<string, string>): boolean;
  /**
   * The only bundle files this kind's plan reads, when that is so. Then the digests bundle.json gives them are
   * recorded on the bridge with each apply, and an apply whose bundle carries the same ones (not a reconcile)
   * trusts the record and reads nothing live for this kind, as unchanged groups and meters are trusted: drift is
   * found by the next reconcile (re-applying the applied bundle, `apply --full`, the agent's resync, `diff --live`).
   */
  readonly artifacts?: readonly string[];
  /** The tools this kind runs, checked before anything changes. */
  readonly tools: readonly string[];
  /** Live reads that need only bundle.json and the record, started so they overlap reading the artifacts. */
  start?(ctx: StartContext): unknown;
  plan(ctx: KindContext): Promise<KindPlan>;
}

/** Lines in both lists but not the other; both sides must be sorted by `cmp`. */
export function setDiff(live: readonly string[], desired: readonly string[]): { added: string[]; removed: string[] } {
  const l = new Set(live);
  const d = new Set(desired);
  return { added: desired.filter((x) => !l.has(x)), removed: live.filter((x) => !d.has(x)) };
}
