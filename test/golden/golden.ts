/**
 * Golden cases: golden/<case>/input/** → golden/<case>/expected/<node>/… plus manifest.json. The expected
 * tree is what dpc wrote when the case was last accepted; a change to it is reviewed like code.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { compile } from '../../compiler/compile.js';
import type { SourceText } from '../../compiler/ingest/documents.js';
import { REPO_ROOT } from '../repoRoot.js';

export const GOLDEN_DIR = join(REPO_ROOT, 'golden');

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

export function listCases(root = GOLDEN_DIR): string[] {
  return readdirSync(root)
    .filter((name) => statSync(join(root, name)).isDirectory())
    .sort();
}

/** Input files are named relative to the case's input folder, so positions in the manifest do not depend on where the repo is. */
export function caseSources(caseDir: string): SourceText[] {
  const input = join(caseDir, 'input');
  return walk(input).map((path) => ({ name: relative(input, path), text: readFileSync(path, 'utf8') }));
}

/** What dpc produces for a case: relative path → content. */
export function renderCase(caseDir: string): Map<string, string> {
  // Frozen plans: the golden output also proves no renderer or later Node changes a record it was handed.
  const result = compile(caseSources(caseDir), { freezePlans: true });
  if (!result.ok) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
    throw new Error(`golden case ${caseDir} does not compile: ${errors.join('; ')}`);
  }
  const files = new Map<string, string>([['manifest.json', result.manifest]]);
  for (const b of result.bundles) for (const [rel, content] of b.files) files.set(`${b.node}/${rel}`, content);
  return files;
}

export function readExpected(caseDir: string): Map<string, string> {
  const expected = join(caseDir, 'expected');
  const files = new Map<string, string>();
  try {
    for (const path of walk(expected)) files.set(relative(expected, path), readFileSync(path, 'utf8'));
  } catch {
    // no expected tree yet
  }
  return files;
}

export function writeExpected(caseDir: string, files: ReadonlyMap<string, string>): void {
  const expected = join(caseDir, 'expected');
  rmSync(expected, { recursive: true, force: true });
  for (const [rel, content] of files) {
    const path = join(expected, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
}
