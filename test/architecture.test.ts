/**
 * The stage order of docs/design.md §1, enforced on the import graph: ingest → model → resolve → allocate →
 * plan → targets, each importing only from stages before it (or itself). Shared foundations (diagnostics, net,
 * util, schemas) import no stage at all. Type-only imports count: a type from a later stage is a dependency too.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT as repoRoot } from './repoRoot.js';

const STAGES = ['compiler/ingest', 'compiler/model', 'compiler/resolve', 'compiler/allocate', 'compiler/plan', 'targets'];
const FOUNDATIONS = ['compiler/diagnostics', 'compiler/net', 'compiler/util', 'schemas'];

const within = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);
const stageOf = (path: string) => STAGES.findIndex((s) => within(path, s));

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(repoRoot, dir))) {
    const rel = `${dir}/${name}`;
    if (statSync(join(repoRoot, rel)).isDirectory()) out.push(...sources(rel));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(rel);
  }
  return out;
}

/** Every relative module a file imports or re-exports, as a repository path without extension. */
export function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(re)) {
    const spec = (m[1] ?? m[2])!;
    out.push(normalize(join(dirname(file), spec)).replace(/\.js$/, ''));
  }
  return out;
}

/** Imports that run against the stage order. */
export function violations(files: readonly { path: string; text: string }[]): string[] {
  const bad: string[] = [];
  for (const { path, text } of files) {
    const from = stageOf(path);
    const foundation = FOUNDATIONS.some((f) => within(path, f));
    for (const target of importsOf(path, text)) {
      const to = stageOf(target);
      if (to < 0) continue;
      if (foundation) bad.push(`${path} → ${target} (a foundation imports a stage)`);
      else if (from >= 0 && to > from) bad.push(`${path} → ${target} (${STAGES[from]} may not look ahead to ${STAGES[to]})`);
    }
  }
  return bad;
}

describe('architecture: stages only look backwards', () => {
  test('the checker catches a forward import, a type-only one, and a foundation reaching into a stage', () => {
    expect(violations([{ path: 'compiler/resolve/x.ts', text: "import { a } from '../allocate/ruleIds.js';" }])).toHaveLength(1);
    expect(violations([{ path: 'compiler/plan/x.ts', text: "import type { T } from '../../targets/openflow/spelling.js';" }])).toHaveLength(1);
    expect(violations([{ path: 'compiler/plan/x.ts', text: "export { y } from '../../targets/bundle/bundle.js';" }])).toHaveLength(1);
    expect(violations([{ path: 'compiler/util/x.ts', text: "import { m } from '../model/model.js';" }])).toHaveLength(1);
    expect(violations([{ path: 'compiler/plan/x.ts', text: "import { m } from '../model/model.js';\nimport { f } from './fields.js';" }])).toEqual([]);
  });

  test('no module of compiler/, targets/ or schemas/ imports against the stage order', () => {
    const files = [...sources('compiler'), ...sources('targets'), ...sources('schemas')].map((path) => ({
      path: relative(repoRoot, join(repoRoot, path)),
      text: readFileSync(join(repoRoot, path), 'utf8'),
    }));
    expect(files.length).toBeGreaterThan(40);
    expect(violations(files)).toEqual([]);
  });
});

/**
 * review/ (docs/design.md §9) reads compiled output and may compile a snapshot given as input, so it stands after
 * every stage; it is pure like them: it never reaches the runtime (a live Node) or the command line, and no stage
 * depends on it.
 */
export function reviewViolations(files: readonly { path: string; text: string }[]): string[] {
  const bad: string[] = [];
  for (const { path, text } of files) {
    for (const target of importsOf(path, text)) {
      if (within(path, 'review') && (within(target, 'runtime') || within(target, 'cli') || within(target, 'test'))) bad.push(`${path} → ${target} (review/ is pure)`);
      if (!within(path, 'review') && (stageOf(path) >= 0 || FOUNDATIONS.some((f) => within(path, f))) && within(target, 'review')) bad.push(`${path} → ${target} (a stage imports review/)`);
    }
  }
  return bad;
}

describe('architecture: review/ reads compiled output and stays pure', () => {
  test('the checker catches review reaching the runtime and a stage reaching review', () => {
    expect(reviewViolations([{ path: 'review/explain/x.ts', text: "import { a } from '../../runtime/tools.js';" }])).toHaveLength(1);
    expect(reviewViolations([{ path: 'compiler/plan/x.ts', text: "import type { T } from '../../review/explain/trace.js';" }])).toHaveLength(1);
    expect(reviewViolations([{ path: 'review/explain/x.ts', text: "import { compile } from '../../compiler/compile.js';" }])).toEqual([]);
  });

  test('no module of review/ imports runtime/ or cli/, and no stage imports review/', () => {
    const files = [...sources('review'), ...sources('compiler'), ...sources('targets'), ...sources('schemas')].map((path) => ({ path, text: readFileSync(join(repoRoot, path), 'utf8') }));
    expect(files.filter((f) => within(f.path, 'review')).length).toBeGreaterThan(4);
    expect(reviewViolations(files)).toEqual([]);
  });

  test('review/ uses no system access: no fs, child_process, net or process state', () => {
    const offenders = sources('review').filter((p) => /from ['"]node:(fs|child_process|net|os)['"]|\bprocess\.(env|cwd|argv)/.test(readFileSync(join(repoRoot, p), 'utf8')));
    expect(offenders).toEqual([]);
  });
});

describe('architecture: flow code uses named fields', () => {
  /** Code (comments stripped) of plan modules that build flows; fields.ts declares the bits, flow.ts combines them. */
  const flowCode = () =>
    sources('compiler/plan')
      .filter((p) => !/\/(fields|flow|portRange)\.ts$/.test(p))
      .map((path) => ({ path, code: readFileSync(join(repoRoot, path), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '') }));

  test('no plan module spells a hex mask, a bit range or a register by number', () => {
    const spelled = /0x[0-9a-f]+|\[\d+\.\.\d+\]|\breg\d\b|NXM_NX_(REG|CT_MARK|CT_LABEL|PKT_MARK)/i;
    const offenders = flowCode()
      .filter((f) => spelled.test(f.code))
      .map((f) => `${f.path}: ${spelled.exec(f.code)![0]}`);
    expect(offenders).toEqual([]);
  });
});
