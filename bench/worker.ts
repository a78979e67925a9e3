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
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compile, type CompileResult } from '../compiler/compile.js';
import { formatDiagnostic, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { resolvePolicies } from '../compiler/resolve/policies.js';
import { allocatePolicyRules } from '../compiler/allocate/policyRules.js';
import type { SourceText } from '../compiler/ingest/documents.js';
import { writeBundles } from '../cli/writeBundles.js';
import { analyzeBundle, summarize, type NodePolicyFlows, type PolicyFlowSummary } from './policyFlows.js';

export type Phase = 'validate' | 'resolve' | 'compile' | 'write';

export interface WorkerTask {
  /**
   * `['validate']`, `['validate', 'resolve']`, `['compile']` or `['compile', 'write']`. Policy resolution runs on
   * the model the validation built, and writing needs the bundles of a compile, in the same process; the
   * peak-RSS reset between the two keeps their measurements apart, as separate processes would.
   */
  phases: Phase[];
  /** After the compile, outside the clock: count NetworkPolicy flows in every bundle (bench/policyFlows.ts). */
  policyFlows?: boolean;
  /** Folder holding the snapshot files. */
  dir: string;
  files: string[];
  /** For `write`: where the bundles go (the parent removes it). */
  outDir?: string;
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
  /** `compile` with `policyFlows`: NetworkPolicy flows per Node, and how long counting them took (not measured). */
  policyFlows?: PolicyFlowSummary;
  policyFlowsMs?: number;
}

function procStatusBytes(field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Linux ≥ 4.0: writing 5 to clear_refs sets VmHWM to the current RSS. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

function flowStats(result: CompileResult): FlowStats | undefined {
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

/** NetworkPolicy flows of every bundle, from the text the compile rendered. */
function policyFlowStats(result: CompileResult): { summary: PolicyFlowSummary; ms: number } {
  const t0 = performance.now();
  const perNode: NodePolicyFlows[] = [];
  for (const b of result.bundles) {
    const flows = b.files.get('openflow/flows.txt');
    const rules = b.files.get('visibility/rules.json');
    if (flows === undefined || rules === undefined) throw new Error(`${b.node}: bundle lacks openflow/flows.txt or visibility/rules.json`);
    perNode.push(analyzeBundle(b.node, flows, rules));
  }
  return { summary: summarize(perNode), ms: performance.now() - t0 };
}

function run(task: WorkerTask): WorkerResult[] {
  const sources: SourceText[] = task.files.map((name) => ({ name, text: readFileSync(join(task.dir, name), 'utf8') }));
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
  let clock = start();
  const result = compile(sources);
  const measured = stop(clock, 'compile', result);
  const flows = flowStats(result);
  if (flows) measured.flows = flows;
  if (task.policyFlows && result.ok) {
    const { summary, ms } = policyFlowStats(result);
    measured.policyFlows = summary;
    measured.policyFlowsMs = ms;
  }
  out.push(measured);
  if (rest.length === 0 || !result.ok) return out;

  if (!task.outDir) throw new Error('write needs outDir');
  clock = start();
  writeBundles(task.outDir, result.bundles, result.manifest);
  const written = stop(clock, 'write', result);
  // What went to disk, counted from the contents writeBundles was given (outside the clock).
  let bytes = Buffer.byteLength(result.manifest);
  let files = 1;
  for (const b of result.bundles) {
    for (const content of b.files.values()) bytes += Buffer.byteLength(content);
    files += b.files.size;
  }
  written.bytesWritten = bytes;
  written.filesWritten = files;
  out.push(written);
  return out;
}

const arg = process.argv[2];
if (!arg || !process.send) {
  process.stderr.write('bench/worker.js is started by bench/run.js (child_process.fork with a task as argv[2])\n');
  process.exit(2);
}
const result = run(JSON.parse(arg) as WorkerTask);
process.send(result, () => process.exit(0));
