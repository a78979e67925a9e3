/**
 * The benchmark suite (docs/design.md §8): for each cluster shape, generate a synthetic snapshot, then measure in
 * fresh child processes (bench/worker.ts):
 *   validate  parse + schema + semantic checks only (compile with validateOnly), in a process of its own...
 *   resolve   ...followed there (shapes with policies) by policy resolution alone on the validated model
 *   compile   the full compile, rendering every bundle in memory, in a process of its own...
 *   write     ...followed there by writing those bundles to a temporary folder with writeBundles, on its own
 *             clock and with the peak-RSS mark reset in between (writing needs the compile's bundles)
 * For shapes with policies the compile's bundles are also read back, outside the clock, for their NetworkPolicy
 * flows: conjunction as compiled against the cross product of the same rules (bench/policyFlows.ts).
 * See bench/README.md for what every column means.
 *
 * Usage: node --expose-gc dist/bench/run.js [--shape NODESxPODS[xPOLICIES] | --shape antrea-controller]...
 *                                         [--runs N] [--phase P]... [--seed N] [--json] [--cpu-prof DIR] [--keep]
 * Exit status: 0 when every measured compile succeeded, 1 when one failed or a worker crashed, 2 on bad usage.
 */
import { COMPILE_SEMI_SPACE_MB, compileSemiSpaceMb, sourceBytes } from '../cli/jobs.js';
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { defaultNamespaces, generateSnapshot, type PolicyProfile } from './generate.js';
import { ANTREA_SHAPES, antreaShapeCounts, generateAntreaShape, type AntreaShape } from './antreaShapes.js';
import type { PolicyFlowSummary } from './policyFlows.js';
import type { FlowStats, Phase, WorkerResult, WorkerTask } from './worker.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const WORKER = join(HERE, 'worker.js');

const DEFAULT_SHAPES = ['100x3000', '1000x30000', '1000x30000x3000'];
/** Shapes up to this many Pods are measured 3 times by default (median), bigger ones once. */
const AUTO_RUNS_MAX_PODS = 10_000;
const PHASES: readonly Phase[] = ['validate', 'resolve', 'compile', 'write'];
const PHASE_LABEL: Record<Phase, string> = {
  validate: 'parse+validate',
  resolve: 'policy resolution',
  compile: 'compile (in memory)',
  write: 'write bundles',
};
const phaseLabel = (phase: Phase, threads?: number): string =>
  threads && PHASE_LABEL[phase].endsWith(')') ? `${PHASE_LABEL[phase].slice(0, -1)}, ${threads} threads)` : PHASE_LABEL[phase];
/** docs/design.md §8, for the 1,000 Nodes / 30,000 Pods / 3,000 policies shape. */
const TARGET = { ratio: 2, compileMs: 60_000, peakRssBytes: 4 * 2 ** 30 };
/** docs/design.md §8, policy resolution at Antrea's controller-benchmark shape (Antrea: about 6 s and 1.6 GB). */
const RESOLVE_TARGET = { ms: 5_000, peakRssBytes: 1.2e9 };

interface Shape {
  name: string;
  nodes: number;
  pods: number;
  policies: number;
  /** Default: defaultNamespaces(pods). */
  namespaces?: number;
  profile?: PolicyProfile;
  /** One of Antrea's controller-benchmark shapes (bench/antreaShapes.ts), at `scale`. */
  antrea?: { shape: AntreaShape; scale: number };
}

/** Shapes known by name (not in the default set). */
const NAMED_SHAPES: Record<string, Omit<Shape, 'name'>> = {
  // Antrea's controller benchmark (TestInitXLargeScaleWithSmallNamespaces): 4 Pods and 3 NetworkPolicies per
  // Namespace; its Pods sit on 1,000 Node names.
  'antrea-controller': { nodes: 1000, pods: 100_000, namespaces: 25_000, policies: 75_000, profile: 'antrea-controller' },
  'small-namespaces': { nodes: 1000, pods: 100_000, namespaces: 25_000, policies: 75_000, profile: 'antrea-controller' },
};

