/**
 * YAML against JSON (issue 13: parsing YAML within 2 × the same snapshot as JSON). For each shape the snapshot is
 * written three times: as the generator's YAML, as the same YAML with a tab in a trailing comment of every file
 * (which keeps the fast reader of compiler/ingest/fastYaml.ts off: the full parser reads it, as every file was read
 * before that reader), and as JSON (one `kubectl get -o json`-style List per file, indented by 4). Each is then read
 * in fresh child processes: `parse` is compiler/ingest's readSources alone, `validate` is
 * `compile(sources, { validateOnly: true })` (parse, schemas, admission rules, model checks) as bench/run.ts
 * measures it. Wall and CPU time are medians over the runs, peak RSS the maximum.
 *
 * Usage: node --expose-gc dist/bench/parse.js [--shape S]... [--runs N] [--json] [--keep]
 *   S: small-namespaces[@F] (Antrea's TestInitXLargeScaleWithSmallNamespaces: 25,000 Namespaces, 100,000 Pods,
 *      75,000 NetworkPolicies, 1,000 Nodes; default small-namespaces@0.1), one of bench/antreaShapes.ts's shapes
 *      with @F, or NODESxPODS[xPOLICIES] (bench/generate.ts's mixed profile).
 */
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { compile } from '../compiler/compile.js';
import { readSources, type SourceText } from '../compiler/ingest/documents.js';
import { ANTREA_SHAPES, generateAntreaShape, type AntreaShape } from './antreaShapes.js';
import { generateSnapshot } from './generate.js';
import { collectGarbage, procStatusBytes, resetPeakRss } from './measure.js';

const FORMATS = ['yaml', 'yaml-full-parser', 'json'] as const;
type Format = (typeof FORMATS)[number];
const PHASES = ['parse', 'validate'] as const;
type Phase = (typeof PHASES)[number];

interface ChildTask {
  dir: string;
  files: string[];
  phase: Phase;
}

interface ChildResult {
  wallMs: number;
  cpuMs: number;
  peakRssBytes: number;
  startRssBytes: number;
  objects: number;
  errors: number;
}

/** In the child: one measured phase on files read before the clock starts. */
function measure(task: ChildTask): ChildResult {
  const sources: SourceText[] = task.files.map((name) => ({ name, text: readFileSync(join(task.dir, name), 'utf8') }));
  collectGarbage();
  resetPeakRss();
  const startRssBytes = procStatusBytes('VmRSS');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let objects: number;
  let errors: number;
  if (task.phase === 'parse') {
    const r = readSources(sources);
    objects = r.objects.length;
    errors = r.diagnostics.filter((d) => d.severity === 'error').length;
  } else {
    const r = compile(sources, { validateOnly: true });
    objects = r.stats.objects;
    errors = r.diagnostics.filter((d) => d.severity === 'error').length;
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, peakRssBytes: procStatusBytes('VmHWM'), startRssBytes, objects, errors };
}

function runChild(task: ChildTask): Promise<ChildResult> {
  return new Promise((done, fail) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(task)], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: ChildResult | undefined;
    child.on('message', (m) => {
      result = m as ChildResult;
    });
    child.on('exit', (code, signal) => (result ? done(result) : fail(new Error(`child exited with ${signal ?? `code ${code}`}`))));
  });
}

function generate(shape: string): SourceText[] {
  const small = /^small-namespaces(?:@(0?\.\d+|1))?$/.exec(shape);
  if (small) {
    const f = small[1] === undefined ? 1 : Number(small[1]);
    const n = (full: number) => Math.max(1, Math.round(full * f));
    return generateSnapshot({ nodes: 1000, pods: n(100_000), namespaces: n(25_000), policies: n(75_000), profile: 'antrea-controller', seed: 1 });
  }
  const antrea = /^([a-z-]+)@(0?\.\d+|1)$/.exec(shape);
  if (antrea && (ANTREA_SHAPES as readonly string[]).includes(antrea[1]!)) {
    return generateAntreaShape({ shape: antrea[1] as AntreaShape, nodes: 1000, scale: Number(antrea[2]) });
  }
  const mixed = /^(\d+)x(\d+)(?:x(\d+))?$/.exec(shape);
  if (mixed) return generateSnapshot({ nodes: Number(mixed[1]), pods: Number(mixed[2]), policies: Number(mixed[3] ?? 0), seed: 1 });
  throw new Error(`unknown shape ${JSON.stringify(shape)}: small-namespaces[@F], ${ANTREA_SHAPES.join('|')}@F or NODESxPODS[xPOLICIES]`);
}

