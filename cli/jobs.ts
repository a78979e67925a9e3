/**
 * `dpc compile --jobs N`: N worker threads, each compiling one shard of the Nodes (every N-th in name order), so
 * per-Node planning and rendering can use several cores (by default all but the one this thread writes on:
 * cli/compileCommand.ts). Each thread parses and resolves the snapshot itself (the
 * compiler's stages stay as they are: nothing is shared between threads but text), and the main thread writes
 * bundles as they arrive and merges the shards' manifests as `dpc merge` does: the output is byte-identical to a
 * one-thread compile whatever N is.
 */
import { Worker } from 'node:worker_threads';
import type { CompileProgress, CompileResult } from '../compiler/compile.js';
import type { SourceText } from '../compiler/ingest/documents.js';
import { mergeDiagnostics, mergeManifests } from './merge.js';
import type { BundleWriter } from './writeBundles.js';

export interface JobInput {
  sources: readonly SourceText[];
  previous?: readonly SourceText[];
  /** The thread's Nodes; none: every Node (one thread). */
  shard?: { index: number; count: number };
}

/**
 * V8's semi-space for compile threads, in MiB (the default is 16). Planning and rendering one Node allocates more
 * than 16 MiB of short-lived records and text on large clusters, so with the default each Node's working set is
 * copied by a thousand scavenges and much of it promoted to the old generation. Measured on bench's
 * 1,000 × 30,000 × 3,000: compile CPU 71.4 → 45.1 s, peak RSS 2.35 → 1.56 GiB; no change on small shapes.
 */
export const COMPILE_SEMI_SPACE_MB = 64;
/**
 * Larger semi-spaces for larger snapshots, largest first: from `fromBytes` of snapshot text on, compile threads get
 * `semiSpaceMb`. The old generation then holds gigabytes of model and policy index, so every full collection is
 * seconds long, and a Node's garbage promoted out of a young generation too small for its working set (which grows
 * with the Nodes its bundle routes to) brings the next one sooner. Measured (bench/README.md):
 * - bench's 5,000 × 150,000 × 15,000 (123 MiB), shard 1 of 4 in-process, per-Node phase: 198.2 s wall / 294.0 s
 *   CPU with 64 MiB (31 full collections in the whole compile), 138.6 s / 178.4 s with 256 (12), 106.8 s / 131.7 s
 *   with 512 (10); the whole sharded bench: unsharded per-Node 754.3 → 607.8 → 507.6 s, slowest shard 286.2 →
 *   201.5 → 165.5 s, shard peak RSS 3.0 → 3.8 → 4.4 GiB.
 * - Antrea's 1,000-Node shapes of 69–101 MiB compile within noise of 64 MiB with 256 and pay up to 0.5 GiB more
 *   peak; the largest, small-namespaces (101 MiB), took 38.4 s / 1.75 GiB with 256 and 40.75 s / 2.73 GiB with 512.
 *   So those get 256, and the smaller shapes keep 64 MiB, which holds a Node's garbage there.
 */
export const SEMI_SPACE_TIERS: readonly { readonly fromBytes: number; readonly semiSpaceMb: number }[] = [
  { fromBytes: 112 * 2 ** 20, semiSpaceMb: 512 },
  { fromBytes: 64 * 2 ** 20, semiSpaceMb: 256 },
];

/** The semi-space a compile thread gets for a snapshot of `inputBytes` bytes of source text. */
export function compileSemiSpaceMb(inputBytes: number): number {
  return SEMI_SPACE_TIERS.find((t) => inputBytes >= t.fromBytes)?.semiSpaceMb ?? COMPILE_SEMI_SPACE_MB;
}

/** Bytes of source text, as compileSemiSpaceMb counts them. */
export function sourceBytes(sources: readonly SourceText[]): number {
  let n = 0;
  for (const s of sources) n += Buffer.byteLength(s.text);
  return n;
}

/** What a thread can send: plain data (a result without its model). */
export type JobResult = Omit<CompileResult, 'model' | 'plans'>;

