/**
 * Issue 15 item 4: `dpc diff OLD NEW` on two bench snapshots that differ by one policy. Measures each compile,
 * the artifact diff, and the connectivity diff (candidate pairs, classes traced, traces), and compares the
 * connectivity diff with one compile's time.
 *
 *   node --max-old-space-size=8000 dist/bench/reviewDiff.js [NODESxPODSxPOLICIES]   (default 1000x30000x3000)
 */
import { compile } from '../compiler/compile.js';
import type { SourceText } from '../compiler/ingest/documents.js';
import { diffArtifacts } from '../review/diff/artifacts.js';
import { connectivityDiff, type Evaluator } from '../review/diff/connectivity.js';
import { interpreterEvaluators } from '../review/diff/evaluator.js';
import { versionFromCompile } from '../review/diff/snapshot.js';
import { generateSnapshot } from './generate.js';

const shape = (process.argv[2] ?? '1000x30000x3000').split('x').map(Number);
const [nodes, pods, policies] = [shape[0]!, shape[1]!, shape[2] ?? 0];

/** One policy changed: the first numeric port of the first policy file moves by one. */
function changeOnePolicy(sources: readonly SourceText[]): { sources: SourceText[]; what: string } {
  let what = '';
  const out = sources.map((s) => {
    if (what || !s.name.startsWith('policies')) return s;
    const m = /\n(\s*)port: (\d+)\n/.exec(s.text);
    if (!m) return s;
    const docStart = s.text.lastIndexOf('\n---', m.index);
    const name = /name: (\S+)/.exec(s.text.slice(docStart < 0 ? 0 : docStart))?.[1];
    what = `${name}: port ${m[2]} → ${Number(m[2]) + 1}`;
    return { ...s, text: `${s.text.slice(0, m.index)}\n${m[1]}port: ${Number(m[2]) + 1}\n${s.text.slice(m.index + m[0].length)}` };
  });
  return { sources: out, what };
}

const secs = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
/** CPU seconds (user + system) since `c0`: the machine is shared, so wall time alone says little. */
const cpu = (c0: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1e6;
};

const oldSrc = generateSnapshot({ nodes, pods, policies });
const { sources: newSrc, what } = changeOnePolicy(oldSrc);
process.stderr.write(`shape ${nodes}x${pods}x${policies}; changed ${what}\n`);

let t = process.hrtime.bigint();
let c = process.cpuUsage();
const oldR = compile(oldSrc);
const compileOld = secs(t);
const compileOldCpu = cpu(c);
process.stderr.write(`compiled OLD: ${compileOld.toFixed(1)} s (${compileOldCpu.toFixed(1)} s CPU)\n`);
t = process.hrtime.bigint();
c = process.cpuUsage();
const newR = compile(newSrc);
const compileNew = secs(t);
const compileNewCpu = cpu(c);
process.stderr.write(`compiled NEW: ${compileNew.toFixed(1)} s (${compileNewCpu.toFixed(1)} s CPU)\n`);
if (!oldR.ok || !newR.ok) throw new Error('compile failed');
const oldV = versionFromCompile('dir1', oldR, oldSrc);
const newV = versionFromCompile('dir2', newR, newSrc);

t = process.hrtime.bigint();
c = process.cpuUsage();
const nodesDiff = diffArtifacts(oldV, newV);
const artifactSecs = secs(t);
process.stderr.write(`artifact diff: ${nodesDiff.length} Nodes, ${artifactSecs.toFixed(1)} s\n`);
t = process.hrtime.bigint();
// Tracing timed apart from the rest (candidate pairs, classes), through the evaluators.
let traceNs = 0n;
let firstTraceNs = 0n;
const timed = (e: Evaluator): Evaluator => ({
  decide(s, d, p) {
    const t0 = process.hrtime.bigint();
    try {
      return e.decide(s, d, p);
    } finally {
      const dt = process.hrtime.bigint() - t0;
      traceNs += dt;
      if (firstTraceNs === 0n) firstTraceNs = dt;
    }
  },
});
const ev = interpreterEvaluators(oldV, newV);
const conn = connectivityDiff(oldV, newV, nodesDiff, { old: timed(ev.old), new: timed(ev.new) });
const connSecs = secs(t);
const reviewCpu = cpu(c);

const report = {
  shape: `${nodes}x${pods}x${policies}`,
  changed: what,
  compileOldSeconds: compileOld,
  compileNewSeconds: compileNew,
  compileOldCpuSeconds: compileOldCpu,
  compileNewCpuSeconds: compileNewCpu,
  diffCpuSeconds: reviewCpu,
  artifactDiffSeconds: artifactSecs,
  connectivityDiffSeconds: connSecs,
  tracingSeconds: Number(traceNs) / 1e9,
  changedNodes: nodesDiff.length,
  changedLines: nodesDiff.reduce((n, d) => n + d.files.reduce((m, f) => m + f.added + f.removed, 0), 0),
  connectivityChanges: conn.changes.length,
  ...conn.stats,
  withinOneCompile: artifactSecs + connSecs <= Math.min(compileOld, compileNew),
  withinOneCompileCpu: reviewCpu <= Math.min(compileOldCpu, compileNewCpu),
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
