/**
 * Summarizes V8 CPU profiles (from `run.js --cpu-prof DIR`): the functions with the most self time, mapped back
 * to their TypeScript file:line through the source maps next to dist/, and the same totals per file.
 *
 * Usage: node dist/bench/profile.js FILE.cpuprofile... [--top N]
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  /** 0-based. */
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const maps = new Map<string, SourceMap | undefined>();

function sourceMapFor(file: string): SourceMap | undefined {
  if (!maps.has(file)) {
    const mapFile = `${file}.map`;
    maps.set(file, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : undefined);
  }
  return maps.get(file);
}

/** `file:line` (1-based), in TypeScript terms when a source map says where the code came from. */
function place(frame: CallFrame): { file: string; line: number } {
  if (!frame.url) return { file: '(V8)', line: 0 };
  if (!frame.url.startsWith('file://')) return { file: frame.url, line: frame.lineNumber + 1 };
  const file = fileURLToPath(frame.url);
  const map = sourceMapFor(file);
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as
    | { originalSource?: string; originalLine?: number }
    | undefined;
  if (entry?.originalSource !== undefined && entry.originalLine !== undefined) {
    const src = entry.originalSource.startsWith('file://')
      ? fileURLToPath(entry.originalSource)
      : resolve(dirname(file), entry.originalSource);
    return { file: relative(ROOT, src), line: entry.originalLine + 1 };
  }
  return { file: relative(ROOT, file), line: frame.lineNumber + 1 };
}

function summarize(path: string, top: number): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totalUs = profile.endTime - profile.startTime;

  const keyOf = new Map<number, { key: string; file: string }>();
  for (const n of profile.nodes) {
    const { file, line } = place(n.callFrame);
    // V8's own entries — (garbage collector), (program), (idle) — have a name and no URL.
    const name = n.callFrame.functionName || '(anonymous)';
    keyOf.set(n.id, { key: `${name}  ${file}${line ? `:${line}` : ''}`, file });
  }
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { key, file } = keyOf.get(id)!;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const fileKey = file.replace(/^.*node_modules\//, 'node_modules/');
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us);
  }
  // Inclusive time of the project's own functions (each counted once per sample, however deep it recurses):
  // the stage breakdown — ingest, model, plan, render — that self time hides.
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { key, file } = keyOf.get(at)!;
      if (file.startsWith('(') || file.includes('node_modules') || file.startsWith('node:') || !file.endsWith('.ts')) continue;
      if (file.startsWith('bench/')) continue;
      if (!seen.has(key)) {
        seen.add(key);
        inclusive.set(key, (inclusive.get(key) ?? 0) + us);
      }
    }
  }
  const rows = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `${(us / 1e6).toFixed(2).padStart(8)} s ${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${k}`);
  return [
    `${path}: ${(totalUs / 1e6).toFixed(2)} s profiled`,
    `top ${top} functions by self time:`,
    ...rows(byFunction, top),
    `top ${Math.min(top, 15)} files by self time:`,
    ...rows(byFile, Math.min(top, 15)),
    `top ${top} project functions by inclusive time (callees included; V8 reports GC apart, as (garbage collector)):`,
    ...rows(inclusive, top),
    '',
  ].join('\n');
}

const argv = process.argv.slice(2);
let top = 25;
const files: string[] = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--top') top = Number(argv[++i]);
  else files.push(argv[i]!);
}
if (files.length === 0 || !Number.isInteger(top) || top < 1) {
  process.stderr.write('usage: node dist/bench/profile.js FILE.cpuprofile... [--top N]\n');
  process.exit(2);
}
for (const f of files) process.stdout.write(summarize(f, top));
