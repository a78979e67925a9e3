/**
 * One `--jobs` thread: compiles its share of the Nodes (a shard, compiler/compile.ts) and hands each bundle to the
 * main thread as soon as it is rendered; the main thread writes them and merges the shards' manifests (cli/jobs.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compile } from '../compiler/compile.js';
import type { JobInput, JobMessage } from './jobs.js';

const input = workerData as JobInput;
const post = (m: JobMessage) => parentPort!.postMessage(m);
const result = compile(input.sources, {
  ...(input.shard ? { shard: input.shard } : {}),
  ...(input.previous ? { previous: input.previous } : {}),
  onBundle: (b) => post({ kind: 'bundle', node: b.node, files: [...b.files] }),
  onProgress: (p) => post({ kind: 'progress', progress: p }),
});
post({
  kind: 'result',
  result: {
    ok: result.ok,
    diagnostics: result.diagnostics,
    bundles: result.bundles,
    manifest: result.manifest,
    stats: result.stats,
    ...(result.trafficControl ? { trafficControl: result.trafficControl } : {}),
    ...(result.egress ? { egress: result.egress } : {}),
  },
});