/** The snapshot in each format, one folder per format; returns the file names and total bytes per format. */
function writeFormats(sources: readonly SourceText[], dir: string): Record<Format, { files: string[]; bytes: number }> {
  const out = {} as Record<Format, { files: string[]; bytes: number }>;
  for (const format of FORMATS) {
    mkdirSync(join(dir, format));
    out[format] = { files: [], bytes: 0 };
  }
  const put = (format: Format, name: string, text: string) => {
    writeFileSync(join(dir, format, name), text);
    out[format].files.push(name);
    out[format].bytes += Buffer.byteLength(text);
  };
  for (const s of sources) {
    put('yaml', s.name, s.text);
    put('yaml-full-parser', s.name, `${s.text}# a tab keeps the fast reader off:\t\n`);
    const items = parseAllDocuments(s.text).map((d) => d.toJS() as unknown);
    put('json', s.name.replace(/\.ya?ml$/, '.json'), `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 4)}\n`);
  }
  return out;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

interface Row {
  shape: string;
  format: Format;
  phase: Phase;
  inputBytes: number;
  objects: number;
  errors: number;
  wallMs: number;
  cpuMs: number;
  peakRssBytes: number;
  startRssBytes: number;
  runs: number;
}

async function main(argv: readonly string[]): Promise<number> {
  const shapes: string[] = [];
  let runs = 3;
  let json = false;
  let keep = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--shape') shapes.push(...(argv[++i] ?? '').split(','));
    else if (a === '--runs') runs = Number(argv[++i]);
    else if (a === '--json') json = true;
    else if (a === '--keep') keep = true;
    else {
      process.stderr.write(`usage: node --expose-gc dist/bench/parse.js [--shape S]... [--runs N] [--json] [--keep]\n`);
      return 2;
    }
  }
  if (!(Number.isInteger(runs) && runs >= 1)) {
    process.stderr.write('--runs wants an integer ≥ 1\n');
    return 2;
  }
  if (shapes.length === 0) shapes.push('small-namespaces@0.1');
  const root = mkdtempSync(join(tmpdir(), 'dpc-bench-parse-'));
  const loadBefore = loadavg()[0]!;
  const rows: Row[] = [];
  try {
    for (const shape of shapes) {
      const dir = join(root, shape);
      mkdirSync(dir);
      const written = writeFormats(generate(shape), dir);
      for (const phase of PHASES) {
        for (const format of FORMATS) {
          const results: ChildResult[] = [];
          for (let r = 0; r < runs; r++) results.push(await runChild({ dir: join(dir, format), files: written[format].files, phase }));
          const row: Row = {
            shape,
            format,
            phase,
            inputBytes: written[format].bytes,
            objects: results[0]!.objects,
            errors: results[0]!.errors,
            wallMs: median(results.map((x) => x.wallMs)),
            cpuMs: median(results.map((x) => x.cpuMs)),
            peakRssBytes: Math.max(...results.map((x) => x.peakRssBytes)),
            startRssBytes: Math.max(...results.map((x) => x.startRssBytes)),
            runs,
          };
          rows.push(row);
          process.stderr.write(`${shape} ${phase} ${format}: ${sec(row.wallMs)} wall, ${sec(row.cpuMs)} cpu, peak ${mib(row.peakRssBytes)}\n`);
        }
      }
    }
  } finally {
    if (keep) process.stderr.write(`snapshots kept in ${root}\n`);
    else rmSync(root, { recursive: true, force: true });
  }
  const load = { before: loadBefore, after: loadavg()[0]!, cpus: cpus().length };
  if (json) {
    process.stdout.write(`${JSON.stringify({ load, rows }, null, 2)}\n`);
    return rows.some((r) => r.errors > 0) ? 1 : 0;
  }
  const lines = [`load average ${load.before.toFixed(2)} before, ${load.after.toFixed(2)} after, on ${load.cpus} CPUs`, ''];
  lines.push('| shape | phase | input | bytes | objects | wall | CPU | peak RSS (start) | wall ÷ JSON | CPU ÷ JSON |', '|---|---|---|--:|--:|--:|--:|--:|--:|--:|');
  for (const r of rows) {
    const base = rows.find((x) => x.shape === r.shape && x.phase === r.phase && x.format === 'json')!;
    lines.push(
      `| ${r.shape} | ${r.phase} | ${r.format} | ${mib(r.inputBytes)} | ${r.objects.toLocaleString('en-US')}${r.errors ? ` (${r.errors} errors)` : ''} | ${sec(r.wallMs)} | ${sec(r.cpuMs)} | ${mib(r.peakRssBytes)} (${mib(r.startRssBytes)}) | ${(r.wallMs / base.wallMs).toFixed(2)} | ${(r.cpuMs / base.cpuMs).toFixed(2)} |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return rows.some((r) => r.errors > 0) ? 1 : 0;
}

if (process.argv[2] === '--child') {
  const result = measure(JSON.parse(process.argv[3]!) as ChildTask);
  process.send!(result, () => process.exit(0));
} else {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
