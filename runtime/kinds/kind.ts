/**
 * One artifact kind on a Node (OVSDB rows, OpenFlow, iptables, ipsets, ...): each reads the live state dpc owns,
 * diffs it against the bundle, applies the difference atomically and verifies. Kinds that land later implement
 * the same interface and join KINDS in runtime/kinds/index.ts.
 */
import type { LoadedBundle } from '../bundle.js';
import type { LiveBridge, OvsConn } from '../ovs.js';

export interface KindContext {
  readonly bundle: LoadedBundle;
  readonly conn: OvsConn;
  /** Where the runtime keeps what it applied (a fast path for reading large live state; never trusted alone). */
  readonly stateDir: string;
  /** The bridge's OVSDB rows as read before the apply. */
  readonly bridge: LiveBridge;
  /** br-int external_ids as read before the apply: what the runtime recorded last time. */
  readonly recorded: ReadonlyMap<string, string>;
  /** Read every owned object from the live Node, never from the record (dpc diff --live, dpc status). */
  readonly full: boolean;
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
  apply(): void;
  /** Runs after every kind has applied, in reverse kind order: removing what others referenced (stale sets). */
  finish?(): void;
  /** What the Node must remember (bridge external_ids), written once every kind succeeded. */
  readonly record: ReadonlyMap<string, string>;
}

export interface ArtifactKind {
  readonly name: string;
  /** Whether the bundle carries this kind at all (a kind the bundle lacks is left alone on the Node). */
  inBundle(bundle: LoadedBundle): boolean;
  /** The tools this kind runs, checked before anything changes. */
  readonly tools: readonly string[];
  plan(ctx: KindContext): KindPlan;
}

/** Lines in both lists but not the other; both sides must be sorted by `cmp`. */
export function setDiff(live: readonly string[], desired: readonly string[]): { added: string[]; removed: string[] } {
  const l = new Set(live);
  const d = new Set(desired);
  return { added: desired.filter((x) => !l.has(x)), removed: live.filter((x) => !d.has(x)) };
}
