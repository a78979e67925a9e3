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

const oldSrc = generateSnapshot({ nodes, pods, policies });
const { sources: newSrc, what } = changeOnePolicy(oldSrc);
process.stderr.write(`shape ${nodes}x${pods}x${policies}; changed ${what}\n`);

let t = process.hrtime.bigint();
const oldR = compile(oldSrc);
const compileOld = secs(t);
t = process.hrtime.bigint();
const newR = compile(newSrc);
const compileNew = secs(t);
if (!oldR.ok || !newR.ok) throw new Error('compile failed');
const oldV = versionFromCompile('dir1', oldR, oldSrc);
const newV = versionFromCompile('dir2', newR, newSrc);

t = process.hrtime.bigint();
const nodesDiff = diffArtifacts(oldV, newV);
const artifactSecs = secs(t);
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

const report = {
  shape: `${nodes}x${pods}x${policies}`,
  changed: what,
  compileOldSeconds: compileOld,
  compileNewSeconds: compileNew,
  artifactDiffSeconds: artifactSecs,
  connectivityDiffSeconds: connSecs,
  tracingSeconds: Number(traceNs) / 1e9,
  changedNodes: nodesDiff.length,
  changedLines: nodesDiff.reduce((n, d) => n + d.files.reduce((m, f) => m + f.added + f.removed, 0), 0),
  connectivityChanges: conn.changes.length,
  ...conn.stats,
  withinOneCompile: artifactSecs + connSecs <= Math.min(compileOld, compileNew),
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
