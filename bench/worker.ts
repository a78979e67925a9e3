/**
 * One measurement in a fresh process (forked by run.ts), so that its peak memory is its own. The task comes as
 * JSON in argv[2]; the result goes back over the IPC channel.
 *
 * Reading the snapshot files from disk is not measured; parsing their text is. Before the clock starts the
 * worker collects garbage and resets the kernel's resident-set high-water mark (VmHWM), so the peak it reports
 * is the peak reached during the measured phase (it still includes Node itself, the loaded modules and
 * whatever the phase keeps alive from before: the source texts, for `resolve` the validated model and for `write`
 * the compile result).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compile, type CompileProgress, type CompileResult } from '../compiler/compile.js';
import { formatDiagnostic, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { resolvePolicies } from '../compiler/resolve/policies.js';
import { allocatePolicyRules } from '../compiler/allocate/policyRules.js';
import type { SourceText } from '../compiler/ingest/documents.js';
import { openBundleWriter } from '../cli/writeBundles.js';
import { compileInThreads } from '../cli/jobs.js';
import type { NodeBundle } from '../targets/bundle/bundle.js';
import { collectGarbage, procStatusBytes, resetPeakRss } from './measure.js';
import { analyzeBundle, summarize, type NodePolicyFlows, type PolicyFlowSummary } from './policyFlows.js';

export type Phase = 'validate' | 'resolve' | 'compile' | 'write';

export interface WorkerTask {
  /**
   * `['validate']`, `['validate', 'resolve']`, `['compile']` or `['compile', 'write']`. Policy resolution runs on
   * the model the validation built, with the peak-RSS mark reset in between; writing happens during the compile,
   * each bundle as it is rendered (as the CLI does), timed apart from it.
   */
  phases: Phase[];
  /** After the compile, outside the clock: count NetworkPolicy flows in every bundle (bench/policyFlows.ts). */
  policyFlows?: boolean;
  /** Folder holding the snapshot files. */
  dir: string;
  files: string[];
  /** For `write`: where the bundles go (the parent removes it). */
  outDir?: string;
  /** Compile only this shard of the Nodes (dpc compile --shard I/N). */
  shard?: { index: number; count: number };
  /** Compile on this many threads as `dpc compile --jobs N` does (cli/jobs.ts), bundles kept in memory. */
  jobs?: number;
}

export interface FlowStats {
  total: number;
  min: number;
  avg: number;
  max: number;
  bundles: number;
}

export interface WorkerResult {
  phase: Phase;
  ok: boolean;
  /** Wall time of the measured phase. */
  wallMs: number;
  /**
   * CPU time (user + system) of the whole process during the phase: the main thread plus V8's background GC
   * and compiler threads, so it may exceed wall time; unlike wall time it barely grows when other processes
   * compete for the CPUs.
   */
  cpuMs: number;
  /** VmHWM at the end of the phase, after the reset just before it (or since process start if reset failed). */
  peakRssBytes: number;
  /** VmRSS when the clock started: Node, modules, source texts (and the compile result for `write`). */
  startRssBytes: number;
  hwmReset: boolean;
  /** V8 heap in use after the phase and a full GC, with its result still alive; and the heap's reserved size. */
  heapUsedEndBytes: number;
  heapTotalEndBytes: number;
  stats: { objects: number; nodes: number; pods: number };
  errors: number;
  warnings: number;
  /** Formatted, at most 20. */
  diagnostics: string[];
  flows?: FlowStats;
  bytesWritten?: number;
  filesWritten?: number;
  /** `resolve`: the rules (one per rule ID) and K8s isolations of the whole cluster. */
  resolved?: { rules: number; isolation: number };
  /**
   * `compile`: the time before planning starts (parse, validate, resolve, allocate: what every shard repeats), and
   * the per-Node time after it (planning, rendering, writing).
   */
  beforePlanMs?: number;
  perNodeMs?: number;
  /** Compile threads, when more than one. */
  threads?: number;
  /** `compile` with `policyFlows`: NetworkPolicy flows per Node, and how long counting them took (not measured). */
  policyFlows?: PolicyFlowSummary;
  policyFlowsMs?: number;
}

