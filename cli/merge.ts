/**
 * `dpc merge`: the outputs of `dpc compile --shard I/N` for I = 1..N, combined into exactly the output of the
 * unsharded compile. Each shard holds every N-th Node's bundle and a manifest naming its shard; the merged manifest
 * lists every Node and the union of the shards' diagnostics (each shard reports the snapshot's own and those of
 * its Nodes), in the compile's order. Shards of different snapshots, dpc versions or shard counts are refused.
 */
import * as nodeFs from 'node:fs';
import { join, relative } from 'node:path';
import { sortDiagnostics, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { openBundleWriter, type OutputOptions, type WriteFs } from './writeBundles.js';

/** A shard set that cannot be merged: an input error. */
export class MergeError extends Error {}

export interface ShardManifest {
  apiVersion?: unknown;
  kind?: unknown;
  dpcVersion?: unknown;
  snapshotDigest?: unknown;
  shard?: { index?: unknown; count?: unknown };
  nodes?: Record<string, unknown>;
  diagnostics?: Diagnostic[];
  [key: string]: unknown;
}

type ReadFs = Pick<typeof nodeFs, 'readFileSync' | 'readdirSync' | 'lstatSync'>;

function readManifest(dir: string, fs: ReadFs): ShardManifest {
  let m: ShardManifest;
  try {
    m = JSON.parse(fs.readFileSync(join(dir, 'manifest.json'), 'utf8')) as ShardManifest;
  } catch (e) {
    throw new MergeError(`${dir}: no dpc manifest.json to read (${(e as Error).message})`);
  }
  if (m?.apiVersion !== 'dpc/v1alpha1' || m.kind !== 'Manifest') throw new MergeError(`${dir}/manifest.json is not one dpc wrote`);
  const { index, count } = m.shard ?? {};
  if (!Number.isInteger(index) || !Number.isInteger(count)) throw new MergeError(`${dir} is not the output of dpc compile --shard I/N`);
  return m;
}

/** Every file under `dir`, by path relative to it, in name order. */
function readTree(dir: string, fs: ReadFs): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d).sort()) {
      const p = join(d, e);
      if (fs.lstatSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

/** Checks that `shards` are shards 1..N of one compile, each once; names them by `label` in messages. */
function checkShardSet(shards: readonly { label: string; manifest: ShardManifest }[]): void {
  const first = shards[0]!;
  const count = Number(first.manifest.shard!.count);
  for (const { label, manifest } of shards) {
    for (const field of ['dpcVersion', 'snapshotDigest'] as const) {
      if (manifest[field] !== first.manifest[field]) throw new MergeError(`${label} was compiled with another ${field} (${String(manifest[field])}) than ${first.label} (${String(first.manifest[field])})`);
    }
    if (manifest.shard!.count !== count) throw new MergeError(`${label} is a shard of ${String(manifest.shard!.count)}, ${first.label} of ${count}`);
  }
  const indexes = shards.map((s) => Number(s.manifest.shard!.index));
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !indexes.includes(i));
  const twice = indexes.filter((i, k) => indexes.indexOf(i) !== k);
  if (missing.length > 0 || twice.length > 0 || shards.length !== count) {
    throw new MergeError(`the shards must be 1..${count}, each once:${missing.length ? ` missing ${missing.join(', ')}` : ''}${twice.length ? ` twice ${[...new Set(twice)].join(', ')}` : ''}`);
  }
}

/**
 * The diagnostics of the unsharded compile from its shards': the snapshot's own are in every shard, each Node's in
 * its shard; the compile sorts them so.
 */
export function mergeDiagnostics(lists: readonly (readonly Diagnostic[])[]): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const list of lists) {
    for (const d of list) {
      const key = JSON.stringify(d);
      if (!seen.has(key)) out.push(d), seen.add(key);
    }
  }
  return sortDiagnostics(out);
}

/**
 * The unsharded manifest text from the shards' manifests (in any order): the same fields in the same order,
 * every Node, the merged diagnostics, no shard. Also says which shard (by position in `shards`) holds each Node.
 */
export function mergeManifests(shards: readonly { label: string; manifest: ShardManifest }[]): { text: string; nodes: Map<string, number> } {
  if (shards.length === 0) throw new MergeError('merge needs the output directories of every shard');
  const order = shards.map((s, i) => ({ ...s, i })).sort((a, b) => Number(a.manifest.shard!.index) - Number(b.manifest.shard!.index));
  checkShardSet(order);
  const nodes = new Map<string, { i: number; entry: unknown }>();
  for (const { label, manifest, i } of order) {
    for (const [name, entry] of Object.entries(manifest.nodes ?? {})) {
      if (nodes.has(name)) throw new MergeError(`Node ${name} is in both ${shards[nodes.get(name)!.i]!.label} and ${label}`);
      nodes.set(name, { i, entry });
    }
  }
  const merged: ShardManifest = { ...order[0]!.manifest };
  delete merged.shard;
  const names = [...nodes.keys()].sort();
  merged.nodes = Object.fromEntries(names.map((n) => [n, nodes.get(n)!.entry]));
  merged.diagnostics = mergeDiagnostics(order.map((s) => s.manifest.diagnostics ?? []));
  return { text: `${JSON.stringify(merged, null, 2)}\n`, nodes: new Map(names.map((n) => [n, nodes.get(n)!.i])) };
}

export function mergeShards(dirs: readonly string[], outDir: string, options: OutputOptions = {}, fs: WriteFs & ReadFs = nodeFs): { nodes: number; shards: number } {
  if (dirs.length === 0) throw new MergeError('merge needs the output directories of every shard');
  const shards = dirs.map((dir) => ({ label: dir, manifest: readManifest(dir, fs) }));
  const { text, nodes } = mergeManifests(shards);
  const writer = openBundleWriter(outDir, { ...options, inputs: [...(options.inputs ?? []), ...dirs] }, fs);
  try {
    for (const [name, i] of nodes) writer.add({ node: name, files: readTree(join(dirs[i]!, name), fs) });
    writer.finish(text);
  } catch (e) {
    writer.abort();
    throw e;
  }
  return { nodes: nodes.size, shards: shards.length };
}
