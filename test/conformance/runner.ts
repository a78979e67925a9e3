// Runs conformance cases: compile each step with dpc, load every Node's bundle into its own Open vSwitch, decide
// every cell with real packets (probe.ts) and compare with the case's truth table. Reports a matrix per check
// and one PASS/FAIL line per case.

import { performance } from 'node:perf_hooks';
import { compile, type CompileResult } from '../../compiler/compile.js';
import { formatDiagnostic, type Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import type { SourceText } from '../../compiler/ingest/documents.js';
import {
  loadCases,
  probeLabel,
  targetLabel,
  type AttributionCheck,
  type Case,
  type Cell,
  type Check,
  type MatrixCheck,
  type ProbeSpec,
  type Step,
  type Verdict,
} from './cases.js';
import { Cluster, type RuleEntry } from './cluster.js';
import { Attributor, Prober, ProbeError, type Actual, type HostLeg, type Probe, type ProbeOutcome } from './probe.js';
import { runTrafficCheck } from './traffic.js';
import { runSnatCheck, SnatHosts, snatSources, stepHasSnat } from './snat.js';
import { runTraceCheck } from './trace.js';
import { FlowRecords } from './flowrecord.js';
import { Agents, hasRejectRule } from './agents.js';
import { HostNetCluster } from './hostnet/cluster.js';
import { HostNetProber, runsOnHostNet } from './hostnet/prober.js';

export interface RunOptions {
  /** Run only the cases with these ids. */
  only?: readonly string[];
  verbose?: boolean;
  /** Called with each finished case's report lines, in case order. */
  log?: (line: string) => void;
  hostLeg?: HostLeg;
  /** Cases run at the same time (each with its own switches). */
  jobs?: number;
  /** How many wrong cells per check get an ofproto/trace excerpt in the report. */
  tracesPerCheck?: number;
  /** flowrecord checks: the collectors go away while the records fall due, and come back (flowrecord.ts). */
  restartCollectors?: boolean;
}

export interface CellResult {
  cell: Cell;
  outcome: ProbeOutcome;
  ok: boolean;
}

export interface CheckResult {
  step: number;
  check: Check | { kind: 'invalid'; label: string };
  ok: boolean;
  cells?: CellResult[];
  attribution?: { ok: boolean; actual: string; outcome: ProbeOutcome };
}

export interface CaseResult {
  id: string;
  file: string;
  ok: boolean;
  error?: string;
  checks: CheckResult[];
  durationMs: number;
  lines: string[];
}

export interface RunSummary {
  passed: number;
  failed: number;
  cases: CaseResult[];
}

export function verdictMatches(expected: Verdict, actual: Actual): boolean {
  if (expected === 'deny') return actual === 'drop' || actual === 'reject';
  return expected === actual;
}

const LETTER: Record<Actual, string> = { allow: '.', drop: 'X', reject: 'R', misdelivered: 'M', error: 'E' };

// ---------------------------------------------------------------------------------------------
// Source ports and conntrack-safe batches

const EPHEMERAL_FIRST = 32768;
const EPHEMERAL_LAST = 60999;

/** Deterministic source ports, one per cell, in Linux's ephemeral range, never equal to a port the case probes. */
export class SourcePorts {
  private next = EPHEMERAL_FIRST + 232; // 33000
  constructor(private readonly reserved: ReadonlySet<number>) {}
  take(): number {
    for (;;) {
      const p = this.next;
      this.next = p >= EPHEMERAL_LAST ? EPHEMERAL_FIRST : p + 1;
      if (!this.reserved.has(p)) return p;
    }
  }
}

/**
 * The conntrack entries a probe's first packet can meet: its own tuple and the reverse one. The userspace
 * datapath tracks protocols other than TCP, UDP and ICMP (SCTP among them) by addresses only, in both directions.
 */
export function conntrackKeys(spec: ProbeSpec, src: string, dst: string, srcPort: number): string[] {
  switch (spec.protocol) {
    case 'TCP':
    case 'UDP':
      return [`${spec.protocol}|${src}|${dst}|${srcPort}|${spec.port}`, `${spec.protocol}|${dst}|${src}|${spec.port}|${srcPort}`];
    case 'ICMP':
      return [`ICMP|${src}|${dst}|${srcPort}`, `ICMP|${dst}|${src}|${srcPort}`];
    case 'SCTP':
      return [`SCTP|${[src, dst].sort().join('|')}`];
  }
}

/** Greedy batches in which no two probes can meet each other's conntrack entry. */
export function planBatches<T>(items: readonly T[], keysOf: (item: T) => string[], maxBatch = 1024): T[][] {
  const batches: { items: T[]; keys: Set<string> }[] = [];
  for (const item of items) {
    const keys = keysOf(item);
    let batch = batches.find((b) => b.items.length < maxBatch && !keys.some((k) => b.keys.has(k)));
    if (!batch) {
      batch = { items: [], keys: new Set() };
      batches.push(batch);
    }
    batch.items.push(item);
    for (const k of keys) batch.keys.add(k);
  }
  return batches.map((b) => b.items);
}

// ---------------------------------------------------------------------------------------------
// Rendering

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function renderMatrix(check: MatrixCheck, results: CellResult[], port: number | undefined): string[] {
  const title = check.protocol === 'ICMP' ? 'ICMP' : `${check.protocol}/${port}`;
  const first = Math.max(...check.pods.map((p) => p.length), title.length) + 2;
  const mine = results.filter((r) => r.cell.port === port);
  const width = Math.max(...check.pods.map((p) => p.length), mine.some((r) => !r.ok) ? 9 : 1) + 2;
  const lines = [`    ${pad(title, first)}${check.pods.map((p) => pad(p, width)).join('')}`.trimEnd()];
  const byPair = new Map(mine.map((r) => [`${r.cell.from} ${targetLabel(r.cell.to)}`, r]));
  for (const from of check.pods) {
    const row = check.pods.map((to) => {
      if (from === to) return pad('-', width);
      const r = byPair.get(`${from} ${to}`);
      if (!r) return pad('?', width);
      return pad(r.ok ? LETTER[r.outcome.actual] : `!${LETTER[r.outcome.actual]}(${r.cell.expected})`, width);
    });
    lines.push(`    ${pad(from, first)}${row.join('')}`.trimEnd());
  }
  return lines;
}

function ruleName(e: RuleEntry): string {
  const p = e.policy;
  return `${p.type}/${p.namespace ? `${p.namespace}/` : ''}${p.name}${e.rule ? ` rule ${e.rule}` : ''}${e.action ? ` (${e.action})` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Invalid steps

/** Whether compile refused the step naming the object the case says is invalid. */
export function checkInvalid(step: Step, result: CompileResult): { ok: boolean; detail: string } {
  const inv = step.invalid!;
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  const what = `${inv.apiVersion ? `${inv.apiVersion} ` : ''}${inv.kind} ${inv.namespace ? `${inv.namespace}/` : ''}${inv.name}`;
  if (result.ok) return { ok: false, detail: `compiled without error, but ${what} is invalid` };
  if (result.bundles.length) return { ok: false, detail: `refused, yet wrote ${result.bundles.length} bundles` };
  const names = (d: Diagnostic): boolean => {
    const o = d.object;
    if (!o || o.kind !== inv.kind || o.name !== inv.name) return false;
    if (inv.namespace !== undefined && o.namespace !== inv.namespace) return false;
    if (inv.apiVersion === undefined) return true;
    const api = (o as { apiVersion?: string }).apiVersion;
    if (api !== undefined) return api === inv.apiVersion;
    // The diagnostic carries no apiVersion: find the document it points into.
    if (d.pos && d.pos.file === step.stepSourceName) {
      const ref = step.stepObjects.find((r) => d.pos!.line >= r.firstLine && d.pos!.line <= r.lastLine);
      return ref?.apiVersion === inv.apiVersion;
    }
    const same = step.stepObjects.filter((r) => r.kind === inv.kind && r.name === inv.name);
    return same.length > 0 && same.every((r) => r.apiVersion === inv.apiVersion);
  };
  const hit = errors.find(names);
  if (hit) return { ok: true, detail: `refused as expected: ${formatDiagnostic(hit).split('\n')[0]}` };
  return { ok: false, detail: `refused, but no error names ${what}: ${errors.map((d) => formatDiagnostic(d).split('\n')[0]).join(' | ') || '(no errors)'}` };
}

// ---------------------------------------------------------------------------------------------
// One case

function reservedPorts(c: Case): Set<number> {
  const out = new Set<number>();
  for (const s of c.steps) {
    for (const ch of s.checks) {
      if (ch.kind === 'matrix') for (const p of ch.ports) out.add(p);
      if (ch.kind === 'trace' && ch.probe.port !== undefined) out.add(ch.probe.port);
      if ((ch.kind === 'flow' || ch.kind === 'flowrecord') && ch.cell.port !== undefined) out.add(ch.cell.port);
      if (ch.kind === 'attribution' && ch.probe.port !== undefined) out.add(ch.probe.port);
    }
  }
  return out;
}

class CaseRun {
  readonly lines: string[] = [];
  readonly checks: CheckResult[] = [];
  private readonly ports: SourcePorts;
  /** The Nodes' kernels, once a step has `snat` checks. */
  snat?: SnatHosts;
  /** The last step's compile: trace checks explain its bundles. */
  private compiled: CompileResult | undefined;
  /** The agents and collector of a case with flowrecord checks. */
  flowRecords: FlowRecords | undefined;
  /** The agents of a case with a Reject rule and no flowrecord checks. */
  agents: Agents | undefined;

  constructor(
    private readonly c: Case,
    private readonly opts: RunOptions,
    private readonly cluster: Cluster | HostNetCluster,
  ) {
    this.ports = new SourcePorts(reservedPorts(c));
  }

  log(line: string): void {
    this.lines.push(line);
  }

  async run(): Promise<void> {
    let inForce: { step: Step; sources: SourceText[] } | undefined;
    for (const step of this.c.steps) {
      const t0 = performance.now();
      const result = compile(snatSources(step), inForce ? { previous: inForce.sources } : {});
      this.compiled = result;
      const compileMs = performance.now() - t0;
      if (this.opts.verbose) for (const d of result.diagnostics) this.log(`    ${formatDiagnostic(d).split('\n').join('\n    ')}`);
      if (step.invalid) {
        const v = checkInvalid(step, result);
        this.log(`  step ${step.number}: invalid ${step.invalid.kind} ${step.invalid.name}: ${v.ok ? 'ok' : 'WRONG'}: ${v.detail}`);
        this.checks.push({ step: step.number, check: { kind: 'invalid', label: `invalid ${step.invalid.kind} ${step.invalid.name}` }, ok: v.ok });
        if (step.checks.length && inForce) await this.runChecks(step, inForce.step);
        continue;
      }
      if (!result.ok) {
        const errors = result.diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d).split('\n')[0] ?? '');
        throw new StepError(`step ${step.number}: dpc refused the step (${errors.length} errors):\n${errors.map((e) => `      ${e}`).join('\n')}`);
      }
      const t1 = performance.now();
      await this.cluster.apply(result.bundles);
      if ((this.snat || stepHasSnat(step)) && this.cluster instanceof Cluster) await (this.snat ??= new SnatHosts()).apply(result.bundles, this.cluster, step);
      if (this.cluster instanceof Cluster && this.c.steps.some((s) => s.checks.some((ch) => ch.kind === 'flowrecord'))) {
        this.flowRecords ??= new FlowRecords();
        await this.flowRecords.sync(this.cluster, result.bundles);
      } else if (this.cluster instanceof Cluster && (this.agents || hasRejectRule(result.bundles))) {
        // Reject is answered by the agent, as on a Node: the cells see its answer, not the packet-in.
        this.agents ??= new Agents();
        await this.agents.sync(this.cluster, result.bundles);
      }
      this.log(`  step ${step.number}: compiled ${result.bundles.length} Node bundles in ${compileMs.toFixed(0)} ms, loaded in ${(performance.now() - t1).toFixed(0)} ms`);
      inForce = { step, sources: step.sources };
      await this.runChecks(step, step);
    }
  }

  private async runChecks(step: Step, podsFrom: Step): Promise<void> {
    const prober =
      this.cluster instanceof HostNetCluster
        ? await HostNetProber.create(this.cluster, podsFrom.pods)
        : new Prober(this.cluster, podsFrom.pods, this.opts.hostLeg ? { hostLeg: this.opts.hostLeg } : {});
    // Cells of every matrix and flow check of the step, probed together in conntrack-safe batches.
    interface Item {
      check: number;
      cell: Cell;
      probe: Probe;
      keys: string[];
    }
    const items: Item[] = [];
    const errors = new Map<Item, string>();
    step.checks.forEach((check, i) => {
      const cells = check.kind === 'matrix' ? check.cells : check.kind === 'flow' || check.kind === 'trace' ? (check.cell ? [check.cell] : []) : [];
      for (const cell of cells) {
        const probe: Probe = { spec: cell, srcPort: cell.sourcePort ?? this.ports.take() };
        const item: Item = { check: i, cell, probe, keys: [] };
        try {
          const { src, dst } = prober.addresses(cell);
          item.keys = conntrackKeys(cell, src, dst, probe.srcPort);
        } catch (e) {
          if (!(e instanceof ProbeError)) throw e;
          errors.set(item, e.message);
        }
        items.push(item);
      }
    });
    const outcomes = new Map<Item, ProbeOutcome>();
    for (const [item, message] of errors) outcomes.set(item, { probe: item.probe, actual: 'error', summary: message, legs: [], emissions: [], packetIns: [], notes: [] });
    const batches = planBatches(
      items.filter((i) => !errors.has(i)),
      (i) => i.keys,
    );
    for (const batch of batches) {
      await this.cluster.flushConntrack();
      const results = await prober.run(batch.map((i) => i.probe));
      batch.forEach((item, k) => outcomes.set(item, results[k]!));
    }

    for (const [i, check] of step.checks.entries()) {
      if (check.kind === 'attribution') {
        await this.runAttribution(step, check, prober);
        continue;
      }
      if (check.kind === 'snat') {
        if (!this.snat || !(this.cluster instanceof Cluster)) throw new StepError(`step ${step.number}: a snat check needs Pods on Open vSwitch`);
        const r = await runSnatCheck(this.cluster, this.snat, step, check);
        this.checks.push({ step: step.number, check, ok: r.ok });
        this.log(`  step ${step.number}: ${check.label}: ${r.ok ? 'ok' : 'WRONG'}`);
        if (!r.ok || this.opts.verbose) for (const l of r.lines) this.log(`    ${l}`);
        continue;
      }
      if (check.kind === 'traffic') {
        // Traffic checks watch OVS ports: they belong to cases on the OVS cluster, never to host-network ones.
        if (!(this.cluster instanceof Cluster)) throw new Error(`step ${step.number}: a traffic check needs Pods on Open vSwitch`);
        const r = await runTrafficCheck(this.cluster, step, check);
        this.checks.push({ step: step.number, check, ok: r.ok });
        this.log(`  step ${step.number}: ${check.label}: ${r.ok ? 'ok' : 'WRONG'}`);
        for (const l of r.lines) this.log(`    ${l}`);
        continue;
      }
      if (check.kind === 'trace') {
        const r = runTraceCheck(this.compiled!, step.sources, check);
        const live = items.find((it) => it.check === i);
        const outcome = live ? outcomes.get(live) : undefined;
        const liveOk = !outcome || verdictMatches(live!.cell.expected, outcome.actual);
        this.checks.push({ step: step.number, check, ok: r.ok && liveOk });
        this.log(`  step ${step.number}: ${check.label}: ${r.ok && liveOk ? `ok (${r.trace?.verdict.kind}${outcome ? `; the real packet: ${outcome.actual}` : ''})` : 'WRONG'}`);
        for (const l of r.lines) this.log(`    ${l}`);
        if (!liveOk) this.log(`    the real packet: expected ${live!.cell.expected}, got ${outcome!.actual}: ${outcome!.summary}`);
        continue;
      }
      if (check.kind === 'flowrecord') {
        if (!(this.cluster instanceof Cluster) || !(prober instanceof Prober) || !this.flowRecords) throw new StepError(`step ${step.number}: flowrecord checks need Pods on Open vSwitch`);
        const r = await this.flowRecords.run(check, prober, this.cluster, check.cell.sourcePort ?? this.ports.take(), this.opts.restartCollectors);
        this.checks.push({ step: step.number, check, ok: r.ok });
        this.log(`  step ${step.number}: ${check.label}: ${r.ok ? `ok (${r.outcome.actual})` : 'WRONG'}`);
        if (!r.ok || this.opts.verbose) for (const l of r.lines) this.log(`    ${l}`);
        if (!r.verdictOk && r.outcome.legs.length) this.log(await prober.trace(r.outcome));
        continue;
      }
      const cells: CellResult[] = items
        .filter((it) => it.check === i)
        .map((it) => {
          const outcome = outcomes.get(it)!;
          return { cell: it.cell, outcome, ok: verdictMatches(it.cell.expected, outcome.actual) };
        });
      const ok = cells.every((c) => c.ok);
      this.checks.push({ step: step.number, check, ok, cells });
      await this.report(step, check, cells, prober, ok);
    }
  }

  private async report(step: Step, check: Check, cells: CellResult[], prober: Prober | HostNetProber, ok: boolean): Promise<void> {
    const wrong = cells.filter((c) => !c.ok);
    if (check.kind === 'matrix') {
      this.log(`  step ${step.number}: ${check.label}: ${ok ? 'ok' : `WRONG (${wrong.length} of ${cells.length} cells)`}`);
      for (const port of check.protocol === 'ICMP' ? [undefined] : check.ports) this.lines.push(...renderMatrix(check, cells, port));
    } else if (check.kind === 'flow') {
      const c = cells[0]!;
      this.log(`  step ${step.number}: ${check.label}: ${c.ok ? `ok (${c.outcome.actual})` : `WRONG: expected ${c.cell.expected}, got ${c.outcome.actual}`}`);
    }
    const traces = this.opts.tracesPerCheck ?? 3;
    for (const [n, c] of wrong.entries()) {
      this.log(`    !! ${probeLabel(c.cell)}: expected ${c.cell.expected}, got ${c.outcome.actual}: ${c.outcome.summary}`);
      if (n < traces && (c.outcome.legs.length || prober instanceof HostNetProber)) this.log(await prober.trace(c.outcome));
    }
    if (this.opts.verbose) {
      for (const c of cells.filter((x) => x.ok)) this.log(`    ${probeLabel(c.cell)}: ${c.outcome.actual}: ${c.outcome.summary} (source port ${c.outcome.probe.srcPort})`);
    }
  }

  private async runAttribution(step: Step, check: AttributionCheck, prober: Prober | HostNetProber): Promise<void> {
    if (prober instanceof HostNetProber) throw new StepError(`step ${step.number}: attribution checks are not run on the network-namespace backend`);
    await this.cluster.flushConntrack();
    const probe: Probe = { spec: check.probe, srcPort: check.probe.sourcePort ?? this.ports.take() };
    const a = await new Attributor(prober).attribute(probe);
    const expected = `${check.policy}${check.rule ? ` rule ${check.rule}` : ''}${check.action ? ` (${check.action})` : ''}`;
    let ok: boolean;
    let actual: string;
    const ids = [...new Set(a.found.map((f) => f.ruleId))];
    if (a.outcome.actual === 'error' || a.outcome.actual === 'misdelivered') {
      ok = false;
      actual = `${a.outcome.actual}: ${a.outcome.summary}`;
    } else if (check.policy === 'none') {
      ok = ids.length === 0;
      actual = ids.length ? a.found.map((f) => (f.entry ? ruleName(f.entry) : `rule ${f.ruleId} (not in visibility/rules.json)`)).join(', ') : 'none';
    } else {
      const parts = check.policy.split('/');
      const type = parts[0];
      const name = parts[parts.length - 1];
      const ns = parts.length === 3 ? parts[1] : undefined;
      const named = (r: Pick<RuleEntry, 'policy' | 'rule'>): boolean =>
        r.policy.type === type && r.policy.name === name && (r.policy.namespace ?? undefined) === ns && (check.rule === undefined || r.rule === check.rule);
      // A rule ID identical rules share stands for each of them: rules.json lists the others' keys, which are
      // TYPE/[NAMESPACE/]NAME/DIRECTION/RULE[/split] (Kubernetes names hold no slash).
      const policyPrefix = `${type}/${ns !== undefined ? `${ns}/` : ''}${name}/`;
      const sharedNamed = (key: string): boolean =>
        key.startsWith(policyPrefix) && (check.rule === undefined || key.slice(policyPrefix.length).split('/')[1] === check.rule);
      const matches = (e: RuleEntry | undefined): boolean =>
        !!e && (named(e) || (e.sharedWith ?? []).some(sharedNamed)) && (check.action === undefined || e.action === check.action);
      ok = a.found.some((f) => matches(f.entry));
      actual = a.found.length
        ? a.found.map((f) => `${f.entry ? ruleName(f.entry) : `rule ${f.ruleId} (${f.node} has no visibility/rules.json entry for it)`} [${f.node}: ${f.via}]`).join(', ')
        : 'none';
    }
    this.checks.push({ step: step.number, check, ok, attribution: { ok, actual, outcome: a.outcome } });
    this.log(`  step ${step.number}: ${check.label}: ${ok ? `ok (${actual})` : `WRONG: expected ${expected}, got ${actual}`}`);
    if (!ok || this.opts.verbose) {
      this.log(`    packet ${a.outcome.actual}: ${a.outcome.summary}${a.notes.length ? `; ${a.notes.join('; ')}` : ''}`);
      if (!ok && a.outcome.legs.length) this.log(await prober.trace(a.outcome));
    }
  }
}

class StepError extends Error {}

export async function runCase(c: Case, opts: RunOptions = {}): Promise<CaseResult> {
  const t0 = performance.now();
  // Cases on a fixture with host-network Pods hold Node policies: their verdicts come from real kernels.
  const cluster = runsOnHostNet(c.steps[0]?.pods ?? []) ? new HostNetCluster() : new Cluster();
  const run = new CaseRun(c, opts, cluster);
  run.log(`CASE ${c.id} (fixture ${c.fixture.name})`);
  let error: string | undefined;
  try {
    await run.run();
  } catch (e) {
    error = e instanceof StepError ? e.message : opts.verbose && e instanceof Error && e.stack ? e.stack : String(e instanceof Error ? e.message : e);
    run.log(`  ERROR: ${error}`);
  } finally {
    try {
      await run.snat?.stop();
    } catch (e) {
      run.log(`  ERROR stopping the snat hosts: ${String(e)}`);
    }
    try {
      await run.flowRecords?.stop();
      await run.agents?.stop();
    } catch (e) {
      run.log(`  ERROR stopping the agents: ${String(e)}`);
    }
    try {
      await cluster.stop();
    } catch (e) {
      run.log(`  ERROR stopping switches: ${String(e)}`);
    }
  }
  const durationMs = performance.now() - t0;
  const wrong = run.checks.filter((ch) => !ch.ok).length;
  const ok = error === undefined && wrong === 0;
  const why = error !== undefined ? 'error' : `${wrong} of ${run.checks.length} checks wrong`;
  run.log(`${ok ? 'PASS' : 'FAIL'} ${c.id} (${(durationMs / 1000).toFixed(1)} s${ok ? '' : `; ${why}`})`);
  const result: CaseResult = { id: c.id, file: c.file, ok, checks: run.checks, durationMs, lines: run.lines };
  if (error !== undefined) result.error = error;
  return result;
}

/** Runs every case under `dir` and prints as it goes; the summary's `failed` counts mismatches and errors alike. */
export async function runCases(dir: string, opts: RunOptions = {}): Promise<RunSummary> {
  const log = opts.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const { cases, errors } = loadCases(dir, opts.only ? { only: opts.only } : {});
  const summary: RunSummary = { passed: 0, failed: 0, cases: [] };
  for (const e of errors) {
    log(`FAIL ${e.id ?? e.file}: ${e.message}`);
    summary.failed++;
    summary.cases.push({ id: e.id ?? e.file, file: e.file, ok: false, error: e.message, checks: [], durationMs: 0, lines: [] });
  }
  if (opts.only?.length) {
    for (const id of opts.only) {
      if (!cases.some((c) => c.id === id) && !errors.some((e) => e.id === id)) {
        log(`FAIL ${id}: no such case under ${dir}`);
        summary.failed++;
      }
    }
  }
  const results: (CaseResult | undefined)[] = new Array(cases.length);
  let printed = 0;
  const flush = (): void => {
    while (printed < cases.length && results[printed]) {
      for (const line of results[printed]!.lines) log(line);
      printed++;
    }
  };
  let next = 0;
  const jobs = Math.max(1, Math.min(opts.jobs ?? 1, cases.length || 1));
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      while (next < cases.length) {
        const i = next++;
        results[i] = await runCase(cases[i]!, opts);
        flush();
      }
    }),
  );
  for (const r of results) {
    if (!r) continue;
    summary.cases.push(r);
    if (r.ok) summary.passed++;
    else summary.failed++;
  }
  log(`${summary.passed} passed, ${summary.failed} failed`);
  return summary;
}