/** Antrea's other controller-benchmark shapes, all on 1,000 Nodes; `NAME@F` scales their counts by F (0 < F ≤ 1). */
function antreaShape(text: string): Shape | undefined {
  const m = /^([a-z-]+)(?:@(0?\.\d+|1(?:\.0*)?))?$/.exec(text);
  const name = m?.[1] as AntreaShape | undefined;
  if (!m || !name || !ANTREA_SHAPES.includes(name)) return undefined;
  const scale = m[2] === undefined ? 1 : Number(m[2]);
  if (!(scale > 0)) throw new UsageError(`--shape ${text}: the scale must be above 0`);
  const c = antreaShapeCounts(name, scale);
  return { name: text, nodes: 1000, pods: c.pods, namespaces: c.namespaces, policies: c.policies, antrea: { shape: name, scale } };
}

/** Every shape of Antrea's controller benchmarks (issue 13), not in the default set. */
const ANTREA_ALL = ['small-namespaces', ...ANTREA_SHAPES];

interface Args {
  shapes: Shape[];
  /** Empty: every phase (policy resolution only for shapes with policies). */
  phases: Phase[];
  /** Measurements per phase; by default 3 for shapes up to AUTO_RUNS_MAX_PODS Pods, 1 above. */
  runs?: number;
  seed: number;
  json: boolean;
  cpuProf?: string;
  keep: boolean;
  /** Print the tables of a saved --json report instead of measuring. */
  report?: string;
  /** Also compile the shape in this many shards, one after the other (as that many machines would). */
  shards?: number;
  /** Compile on this many threads, as `dpc compile --jobs N` does (default 1: the compiler alone, one thread). */
  jobs?: number;
  /** The workers' V8 semi-space in MiB; by default what a dpc compile thread gets for the shape (compileSemiSpaceMb). */
  semiSpaceMb?: number;
}

class UsageError extends Error {}

