/**
 * How long `dpc explain` takes for one packet after the compile (issue 15 item 4): on a generated snapshot
 * (default docs/design.md §8's target shape, 1,000 Nodes / 30,000 Pods / 3,000 policies), compile once in memory,
 * then trace packets between random Pods: the first packet through a pair of Nodes pays for reading those Nodes'
 * flows (lazily, only the Nodes visited), later ones reuse them.
 *
 *   node dist/bench/explain.js [--shape NODESxPODSxPOLICIES] [--packets N] [--seed N]
 */
import { performance } from 'node:perf_hooks';
import { compile } from '../compiler/compile.js';
import { loadBundles, tracePacket, type PacketSpec } from '../review/explain/trace.js';
import { generateSnapshot, Rng } from './generate.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

const [nodes, pods, policies] = arg('--shape', '1000x30000x3000').split('x').map(Number);
const packets = Number(arg('--packets', '20'));
const rng = new Rng(Number(arg('--seed', '1')));

const sources = generateSnapshot({ nodes: nodes!, pods: pods!, policies: policies ?? 0 });
let t = performance.now();
const result = compile(sources);
const compileMs = performance.now() - t;
if (!result.ok) throw new Error('the snapshot does not compile');
t = performance.now();
const bundles = loadBundles(result);
const loadMs = performance.now() - t;
const all = [...bundles.nodes.values()].flatMap((n) => n.meta.inventory.pods.map((p) => `${p.namespace}/${p.name}`));
const pick = () => all[Math.floor(rng.next() * all.length)]!;
// Wall time, and CPU time of this process: on a shared machine the second says what the work itself costs.
const cold: number[] = [];
const warm: number[] = [];
const coldCpu: number[] = [];
const verdicts = new Map<string, number>();
for (let i = 0; i < packets; i++) {
  const spec: PacketSpec = { from: { pod: pick() }, to: { pod: pick() }, protocol: 'TCP', port: [80, 443, 8080, 5432][i % 4]! };
  t = performance.now();
  const c0 = process.cpuUsage();
  const first = tracePacket(bundles, spec);
  cold.push(performance.now() - t);
  const c = process.cpuUsage(c0);
  coldCpu.push((c.user + c.system) / 1000);
  t = performance.now();
  tracePacket(bundles, spec);
  warm.push(performance.now() - t);
  verdicts.set(first.verdict.kind, (verdicts.get(first.verdict.kind) ?? 0) + 1);
}
const stat = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)]!.toFixed(1)} ms, max ${s.at(-1)!.toFixed(1)} ms`;
};
const flows = result.bundles.reduce((n, b) => n + b.flowCount, 0);
process.stdout.write(
  `shape ${nodes}x${pods}x${policies ?? 0}: ${result.bundles.length} Nodes, ${flows} flows; compile ${(compileMs / 1000).toFixed(1)} s, loadBundles ${loadMs.toFixed(1)} ms\n` +
    `${packets} packets (${[...verdicts].map(([k, v]) => `${v} ${k}`).join(', ')}):\n` +
    `  first trace through its Nodes (parses their flows): ${stat(cold)} wall; CPU ${stat(coldCpu)}\n` +
    `  the same packet again: ${stat(warm)}\n`,
);
