/**
 * Random damage to valid snapshots never crashes the compiler: every outcome is a compile result, and a
 * failed compile carries at least one error and no bundle (docs/design.md §7 "random snapshots never crash").
 */
import { describe, expect, test } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify, parseAllDocuments } from 'yaml';
import { compile } from '../compiler/compile.js';
import type { SourceText } from '../compiler/ingest/documents.js';
import { REPO_ROOT } from './repoRoot.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const HOSTILE: unknown[] = [
  null,
  '',
  -1,
  0,
  1.5,
  65536,
  2 ** 53,
  true,
  'a"b\nc',
  '../../etc/passwd',
  '10.0.0.0/33',
  '::ffff:1.2.3.4',
  'x'.repeat(300),
  [],
  {},
  [1, 'two', null],
  { matchLabels: { '': '' } },
  { matchExpressions: [{ key: 'k', operator: 'Bogus' }] },
];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Replaces, deletes or retypes one random value somewhere inside `doc`. */
function mutate(doc: Json, rand: () => number): Json {
  const copy = JSON.parse(JSON.stringify(doc)) as Json;
  const paths: (string | number)[][] = [];
  const walk = (v: Json, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) walk(v[k]!, [...path, k]);
  };
  walk(copy, []);
  const path = paths[Math.floor(rand() * paths.length)]!;
  if (path.length === 0) return HOSTILE[Math.floor(rand() * HOSTILE.length)] as Json;
  let parent: Json = copy;
  for (const k of path.slice(0, -1)) parent = (parent as Record<string | number, Json>)[k as string]!;
  const last = path[path.length - 1]!;
  const container = parent as Record<string | number, Json>;
  if (rand() < 0.3 && !Array.isArray(parent)) delete container[last as string];
  else container[last as string] = JSON.parse(JSON.stringify(HOSTILE[Math.floor(rand() * HOSTILE.length)] ?? null)) as Json;
  return copy;
}

function corpus(): Json[] {
  const docs: Json[] = [];
  for (const dir of [join(REPO_ROOT, 'golden', 'policies-antrea', 'input'), join(REPO_ROOT, 'golden', 'policies-k8s', 'input')]) {
    for (const f of readdirSync(dir)) {
      for (const d of parseAllDocuments(readFileSync(join(dir, f), 'utf8')) as unknown as { toJS(): Json }[]) {
        const v = d.toJS();
        if (v && typeof v === 'object' && 'items' in (v as object)) docs.push(...((v as { items: Json[] }).items));
        else if (v !== null) docs.push(v);
      }
    }
  }
  return docs;
}

describe('robustness', () => {
  const base = corpus();
  test('hundreds of randomly damaged snapshots: never a throw, never a partial result', () => {
    const rand = rng(20261123);
    for (let round = 0; round < 400; round++) {
      const docs = base.map((d) => (rand() < 0.08 ? mutate(d, rand) : d));
      const sources: SourceText[] = [{ name: `round-${round}.yaml`, text: docs.map((d) => stringify(d)).join('---\n') }];
      let result;
      try {
        result = compile(sources);
      } catch (e) {
        throw new Error(`round ${round} crashed the compiler: ${(e as Error).stack}\n--- input ---\n${sources[0]!.text}`);
      }
      if (!result.ok) {
        expect(result.diagnostics.some((d) => d.severity === 'error'), `round ${round}`).toBe(true);
        expect(result.bundles).toEqual([]);
      }
    }
  }, 120_000);

  test('garbage text is an error with a position, not a crash', () => {
    const rand = rng(7);
    for (let round = 0; round < 200; round++) {
      const bytes = Array.from({ length: 1 + Math.floor(rand() * 200) }, () => String.fromCharCode(Math.floor(rand() * 128)));
      const r = compile([{ name: 'noise.yaml', text: bytes.join('') }]);
      expect(r.ok).toBe(false);
    }
  });
});