function parseShape(text: string): Shape {
  const named = NAMED_SHAPES[text];
  if (named) return { name: text, ...named };
  // small-namespaces@F: the same generator profile with every count scaled (4 Pods, 3 policies per Namespace kept),
  // so resolution can be iterated on in seconds and confirmed at full size.
  const small = /^small-namespaces@(0?\.\d+|1(?:\.0*)?)$/.exec(text);
  if (small) {
    const f = Number(small[1]);
    if (!(f > 0)) throw new UsageError(`--shape ${text}: the scale must be above 0`);
    const n = (full: number) => Math.max(1, Math.round(full * f));
    return { name: text, nodes: 1000, pods: n(100_000), namespaces: n(25_000), policies: n(75_000), profile: 'antrea-controller' };
  }
  const antrea = antreaShape(text);
  if (antrea) return antrea;
  const m = /^(\d+)x(\d+)(?:x(\d+))?$/.exec(text);
  if (!m) {
    throw new UsageError(
      `--shape wants NODESxPODS or NODESxPODSxPOLICIES (e.g. 100x3000, 1000x30000x3000), one of ${[...Object.keys(NAMED_SHAPES), ...ANTREA_SHAPES].join(', ')} (the last ${ANTREA_SHAPES.length} scaled with @F) or antrea-all, not ${JSON.stringify(text)}`,
    );
  }
  const nodes = Number(m[1]);
  const pods = Number(m[2]);
  const policies = Number(m[3] ?? 0);
  if (nodes < 1) throw new UsageError('--shape needs at least one Node');
  if (policies > 0 && pods < 1) throw new UsageError('--shape: policies need Pods to select');
  return { name: text, nodes, pods, policies };
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
        for (const s of value().split(',')) {
          if (s.trim() === 'antrea-all') args.shapes.push(...ANTREA_ALL.map(parseShape));
          else args.shapes.push(parseShape(s.trim()));
        }
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
      case '--shards':
        args.shards = count('--shards', value(), 2);
        break;
      case '--jobs':
        args.jobs = count('--jobs', value(), 1);
        break;
      case '--semi-space':
        args.semiSpaceMb = count('--semi-space', value(), 1);
        break;
      case '--report':
        args.report = resolve(value());
        break;
      case '-h':
      case '--help':
        process.stdout.write(
          [
            'Usage: node --expose-gc dist/bench/run.js [options]',
            '  --shape SHAPE       NODESxPODS[xPOLICIES] or antrea-controller / small-namespaces[@F] (25,000 Namespaces,',
            '                      100,000 Pods, 75,000 policies, scaled by F); repeatable or comma-separated; default 100x3000, 1000x30000, 1000x30000x3000',
            '  --phase P           validate, resolve, compile or write (repeatable; default all, resolve only with policies)',
            '  --runs N            measurements per phase (default 3 up to 10,000 Pods, else 1); wall = median, memory = max',
            '  --seed N            generator seed (default 1)',
            '  --json              machine-readable output on stdout',
            '  --cpu-prof DIR      write a V8 CPU profile of every worker into DIR',
            '  --keep              keep the generated snapshot (its folder is printed)',
            '  --shards N          also compile each shape as N shards, one after the other (dpc compile --shard I/N)',
            '  --jobs N            compile on N threads as dpc compile --jobs N does (default 1); policy flows are then not counted',
            '  --semi-space MB     the workers\' V8 semi-space (default: a dpc compile thread\'s for the shape, cli/jobs.ts); for tuning it',
            '  --report FILE       print the tables of a saved --json report (measures nothing)',
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
  args.phases = PHASES.filter((p) => args.phases.includes(p));
  if ((args.jobs ?? 1) > 1 && (args.shards || args.phases.length === 0 || args.phases.includes('write'))) {
    throw new UsageError('--jobs measures the in-memory compile: it needs --phase compile, without write or --shards (shards are compared thread for thread)');
  }
  return args;
}

/** The phases measured for a shape: those asked for, or all (policy resolution only when there are policies). */
function phasesFor(shape: Shape, args: Args): Phase[] {
  if (args.phases.length > 0) return args.phases;
  return PHASES.filter((p) => p !== 'resolve' || shape.policies > 0);
}

// ─── running workers ────────────────────────────────────────────────────────────────────────────────────────

interface Measurement {
  result?: WorkerResult;
  /** Set when the worker died without a result for this phase. */
  crash?: string;
}

/** One result per phase of the task; a crash counts against every phase that did not report. */

function runWorker(task: WorkerTask, cpuProf: string | undefined, semiSpaceMb: number): Promise<Map<Phase, Measurement>> {
  // By default the young generation a dpc compile thread gets for the shape (cli/jobs.ts), so the bench measures
  // the compile as dpc runs it; --semi-space tries another value before that choice changes.
  const execArgv = ['--expose-gc', `--max-semi-space-size=${semiSpaceMb}`];
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
        // A write after a failed or crashed compile (or a resolution after a failed validation) is not attempted:
        // the first phase's report says it all.
        const before: Phase | undefined = phase === 'write' ? 'compile' : phase === 'resolve' ? 'validate' : undefined;
        if (result) out.set(phase, { result });
        else if (!before || results.some((r) => r.phase === before && r.ok)) out.set(phase, { crash });
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
  resolved?: { rules: number; isolation: number };
  policyFlows?: PolicyFlowSummary;
  /** Compile threads (--jobs), when more than one. */
  threads?: number;
}

interface ShapeReport {
  shape: string;
  /** Measurements per phase. */
  runs: number;
  nodes: number;
  pods: number;
  namespaces: number;
  policies: number;
  /** The policy profile, or the Antrea shape the snapshot follows. */
  profile: PolicyProfile | AntreaShape;
  objects?: number;
  inputFiles: number;
  inputBytes: number;
  /** The compile workers' semi-space in MiB: --semi-space, else what dpc gives a compile thread for this much input. */
  semiSpaceMb?: number;
  generateMs: number;
  phases: PhaseReport[];
  /** Median compile wall time over median validate wall time. */
  compileParseRatio?: number;
  /** The same with CPU times. */
  compileParseCpuRatio?: number;
  flows?: FlowStats;
  bytesWritten?: number;
  filesWritten?: number;
  /** Rules (one per rule ID) and K8s isolations policy resolution produced for the whole cluster. */
  resolved?: { rules: number; isolation: number };
  /** NetworkPolicy flows per Node, conjunction against cross product (shapes with policies). */
  policyFlows?: PolicyFlowSummary;
  targets?: { name: string; limit: string; value: string; met: boolean }[];
  /** What the targets line says about the shape. */
  targetsNote?: string;
  /** With --shards: the unsharded compile and each shard, split at the start of planning. */
  sharded?: { unsharded: ShardTimes; shards: ShardTimes[] };
}

interface ShardTimes {
  label: string;
  ok: boolean;
  nodes: number;
  beforePlanMs: number;
  perNodeMs: number;
  peakRssBytes: number;
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
  const resolved = results.find((r) => r.resolved);
  if (resolved?.resolved) report.resolved = resolved.resolved;
  const policyFlows = results.find((r) => r.policyFlows);
  if (policyFlows?.policyFlows) report.policyFlows = policyFlows.policyFlows;
  if (sample?.threads) report.threads = sample.threads;
  return report;
}

async function measureShape(shape: Shape, args: Args, root: string, log: (s: string) => void): Promise<ShapeReport> {
  const dir = join(root, shape.name);
  const inDir = join(dir, 'in');
  mkdirSync(inDir, { recursive: true });
  const t0 = performance.now();
  const sources = shape.antrea
    ? generateAntreaShape({ ...shape.antrea, nodes: shape.nodes, seed: args.seed })
    : generateSnapshot({
        nodes: shape.nodes,
        pods: shape.pods,
        policies: shape.policies,
        ...(shape.namespaces !== undefined ? { namespaces: shape.namespaces } : {}),
        ...(shape.profile ? { profile: shape.profile } : {}),
        seed: args.seed,
      });
  const generateMs = performance.now() - t0;
  for (const s of sources) writeFileSync(join(inDir, s.name), s.text);
  // Counted as dpc counts them when it picks a compile thread's semi-space.
  const inputBytes = sourceBytes(sources);
  const files = sources.map((s) => s.name);
  const semiSpaceMb = args.semiSpaceMb ?? compileSemiSpaceMb(inputBytes);
  // Validation and resolution workers keep the 64 MiB every worker had before compile threads' semi-space
  // depended on the input, so parse+validate (the compile/parse ratio's denominator) is measured as it was.
  const semiSpaceFor = (phases: readonly Phase[]) => (phases.includes('compile') ? semiSpaceMb : (args.semiSpaceMb ?? COMPILE_SEMI_SPACE_MB));
  const report: ShapeReport = {
    shape: shape.name,
    nodes: shape.nodes,
    pods: shape.pods,
    namespaces: shape.namespaces ?? defaultNamespaces(shape.pods),
    policies: shape.policies,
    profile: shape.antrea?.shape ?? shape.profile ?? 'mixed',
    runs: 0,
    inputFiles: files.length,
    inputBytes,
    semiSpaceMb,
    generateMs,
    phases: [],
  };
  log(`${shape.name}: generated ${files.length} files, ${fmtBytes(inputBytes)} of YAML in ${fmtMs(generateMs)} (not measured)`);

  // One worker for validate, followed by resolve when asked (resolution runs on the validated model); one for
  // compile, followed by write when asked (write needs the compile's bundles).
  const wanted = phasesFor(shape, args);
  const jobs: Phase[][] = [];
  if (wanted.includes('resolve')) jobs.push(['validate', 'resolve']);
  else if (wanted.includes('validate')) jobs.push(['validate']);
  // With --shards the unsharded compile writes too: the shards' per-Node time includes their writing.
  if (wanted.includes('write') || (args.shards && wanted.includes('compile'))) jobs.push(['compile', 'write']);
  else if (wanted.includes('compile')) jobs.push(['compile']);
  const runs = args.runs ?? (shape.pods <= AUTO_RUNS_MAX_PODS ? 3 : 1);
  report.runs = runs;
  const measured = new Map<Phase, Measurement[]>();
  // Policy flows are counted in a compile of their own, outside every measured run: reading each bundle back
  // flattens its text and parses every line, garbage that would otherwise weigh on the measured compile's GC.
  // Not with --shards (the figure of interest there is time) nor beside threads.
  if (wanted.includes('compile') && shape.policies > 0 && !args.shards && (args.jobs ?? 1) <= 1) {
    const counted = (await runWorker({ phases: ['compile'], dir: inDir, files, policyFlows: true }, undefined, semiSpaceMb)).get('compile')?.result;
    log(`${shape.name}: policy flows counted in a compile of their own (not measured)${counted?.ok ? '' : ': FAILED'}`);
    if (counted?.policyFlows) report.policyFlows = counted.policyFlows;
  }
  for (const phases of jobs) {
    for (let run = 0; run < runs; run++) {
      const task: WorkerTask = { phases, dir: inDir, files };
      if (phases.includes('write')) task.outDir = join(dir, `out-${run}`);
      const threads = phases.includes('compile') && (args.jobs ?? 1) > 1;
      if (threads) task.jobs = args.jobs!;
      const got = await runWorker(task, args.cpuProf, semiSpaceFor(phases));
      if (task.outDir) rmSync(task.outDir, { recursive: true, force: true, maxRetries: 2 });
      let failed = false;
      for (const [phase, m] of got) {
        measured.set(phase, [...(measured.get(phase) ?? []), m]);
        const r = m.result;
        log(
          `${shape.name}: ${phaseLabel(phase, r?.threads)} run ${run + 1}/${runs}: ` +
            (r ? `${fmtMs(r.wallMs)}, peak RSS ${fmtBytes(r.peakRssBytes)}${r.ok ? '' : ', FAILED'}` : 'CRASHED'),
        );
        if (!r?.ok) failed = true;
      }
      if (failed) break;
    }
  }
  if (args.shards && measured.get('compile')?.every((m) => m.result?.ok)) {
    const times = (label: string, r: WorkerResult): ShardTimes => ({
      label,
      ok: r.ok,
      nodes: r.flows?.bundles ?? 0,
      beforePlanMs: r.beforePlanMs ?? NaN,
      perNodeMs: r.perNodeMs ?? NaN,
      peakRssBytes: r.peakRssBytes,
    });
    const shards: ShardTimes[] = [];
    for (let index = 1; index <= args.shards; index++) {
      const task: WorkerTask = { phases: ['compile', 'write'], dir: inDir, files, outDir: join(dir, `shard-${index}`), shard: { index, count: args.shards } };
      const r = (await runWorker(task, args.cpuProf, semiSpaceMb)).get('compile')?.result;
      rmSync(task.outDir!, { recursive: true, force: true, maxRetries: 2 });
      log(`${shape.name}: shard ${index}/${args.shards}: ${r ? `${fmtMs(r.wallMs)}, per-Node ${fmtMs(r.perNodeMs ?? NaN)}, peak RSS ${fmtBytes(r.peakRssBytes)}` : 'CRASHED'}`);
      shards.push(r ? times(`${index}/${args.shards}`, r) : { label: `${index}/${args.shards}`, ok: false, nodes: 0, beforePlanMs: NaN, perNodeMs: NaN, peakRssBytes: 0 });
    }
    report.sharded = { unsharded: times('unsharded', measured.get('compile')![0]!.result!), shards };
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
    if (p.resolved) report.resolved = p.resolved;
    if (p.policyFlows) report.policyFlows = p.policyFlows;
  }
  if (!args.keep) rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
  report.objects = report.phases.find((p) => p.runs > 0)?.objects;

  const validate = report.phases.find((p) => p.phase === 'validate' && p.ok);
  const comp = report.phases.find((p) => p.phase === 'compile' && p.ok);
  const resolve = report.phases.find((p) => p.phase === 'resolve' && p.ok);
  if (validate && comp) {
    report.compileParseRatio = comp.wallMs / validate.wallMs;
    report.compileParseCpuRatio = comp.cpuMs / validate.cpuMs;
  }
  if (shape.profile === 'antrea-controller' && resolve) {
    report.targetsNote = `docs/design.md §8 policy-resolution targets at ${shape.name} (Antrea's controller: about 6 s and 1.6 GB)`;
    report.targets = [
      { name: 'policy resolution wall time', limit: '< 5 s', value: `${fmtMs(resolve.wallMs)} (${fmtMs(resolve.cpuMs)} cpu)`, met: resolve.wallMs < RESOLVE_TARGET.ms },
      {
        name: 'peak RSS during resolution (model and sources included)',
        limit: '< 1.2 GB',
        value: `${fmtBytes(resolve.peakRssBytes)} (${fmtBytes(resolve.peakRssBytes - resolve.startRssBytes)} above the validated model)`,
        met: resolve.peakRssBytes < RESOLVE_TARGET.peakRssBytes,
      },
    ];
  }
  if (shape.nodes === 1000 && shape.pods === 30000 && comp) {
    report.targetsNote =
      shape.policies === 3000
        ? `docs/design.md §8 targets at ${shape.name} (the target shape)`
        : `docs/design.md §8 targets at ${shape.name} (${shape.policies === 0 ? 'without' : `with ${int(shape.policies)} policies instead of`} the 3,000 policies of the target shape)`;
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
  // Antrea's controller-benchmark shapes (docs/design.md §8): each compiles under 4 GiB, within 2× parse+validate.
  if ((shape.antrea || shape.profile === 'antrea-controller') && comp) {
    const own = [
      { name: 'compile peak RSS', limit: '< 4 GiB', value: fmtBytes(comp.peakRssBytes), met: comp.peakRssBytes < TARGET.peakRssBytes },
      ...(report.compileParseRatio !== undefined
        ? [{ name: 'compile / parse+validate', limit: `≤ ${TARGET.ratio}×`, value: `${report.compileParseRatio.toFixed(2)}× wall (${report.compileParseCpuRatio!.toFixed(2)}× cpu)`, met: report.compileParseRatio <= TARGET.ratio }]
        : []),
    ];
    report.targetsNote ??= `docs/design.md §8 targets at ${shape.name} (Antrea's controller-benchmark shapes)`;
    report.targets = [...(report.targets ?? []), ...own];
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

/** The --json document. */
interface JsonReport {
  node: string;
  platform: string;
  cpus: number;
  cpuModel?: string;
  loadAverage: { before: number; after: number };
  seed: number;
  /** --semi-space, when given; else each shape has its own (reports older than --semi-space have neither: 64). */
  semiSpaceMb?: number;
  shapes: ShapeReport[];
}

function jsonReport(reports: ShapeReport[], args: Args, load: { before: number; after: number }): JsonReport {
  const cpu = cpus();
  const doc: JsonReport = {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpu.length,
    loadAverage: load,
    seed: args.seed,
    ...(args.semiSpaceMb !== undefined ? { semiSpaceMb: args.semiSpaceMb } : {}),
    shapes: reports,
  };
  const model = cpu[0]?.model.trim();
  if (model) doc.cpuModel = model;
  return doc;
}

function textReport(doc: JsonReport): string {
  const out: string[] = [];
  const reports = doc.shapes;
  const load = doc.loadAverage;
  out.push(
    `dpc bench: node ${doc.node}, ${doc.platform}, ${doc.cpus} CPUs (${doc.cpuModel ?? '?'}), ` +
      `seed ${doc.seed}, semi-space ${doc.semiSpaceMb !== undefined ? doc.semiSpaceMb : reports.map((r) => `${r.shape} ${r.semiSpaceMb ?? 64}`).join(', ')} MiB; runs per phase: ${reports.map((r) => `${r.shape} ${r.runs}`).join(', ')} (wall = median, memory = max)`,
    `load average (1 min) before ${load.before.toFixed(2)}, after ${load.after.toFixed(2)} (the bench itself adds about 1)` +
      (load.before > 0.5 * doc.cpus ? ': other work was running, wall times may be inflated (cpu times less so)' : ''),
    '',
  );
  const phaseRows: string[][] = [];
  for (const r of reports) {
    for (const p of r.phases) {
      phaseRows.push([
        r.shape,
        phaseLabel(p.phase, p.threads),
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
  const withPolicies = reports.filter((r) => r.policyFlows || r.resolved);
  if (withPolicies.length > 0) {
    out.push('', 'NetworkPolicy flows (cookie category NetworkPolicy) per Node:');
    out.push(
      table(
        ['shape', 'policies', 'resolved rules', 'rules on a Node min / avg / max', 'NP flows', 'NP flows/Node min / avg / max', 'of all flows'],
        withPolicies.map((r) => {
          const f = r.policyFlows;
          return [
            r.shape,
            int(r.policies),
            r.resolved ? `${int(r.resolved.rules)} + ${int(r.resolved.isolation)} isol.` : '-',
            f ? `${int(f.rules.min)} / ${int(f.rules.avg)} / ${int(f.rules.max)}` : '-',
            f ? int(f.npFlows.total) : '-',
            f ? `${int(f.npFlows.min)} / ${int(f.npFlows.avg)} / ${int(f.npFlows.max)}` : '-',
            f && f.flows.total > 0 ? `${((100 * f.npFlows.total) / f.flows.total).toFixed(0)} %` : '-',
          ];
        }),
        new Set([1, 4, 6]),
      ),
    );
    const withFlows = withPolicies.filter((r) => r.policyFlows);
    if (withFlows.length > 0) {
      out.push(
        '',
        'Conjunctive match flows as compiled (per rule: Σ clause flows + 1 action flow) against a cross product of the same',
        'rules on the same Nodes (per rule: peers × local appliedTo × services):',
      );
      out.push(
        table(
          ['shape', 'conjunction', 'per Node avg / max', 'cross product', 'per Node avg / max', 'cross / conj', 'largest rule (flows per clause)'],
          withFlows.map((r) => {
            const f = r.policyFlows!;
            const l = f.largest;
            return [
              r.shape,
              int(f.conjunctive.total),
              `${int(f.conjunctive.avg)} / ${int(f.conjunctive.max)}`,
              int(f.crossProduct.total),
              `${int(f.crossProduct.avg)} / ${int(f.crossProduct.max)}`,
              f.conjunctive.total > 0 ? `${(f.crossProduct.total / f.conjunctive.total).toFixed(2)}×` : '-',
              l ? `${l.clauses.map(int).join(' × ')} on ${l.node}: ${int(l.sum)} conj, ${int(l.product)} cross` : '-',
            ];
          }),
          new Set([1, 3, 5]),
        ),
      );
    }
  }
  for (const r of reports) {
    if (!r.sharded) continue;
    const { unsharded, shards } = r.sharded;
    out.push('', `${r.shape} in ${shards.length} shards, one after the other (each repeats parse, validation and resolution):`);
    out.push(
      table(
        ['compile', 'Nodes', 'before planning', 'per-Node (plan, render, write)', 'peak RSS'],
        [unsharded, ...shards].map((t) => [t.label, int(t.nodes), fmtMs(t.beforePlanMs), fmtMs(t.perNodeMs), fmtBytes(t.peakRssBytes)]),
        new Set([1, 2, 3, 4]),
      ),
    );
    const slowest = Math.max(...shards.map((t) => t.perNodeMs));
    const met = slowest <= unsharded.perNodeMs / 3;
    out.push(`  ${met ? 'met   ' : 'MISSED'} slowest shard's per-Node time: ${fmtMs(slowest)}, ${(slowest / unsharded.perNodeMs).toFixed(2)} of the unsharded (target ≤ 1/3)`);
  }
  for (const r of reports) {
    if (!r.targets) continue;
    out.push('', `${r.targetsNote ?? `docs/design.md §8 targets at ${r.shape}`}:`);
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
  if (args.report) {
    const doc = JSON.parse(readFileSync(args.report, 'utf8')) as JsonReport;
    process.stdout.write(textReport(doc));
    return doc.shapes.every((r) => r.phases.every((p) => p.ok)) ? 0 : 1;
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
  const doc = jsonReport(reports, args, load);
  process.stdout.write(args.json ? `${JSON.stringify(doc, null, 2)}\n` : textReport(doc));
  if (args.cpuProf) log(`CPU profiles in ${args.cpuProf}`);
  // Warnings (e.g. features not compiled yet) do not fail the bench; errors and crashes do.
  return reports.every((r) => r.phases.every((p) => p.ok)) ? 0 : 1;
}

process.exitCode = await main();
