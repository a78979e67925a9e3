/**
 * `dpc diff OLD NEW`: reads each operand (a compile output with manifest.json, or a snapshot compiled in memory),
 * runs review/diff and prints the chosen format. Exit 0: no difference, 1: differences, 2: trouble (as diff(1)).
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, readInputs } from './sources.js';
import type { CompiledVersion, BundleFiles } from '../review/diff/version.js';
import type { ReviewFormat } from './reviewFormats.js';


function readOutputDir(path: string, label: string): CompiledVersion {
  const manifest = JSON.parse(readFileSync(join(path, 'manifest.json'), 'utf8')) as { nodes?: Record<string, unknown> };
  const nodes = new Map<string, BundleFiles>();
  for (const node of Object.keys(manifest.nodes ?? {}).sort()) {
    const dir = join(path, node);
    const metaText = readFileSync(join(dir, 'bundle.json'), 'utf8');
    const meta = JSON.parse(metaText) as { artifacts?: Record<string, string> };
    const files = new Map<string, string>([['bundle.json', metaText]]);
    for (const rel of Object.keys(meta.artifacts ?? {}).sort()) files.set(rel, readFileSync(join(dir, rel), 'utf8'));
    nodes.set(node, files);
  }
  return { label, nodes };
}

/** The comment template, beside review/diff's source (from dist/cli/ or from cli/). */
function commentTemplate(): string {
  for (const rel of ['../../review/diff/templates/comment.md.hbs', '../review/diff/templates/comment.md.hbs']) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return readFileSync(path, 'utf8');
  }
  throw new Error('review/diff/templates/comment.md.hbs is missing');
}

/** A side of the diff, or the diagnostics text that made it fail. */
export async function loadSide(path: string, label: string): Promise<CompiledVersion | { errors: string }> {
  if (existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, 'manifest.json'))) return readOutputDir(path, label);
  const [{ compile }, { formatDiagnostic }, { versionFromCompile }] = await Promise.all([
    import('../compiler/compile.js'),
    import('../compiler/diagnostics/diagnostic.js'),
    import('../review/diff/snapshot.js'),
  ]);
  const sources = readInputs([path], () => readFileSync(0));
  const result = compile(sources);
  if (!result.ok) return { errors: result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic).join('\n') };
  return versionFromCompile(label, result, sources);
}

export async function reviewDiffCommand(oldPath: string, newPath: string, format: ReviewFormat, svgPath?: string): Promise<number> {
  let sides: [CompiledVersion, CompiledVersion];
  try {
    const loaded = [await loadSide(oldPath, oldPath), await loadSide(newPath, newPath)];
    const bad = loaded.flatMap((s, i) => ('errors' in s ? [`dpc: ${[oldPath, newPath][i]} does not compile:\n${s.errors}`] : []));
    if (bad.length) {
      process.stderr.write(`${bad.join('\n')}\n`);
      return 2;
    }
    sides = loaded as [CompiledVersion, CompiledVersion];
  } catch (e) {
    if (e instanceof InputError || (e as NodeJS.ErrnoException).code !== undefined || e instanceof SyntaxError) {
      process.stderr.write(`dpc: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
  const { runReview } = await import('../review/diff/run.js');
  const { text, svg, differs } = runReview(sides[0], sides[1], format, { markdown: format === 'markdown' ? commentTemplate() : '' });
  if (svgPath !== undefined) {
    try {
      writeFileSync(svgPath, svg);
    } catch (e) {
      process.stderr.write(`dpc: ${svgPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return 2;
    }
  }
  process.stdout.write(text);
  return differs ? 1 : 0;
}