function flowStats(result: Pick<CompileResult, 'bundles'>): FlowStats | undefined {
  if (result.bundles.length === 0) return undefined;
  let total = 0;
  let min = Infinity;
  let max = 0;
  for (const b of result.bundles) {
    total += b.flowCount;
    min = Math.min(min, b.flowCount);
    max = Math.max(max, b.flowCount);
  }
  return { total, min, max, avg: total / result.bundles.length, bundles: result.bundles.length };
}

interface Clock {
  hwmReset: boolean;
  startRssBytes: number;
  t0: number;
  cpu0: NodeJS.CpuUsage;
}

/** Collects garbage, resets the peak-RSS mark and starts the clock. */
function start(): Clock {
  collectGarbage();
  const hwmReset = resetPeakRss();
  return { hwmReset, startRssBytes: procStatusBytes('VmRSS'), cpu0: process.cpuUsage(), t0: performance.now() };
}

interface Outcome {
  ok: boolean;
  diagnostics: readonly Diagnostic[];
  stats: WorkerResult['stats'];
}

/** Stops the clock and describes the phase; `result` is what the phase leaves alive. */
function stop(clock: Clock, phase: Phase, result: Outcome): WorkerResult {
  const wallMs = performance.now() - clock.t0;
  const cpu = process.cpuUsage(clock.cpu0);
  const peakRssBytes = procStatusBytes('VmHWM');
  // Outside the clock: what the phase's result keeps alive once its garbage is gone.
  collectGarbage();
  const mem = process.memoryUsage();
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  return {
    phase,
    ok: result.ok,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssBytes,
    startRssBytes: clock.startRssBytes,
    hwmReset: clock.hwmReset,
    heapUsedEndBytes: mem.heapUsed,
    heapTotalEndBytes: mem.heapTotal,
    stats: result.stats,
    errors,
    warnings: result.diagnostics.length - errors,
    diagnostics: result.diagnostics.slice(0, 20).map(formatDiagnostic),
  };
}

/** Wall and CPU time spent in some calls, to be told apart from the phase around them. */
class Stopwatch {
  wallMs = 0;
  cpuMs = 0;
  time<T>(f: () => T): T {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    try {
      return f();
    } finally {
      const c = process.cpuUsage(c0);
      this.wallMs += performance.now() - t0;
      this.cpuMs += (c.user + c.system) / 1000;
    }
  }
}

/**
 * The compile as `dpc compile --jobs N` runs it: N threads each parse and resolve the snapshot and render their share
 * of the Nodes, and this thread receives the bundles. Wall and CPU time are the process's (every thread), and so is
 * the peak RSS.
 */
async function runThreaded(task: WorkerTask, sources: SourceText[]): Promise<WorkerResult[]> {
  let planAt: number | undefined;
  const clock = start();
  // The bundles reach this thread as the CLI's writer receives them, and are dropped.
  const result = await compileInThreads(sources, undefined, task.jobs!, { add: () => undefined }, (p) => {
    if (p.phase === 'plan' && planAt === undefined) planAt = performance.now();
  });
  const end = performance.now();
  const measured = stop(clock, 'compile', result);
  if (planAt !== undefined) {
    measured.beforePlanMs = planAt - clock.t0;
    measured.perNodeMs = end - planAt;
  }
  measured.threads = task.jobs!;
  const flows = flowStats(result);
  if (flows) measured.flows = flows;
  return [measured];
}

