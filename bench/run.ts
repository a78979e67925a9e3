/**
 * The benchmark suite (DESIGN §8): for each cluster shape, generate a synthetic snapshot, then measure in
 * fresh child processes (bench/worker.ts):
 *   validate  parse + schema + semantic checks only (compile with validateOnly), in a process of its own
 *   compile   the full compile, rendering every bundle in memory, in a process of its own...
 *   write     ...followed there by writing those bundles to a temporary folder with writeBundles, on its own
 *             clock and with the peak-RSS mark reset in between (writing needs the compile's bundles)
 * See bench/README.md for what every column means.
 *
 * Usage: node --expose-gc dist/bench/run.js [--shape NODESxPODS]... [--runs N] [--phase P]... [--seed N]
 *                                         [--json] [--cpu-prof DIR] [--keep]
 * Exit status: 0 when every measured compile succeeded, 1 when one failed or a worker crashed, 2 on bad usage.
 */
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { defaultNamespaces, generateSnapshot } from './generate.js';
import type { FlowStats, Phase, WorkerResult, WorkerTask } from './worker.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const WORKER = join(HERE, 'worker.js');

const DEFAULT_SHAPES = ['100x3000', '1000x30000'];
/** Shapes up to this many Pods are measured 3 times by default (median), bigger ones once. */
const AUTO_RUNS_MAX_PODS = 10_000;
const PHASES: readonly Phase[] = ['validate', 'compile', 'write'];
const PHASE_LABEL: Record<Phase, string> = {
  validate: 'parse+validate',
  compile: 'compile (in memory)',
  write: 'write bundles',
};
/** DESIGN §8, for the 1,000 Nodes / 30,000 Pods shape. */
const TARGET = { ratio: 2, compileMs: 60_000, peakRssBytes: 4 * 2 ** 30 };

interface Shape {
  name: string;
  nodes: number;
  pods: number;
}

interface Args {
  shapes: Shape[];
  phases: Phase[];
  /** Measurements per phase; by default 3 for shapes up to AUTO_RUNS_MAX_PODS Pods, 1 above. */
  runs?: number;
  seed: number;
  json: boolean;
  cpuProf?: string;
  keep: boolean;
}

class UsageError extends Error {}