export type JobMessage =
  | { kind: 'bundle'; node: string; files: [string, string][] }
  | { kind: 'progress'; progress: CompileProgress }
  | { kind: 'result'; result: JobResult };

const byNode = (a: { node: string }, b: { node: string }) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0);

/**
 * Compiles in `jobs` threads, or in one thread for a shard the user asked for (`--shard`): the compile always
 * runs with compileSemiSpaceMb's semi-space, which only a new thread (or process) can be given.
 */
export async function compileInThreads(
  sources: readonly SourceText[],
  previous: readonly SourceText[] | undefined,
  jobs: number,
  writer: Pick<BundleWriter, 'add'> | undefined,
  onProgress: (p: CompileProgress) => void,
  shard?: { index: number; count: number },
): Promise<JobResult> {
  if (shard && jobs !== 1) throw new Error('internal: a --shard compile runs in one thread');
  const progress: CompileProgress[] = [];
  const report = () => {
    const known = progress.filter((p): p is CompileProgress => p !== undefined);
    const plans = known.filter((p) => p.phase === 'plan');
    // Planning shows once every thread plans: Nodes done and the total over all of them. Before, the slowest
    // thread's phase.
    if (plans.length === jobs) onProgress({ phase: 'plan', done: plans.reduce((n, p) => n + (p.done ?? 0), 0), total: plans.reduce((n, p) => n + (p.total ?? 0), 0) });
    else onProgress({ phase: known.length < jobs || known.some((p) => p.phase === 'parse') ? 'parse' : 'resolve' });
  };
  const workers: Worker[] = [];
  // V8's young generation is three semi-spaces (two for copying, one for large objects).
  const youngGenerationMb = 3 * compileSemiSpaceMb(sourceBytes(sources));
  const run = (index: number) =>
    new Promise<JobResult>((resolve, reject) => {
      const share = jobs > 1 ? { index, count: jobs } : shard;
      const input: JobInput = { sources, ...(share ? { shard: share } : {}), ...(previous ? { previous } : {}) };
      const worker = new Worker(new URL('./compileWorker.js', import.meta.url), {
        workerData: input,
        resourceLimits: { maxYoungGenerationSizeMb: youngGenerationMb },
      });
      workers.push(worker);
      let result: JobResult | undefined;
      worker.on('message', (m: JobMessage) => {
        try {
          if (m.kind === 'bundle') writer?.add({ node: m.node, files: new Map(m.files) });
          else if (m.kind === 'progress') {
            progress[index - 1] = m.progress;
            report();
          } else result = m.result;
        } catch (e) {
          reject(e);
        }
      });
      worker.on('error', reject);
      worker.on('exit', (code) => (result ? resolve(result) : reject(new Error(`compile thread ${index} of ${jobs} exited with code ${code} and no result`))));
    });
  let results: JobResult[];
  try {
    results = await Promise.all(Array.from({ length: jobs }, (_, i) => run(i + 1)));
  } catch (e) {
    // One thread's failure (or the writer's) ends the compile: the others' work would be thrown away.
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
  const first = results[0]!;
  // One thread compiled everything asked for: its result is the compile's, as it would be in this thread.
  if (results.length === 1) return first;
  const diagnostics = mergeDiagnostics(results.map((r) => r.diagnostics));
  if (!results.every((r) => r.ok)) return { ok: false, diagnostics, bundles: [], manifest: '', stats: first.stats };
  const manifest = mergeManifests(results.map((r, i) => ({ label: `thread ${i + 1}`, manifest: JSON.parse(r.manifest) as Record<string, unknown> }))).text;
  const trafficControl = first.trafficControl ? results.flatMap((r) => r.trafficControl ?? []).sort(byNode) : undefined;
  return {
    ok: true,
    diagnostics,
    bundles: results.flatMap((r) => r.bundles).sort(byNode),
    manifest,
    stats: first.stats,
    ...(trafficControl ? { trafficControl } : {}),
    ...(first.egress ? { egress: first.egress } : {}),
  };
}