async function run(task: WorkerTask): Promise<WorkerResult[]> {
  const sources: SourceText[] = task.files.map((name) => ({ name, text: readFileSync(join(task.dir, name), 'utf8') }));
  if (task.jobs && task.jobs > 1) return runThreaded(task, sources);
  const out: WorkerResult[] = [];
  const [first, ...rest] = task.phases;
  if (first === 'validate' && (rest.length === 0 || (rest.length === 1 && rest[0] === 'resolve'))) {
    let clock = start();
    const result = compile(sources, { validateOnly: true });
    out.push(stop(clock, 'validate', result));
    if (rest.length === 0 || !result.ok || !result.model) return out;
    // Policy resolution alone (docs/design.md §8's second target): selectors to Pods and addresses, rule IDs and
    // priorities for the whole cluster, on the model the validation built.
    const model = result.model;
    clock = start();
    const resolved = resolvePolicies(model);
    const allocated = allocatePolicyRules(resolved.intents);
    const diagnostics = [...resolved.diagnostics, ...allocated.diagnostics];
    const ok = !diagnostics.some((d) => d.severity === 'error');
    const measured = stop(clock, 'resolve', { ok, diagnostics, stats: result.stats });
    measured.resolved = { rules: allocated.allocated.rules.length, isolation: allocated.allocated.isolation.length };
    out.push(measured);
    return out;
  }
  if (first !== 'compile' || rest.some((p) => p !== 'write') || rest.length > 1) {
    throw new Error(`unsupported phases ${task.phases.join(',')}`);
  }
  // Bundles stream out Node by Node, as the CLI writes them: the compile never holds every bundle's text. Counting
  // policy flows (outside the measurement) and writing (measured apart) happen as each bundle arrives; their time
  // is taken off the compile's.
  const write = rest.length === 1;
  if (write && !task.outDir) throw new Error('write needs outDir');
  const writer = write ? openBundleWriter(task.outDir!) : undefined;
  const writing = new Stopwatch();
  const counting = new Stopwatch();
  const perNode: NodePolicyFlows[] = [];
  let bytes = 0;
  let files = 1;
  const onBundle = (b: NodeBundle) => {
    if (writer) writing.time(() => writer.add(b));
    counting.time(() => {
      // Only when writing: byteLength flattens each file's text, garbage an in-memory compile would not make.
      if (writer) for (const content of b.files.values()) bytes += Buffer.byteLength(content);
      files += b.files.size;
      if (!task.policyFlows) return;
      const flows = b.files.get('openflow/flows.txt');
      const rules = b.files.get('visibility/rules.json');
      if (flows === undefined || rules === undefined) throw new Error(`${b.node}: bundle lacks openflow/flows.txt or visibility/rules.json`);
      perNode.push(analyzeBundle(b.node, flows, rules));
    });
  };
  let planAt: number | undefined;
  const onProgress = (p: CompileProgress) => {
    if (p.phase === 'plan' && planAt === undefined) planAt = performance.now();
  };
  const clock = start();
  const result = compile(sources, { onBundle, onProgress, ...(task.shard ? { shard: task.shard } : {}) });
  if (writer && result.ok) writing.time(() => writer.finish(result.manifest));
  const end = performance.now();
  const measured = stop(clock, 'compile', result);
  if (planAt !== undefined) {
    measured.beforePlanMs = planAt - clock.t0;
    measured.perNodeMs = end - planAt - counting.wallMs;
  }
  measured.wallMs -= writing.wallMs + counting.wallMs;
  measured.cpuMs -= writing.cpuMs + counting.cpuMs;
  const flows = flowStats(result);
  if (flows) measured.flows = flows;
  if (task.policyFlows && result.ok) {
    measured.policyFlows = summarize(perNode);
    measured.policyFlowsMs = counting.wallMs;
  }
  out.push(measured);
  if (!write || !result.ok) return out;
  // Writing shares the compile's process and peak memory; its time is what the writer's calls took.
  out.push({
    ...measured,
    phase: 'write',
    wallMs: writing.wallMs,
    cpuMs: writing.cpuMs,
    bytesWritten: bytes + Buffer.byteLength(result.manifest),
    filesWritten: files,
  });
  return out;
}

const arg = process.argv[2];
if (!arg || !process.send) {
  process.stderr.write('bench/worker.js is started by bench/run.js (child_process.fork with a task as argv[2])\n');
  process.exit(2);
}
void run(JSON.parse(arg) as WorkerTask).then((result) => process.send!(result, () => process.exit(0)));