function parseShape(text: string): Shape {
  const m = /^(\d+)x(\d+)$/.exec(text);
  if (!m) throw new UsageError(`--shape wants NODESxPODS (e.g. 100x3000), not ${JSON.stringify(text)}`);
  const nodes = Number(m[1]);
  const pods = Number(m[2]);
  if (nodes < 1) throw new UsageError('--shape needs at least one Node');
  return { name: text, nodes, pods };
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { shapes: [], phases: [], seed: 1, json: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const value = (): string => {
      if (eq > 0 && a.startsWith('--')) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const count = (name: string, v: string, min: number): number => {
      if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`${name} wants an integer ≥ ${min}, not ${JSON.stringify(v)}`);
      return Number(v);
    };
    switch (flag) {
      case '--shape':
        for (const s of value().split(',')) args.shapes.push(parseShape(s.trim()));
        break;
      case '--phase': {
        for (const p of value().split(',')) {
          if (!PHASES.includes(p as Phase)) throw new UsageError(`--phase is one of ${PHASES.join(', ')}, not ${JSON.stringify(p)}`);
          args.phases.push(p as Phase);
        }
        break;
      }
      case '--runs':
        args.runs = count('--runs', value(), 1);
        break;
      case '--seed':
        args.seed = count('--seed', value(), 0);
        break;
      case '--json':
        args.json = true;
        break;
      case '--cpu-prof':
        args.cpuProf = resolve(value());
        break;
      case '--keep':
        args.keep = true;
        break;
      case '-h':
      case '--help':
        process.stdout.write(
          [
            'Usage: node --expose-gc dist/bench/run.js [options]',
            '  --shape NODESxPODS  a cluster shape (repeatable or comma-separated; default 100x3000 and 1000x30000)',
            '  --phase P           validate, compile or write (repeatable; default all three)',
            '  --runs N            measurements per phase (default 3 up to 10,000 Pods, else 1); wall = median, memory = max',
            '  --seed N            generator seed (default 1)',
            '  --json              machine-readable output on stdout',
            '  --cpu-prof DIR      write a V8 CPU profile of every worker into DIR',
            '  --keep              keep the generated snapshot (its folder is printed)',
            '',
          ].join('\n'),
        );
        process.exit(0);
        break;
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(a)} (try --help)`);
    }
  }
  if (args.shapes.length === 0) args.shapes = DEFAULT_SHAPES.map(parseShape);
  if (args.phases.length === 0) args.phases = [...PHASES];
  args.phases = PHASES.filter((p) => args.phases.includes(p));
  return args;
}

// ─── running workers ────────────────────────────────────────────────────────────────────────────────────────

interface Measurement {
  result?: WorkerResult;
  /** Set when the worker died without a result for this phase. */
  crash?: string;
}

/** One result per phase of the task; a crash counts against every phase that did not report. */

function runWorker(task: WorkerTask, cpuProf: string | undefined): Promise<Map<Phase, Measurement>> {
  const execArgv = ['--expose-gc'];
  if (cpuProf) execArgv.push('--cpu-prof', `--cpu-prof-dir=${cpuProf}`);
  return new Promise((done) => {
    const child = fork(WORKER, [JSON.stringify(task)], { execArgv, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    let results: WorkerResult[] = [];
    let stderr = '';
    let failure: string | undefined;
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('message', (m) => {
      results = m as WorkerResult[];
    });
    child.on('error', (e) => {
      failure = e.message;
    });
    child.on('exit', (code, signal) => {
      const crash = failure ?? `worker exited with ${signal ?? `code ${code}`}${stderr ? `:\n${stderr.trimEnd()}` : ''}`;
      const out = new Map<Phase, Measurement>();
      for (const phase of task.phases) {
        const result = results.find((r) => r.phase === phase);
        // A write after a failed or crashed compile is not attempted: the compile's report says it all.
        if (result) out.set(phase, { result });
        else if (phase !== 'write' || results.some((r) => r.phase === 'compile' && r.ok)) out.set(phase, { crash });
      }
      done(out);
    });
  });
}

// ─── aggregation ────────────────────────────────────────────────────────────────────────────────────────────

interface PhaseReport {
  phase: Phase;
  runs: number;
  ok: boolean;
  /** Median over runs. */
  wallMs: number;
  wallMsAll: number[];
  /** Median over runs: CPU time of the worker process during the phase. */
  cpuMs: number;
  /** Maxima over runs. */
  peakRssBytes: number;
  startRssBytes: number;
  heapUsedEndBytes: number;
  heapTotalEndBytes: number;
  hwmReset: boolean;
  /** Objects the compiler read (from its stats). */
  objects?: number;
  errors: number;
  warnings: number;
  diagnostics: string[];
  crash?: string;
  flows?: FlowStats;
  bytesWritten?: number;
  filesWritten?: number;
}

interface ShapeReport {
  shape: string;
  /** Measurements per phase. */
  runs: number;
  nodes: number;
  pods: number;
  namespaces: number;
  objects?: number;
  inputFiles: number;
  inputBytes: number;
  generateMs: number;
  phases: PhaseReport[];
  /** Median compile wall time over median validate wall time. */
  compileParseRatio?: number;
  /** The same with CPU times. */
  compileParseCpuRatio?: number;
  flows?: FlowStats;
  bytesWritten?: number;
  filesWritten?: number;
  targets?: { name: string; limit: string; value: string; met: boolean }[];
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function aggregate(phase: Phase, ms: readonly Measurement[]): PhaseReport {
  const results = ms.flatMap((m) => (m.result ? [m.result] : []));
  const crash = ms.find((m) => m.crash)?.crash;
  const max = (f: (r: WorkerResult) => number) => Math.max(0, ...results.map(f));
  const failed = results.find((r) => !r.ok);
  const sample = failed ?? results[0];
  const report: PhaseReport = {
    phase,
    runs: results.length,
    ok: crash === undefined && failed === undefined && results.length > 0,
    wallMs: results.length ? median(results.map((r) => r.wallMs)) : NaN,
    wallMsAll: results.map((r) => r.wallMs),
    cpuMs: results.length ? median(results.map((r) => r.cpuMs)) : NaN,
    peakRssBytes: max((r) => r.peakRssBytes),
    startRssBytes: max((r) => r.startRssBytes),
    heapUsedEndBytes: max((r) => r.heapUsedEndBytes),
    heapTotalEndBytes: max((r) => r.heapTotalEndBytes),
    hwmReset: results.every((r) => r.hwmReset),
    objects: sample?.stats.objects,
    errors: sample?.errors ?? 0,
    warnings: sample?.warnings ?? 0,
    diagnostics: sample?.diagnostics ?? [],
  };
  if (crash) report.crash = crash;
  const withFlows = results.find((r) => r.flows);
  if (withFlows?.flows) report.flows = withFlows.flows;
  const written = results.find((r) => r.bytesWritten !== undefined);
  if (written) {
    report.bytesWritten = written.bytesWritten!;
    report.filesWritten = written.filesWritten!;
  }
  return report;
}

async function measureShape(shape: Shape, args: Args, root: string, log: (s: string) => void): Promise<ShapeReport> {
  const dir = join(root, shape.name);
  const inDir = join(dir, 'in');
  mkdirSync(inDir, { recursive: true });
  const t0 = performance.now();
  const sources = generateSnapshot({ nodes: shape.nodes, pods: shape.pods, seed: args.seed });
  const generateMs = performance.now() - t0;
  let inputBytes = 0;
  for (const s of sources) {
    writeFileSync(join(inDir, s.name), s.text);
    inputBytes += Buffer.byteLength(s.text);
  }
  const files = sources.map((s) => s.name);
  const report: ShapeReport = {
    shape: shape.name,
    nodes: shape.nodes,
    pods: shape.pods,
    namespaces: defaultNamespaces(shape.pods),
    runs: 0,
    inputFiles: files.length,
    inputBytes,
    generateMs,
    phases: [],
  };
  log(`${shape.name}: generated ${files.length} files, ${fmtBytes(inputBytes)} of YAML in ${fmtMs(generateMs)} (not measured)`);

  // One worker for validate; one for compile, followed by write when asked (write needs the compile's bundles).
  const jobs: Phase[][] = [];
  if (args.phases.includes('validate')) jobs.push(['validate']);
  if (args.phases.includes('write')) jobs.push(['compile', 'write']);
  else if (args.phases.includes('compile')) jobs.push(['compile']);
  const runs = args.runs ?? (shape.pods <= AUTO_RUNS_MAX_PODS ? 3 : 1);
  report.runs = runs;
  const measured = new Map<Phase, Measurement[]>();
  for (const phases of jobs) {
    for (let run = 0; run < runs; run++) {
      const task: WorkerTask = { phases, dir: inDir, files };
      if (phases.includes('write')) task.outDir = join(dir, `out-${run}`);
      const got = await runWorker(task, args.cpuProf);
      if (task.outDir) rmSync(task.outDir, { recursive: true, force: true, maxRetries: 2 });
      let failed = false;
      for (const [phase, m] of got) {
        measured.set(phase, [...(measured.get(phase) ?? []), m]);
        const r = m.result;
        log(
          `${shape.name}: ${PHASE_LABEL[phase]} run ${run + 1}/${runs}: ` +
            (r ? `${fmtMs(r.wallMs)}, peak RSS ${fmtBytes(r.peakRssBytes)}${r.ok ? '' : ', FAILED'}` : 'CRASHED'),
        );
        if (!r?.ok) failed = true;
      }
      if (failed) break;
    }
  }
  for (const phase of PHASES) {
    const ms = measured.get(phase);
    if (!ms) continue;
    const p = aggregate(phase, ms);
    report.phases.push(p);
    if (p.flows) report.flows = p.flows;
    if (p.bytesWritten !== undefined) {
      report.bytesWritten = p.bytesWritten;
      report.filesWritten = p.filesWritten!;
    }
  }
  if (!args.keep) rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
  report.objects = report.phases.find((p) => p.runs > 0)?.objects;

  const validate = report.phases.find((p) => p.phase === 'validate' && p.ok);
  const comp = report.phases.find((p) => p.phase === 'compile' && p.ok);
  if (validate && comp) {
    report.compileParseRatio = comp.wallMs / validate.wallMs;
    report.compileParseCpuRatio = comp.cpuMs / validate.cpuMs;
  }
  if (shape.nodes === 1000 && shape.pods === 30000 && comp) {
    report.targets = [{ name: 'compile wall time', limit: '< 60 s', value: fmtMs(comp.wallMs), met: comp.wallMs < TARGET.compileMs }];
    if (report.compileParseRatio !== undefined) {
      report.targets.unshift({
        name: 'compile / parse+validate',
        limit: `≤ ${TARGET.ratio}×`,
        value: `${report.compileParseRatio.toFixed(2)}× wall (${report.compileParseCpuRatio!.toFixed(2)}× cpu)`,
        met: report.compileParseRatio <= TARGET.ratio,
      });
    }
    report.targets.push({ name: 'peak RSS', limit: '< 4 GiB', value: fmtBytes(comp.peakRssBytes), met: comp.peakRssBytes < TARGET.peakRssBytes });
  }
  return report;
}

// ─── formatting ─────────────────────────────────────────────────────────────────────────────────────────────

function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function fmtBytes(b: number | undefined): string {
  if (b === undefined || !Number.isFinite(b) || b === 0) return '-';
  if (b < 1024 * 1024) return `${(b / 1024).toFixed(1)} KiB`;
  if (b < 1024 ** 3) return `${(b / 1024 ** 2).toFixed(1)} MiB`;
  return `${(b / 1024 ** 3).toFixed(2)} GiB`;
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

function table(head: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number>): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function textReport(reports: readonly ShapeReport[], args: Args, load: { before: number; after: number }): string {
  const out: string[] = [];
  const cpu = cpus();
  out.push(
    `dpc bench: node ${process.version}, ${process.platform} ${process.arch}, ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? '?'}), ` +
      `seed ${args.seed}; runs per phase: ${reports.map((r) => `${r.shape} ${r.runs}`).join(', ')} (wall = median, memory = max)`,
    `load average (1 min) before ${load.before.toFixed(2)}, after ${load.after.toFixed(2)} (the bench itself adds about 1)` +
      (load.before > 0.5 * cpu.length ? ': other work was running, wall times may be inflated (cpu times less so)' : ''),
    '',
  );
  const phaseRows: string[][] = [];
  for (const r of reports) {
    for (const p of r.phases) {
      phaseRows.push([
        r.shape,
        PHASE_LABEL[p.phase],
        p.crash ? 'CRASH' : p.ok ? 'ok' : 'FAILED',
        fmtMs(p.wallMs),
        fmtMs(p.cpuMs),
        fmtBytes(p.peakRssBytes),
        fmtBytes(p.startRssBytes),
        fmtBytes(p.heapUsedEndBytes),
      ]);
    }
  }
  out.push(table(['shape', 'phase', 'result', 'wall', 'cpu', 'peak RSS', 'start RSS', 'heap at end'], phaseRows, new Set([3, 4, 5, 6, 7])));
  out.push('');
  const shapeRows = reports.map((r) => [
    r.shape,
    int(r.namespaces),
    r.objects !== undefined ? int(r.objects) : '-',
    `${r.inputFiles} / ${fmtBytes(r.inputBytes)}`,
    r.compileParseRatio !== undefined ? `${r.compileParseRatio.toFixed(2)}× / ${r.compileParseCpuRatio!.toFixed(2)}×` : '-',
    r.flows ? int(r.flows.total) : '-',
    r.flows ? `${int(r.flows.min)} / ${int(r.flows.avg)} / ${int(r.flows.max)}` : '-',
    r.bytesWritten !== undefined ? `${fmtBytes(r.bytesWritten)} / ${int(r.filesWritten ?? 0)}` : '-',
  ]);
  out.push(
    table(
      ['shape', 'namespaces', 'objects', 'input files / size', 'compile/parse wall / cpu', 'flows', 'flows/Node min / avg / max', 'written / files'],
      shapeRows,
      new Set([1, 2, 4, 5]),
    ),
  );
  for (const r of reports) {
    if (!r.targets) continue;
    out.push('', `DESIGN §8 targets at ${r.shape} (the 3,000 policies of the target shape are not generated yet):`);
    for (const t of r.targets) out.push(`  ${t.met ? 'met   ' : 'MISSED'} ${t.name}: ${t.value} (target ${t.limit})`);
  }
  if (reports.some((r) => r.phases.some((p) => !p.hwmReset))) {
    out.push('', 'note: /proc/self/clear_refs was not writable, so peak RSS includes the worker start-up');
  }
  for (const r of reports) {
    for (const p of r.phases) {
      if (p.ok) continue;
      out.push('', `${r.shape} ${PHASE_LABEL[p.phase]} ${p.crash ? 'crashed' : `failed: ${p.errors} error(s), ${p.warnings} warning(s)`}`);
      if (p.crash) out.push(p.crash);
      out.push(...p.diagnostics.map((d) => `  ${d}`));
    }
  }
  return `${out.join('\n')}\n`;
}

// ─── main ───────────────────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bench: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (args.cpuProf) mkdirSync(args.cpuProf, { recursive: true });
  // Progress goes to stderr, so --json output on stdout stays clean.
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const root = mkdtempSync(join(tmpdir(), 'dpc-bench-'));
  const load = { before: loadavg()[0]!, after: 0 };
  const reports: ShapeReport[] = [];
  try {
    for (const shape of args.shapes) reports.push(await measureShape(shape, args, root, log));
  } finally {
    if (args.keep) log(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true, maxRetries: 2 });
  }
  load.after = loadavg()[0]!;
  if (args.json) {
    const cpu = cpus();
    const doc = {
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: cpu.length,
      cpuModel: cpu[0]?.model.trim(),
      loadAverage: load,
      seed: args.seed,
      shapes: reports,
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    process.stdout.write(textReport(reports, args, load));
  }
  if (args.cpuProf) log(`CPU profiles in ${args.cpuProf}`);
  // Warnings (e.g. features not compiled yet) do not fail the bench; errors and crashes do.
  return reports.every((r) => r.phases.every((p) => p.ok)) ? 0 : 1;
}

process.exitCode = await main();
