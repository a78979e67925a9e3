/**
 * Random damage to valid snapshots never crashes the compiler: every outcome is a compile result, and a
 * failed compile carries at least one error and no bundle (docs/design.md §7 "random snapshots never crash"). What
 * compiles from damaged or hostile input is still in each tool's format: no input text breaks a line or a quote.
 */
import { describe, expect, test } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify, parseAllDocuments } from 'yaml';
import { compile, type CompileResult } from '../compiler/compile.js';
import type { SourceText } from '../compiler/ingest/documents.js';
import { REPO_ROOT } from './repoRoot.js';
import { caseSources, GOLDEN_DIR, listCases } from './golden/golden.js';

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
  'it\'s " -j ACCEPT',
  'nul\u0000and\u2028separator',
  2 ** 31,
  'fe80::/10',
  'Drop',
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

/** The documents of a snapshot's texts (List items unpacked). */
function documentsOf(sources: readonly SourceText[]): Json[] {
  const docs: Json[] = [];
  for (const { text } of sources) {
    for (const d of parseAllDocuments(text) as unknown as { toJS(): Json }[]) {
      const v = d.toJS();
      if (v && typeof v === 'object' && 'items' in (v as object)) docs.push(...((v as { items: Json[] }).items));
      else if (v !== null) docs.push(v);
    }
  }
  return docs;
}

const goldenDocuments = (name: string): Json[] => documentsOf(caseSources(join(GOLDEN_DIR, name)));

/** Every golden case's input and every conformance fixture: each one snapshot, each feature's objects somewhere. */
function everyCase(): [string, Json[]][] {
  const fixtures = join(REPO_ROOT, 'conformance', 'fixtures');
  return [
    ...listCases().map((name): [string, Json[]] => [`golden/${name}`, goldenDocuments(name)]),
    ...readdirSync(fixtures)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f): [string, Json[]] => [`conformance/fixtures/${f}`, documentsOf([{ name: f, text: readFileSync(join(fixtures, f), 'utf8') }])]),
  ];
}

/** Why an artifact that compiled is not in its tool's format, if it is not: input text must never break a line or a quote. */
function malformed(path: string, text: string): string | undefined {
  if (path.endsWith('.json')) {
    try {
      JSON.parse(text);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  }
  if (/[\u0000-\u0008\u000b-\u001f\u2028\u2029]/.test(text)) return 'a control character';
  const lines = text.split('\n').slice(0, -1);
  if (text !== '' && !text.endsWith('\n')) return 'no newline at the end';
  if (path === 'openflow/flows.txt') return lines.find((l) => !/^(cookie=0x[0-9a-f]+, )?(table=\d+, )?priority=\d+(,\S+)? actions=\S+$/.test(l));
  if (path.startsWith('iptables/') && path.endsWith('.rules')) {
    return lines.find((l) => !/^(\*[a-z]+|:\S+ - \[0:0\]|-A \S+ .+|COMMIT)$/.test(l) || (l.replace(/\\./g, '').match(/"/g) ?? []).length % 2 !== 0);
  }
  return undefined;
}

const corpus = (): Json[] => [...goldenDocuments('policies-antrea'), ...goldenDocuments('policies-k8s')];

/**
 * Compiles the documents as one file: a throw fails the test with the input, a failed compile must carry an error
 * and no bundle. The result when it compiled.
 */
function compileDamaged(label: string, docs: readonly Json[]): CompileResult | undefined {
  const sources: SourceText[] = [{ name: `${label}.yaml`, text: docs.map((d) => stringify(d)).join('---\n') }];
  let result: CompileResult;
  try {
    result = compile(sources);
  } catch (e) {
    throw new Error(`${label} crashed the compiler: ${(e as Error).stack}\n--- input ---\n${sources[0]!.text}`);
  }
  if (result.ok) return result;
  expect(result.diagnostics.some((d) => d.severity === 'error'), label).toBe(true);
  expect(result.bundles).toEqual([]);
  return undefined;
}

describe('robustness', () => {
  const base = corpus();
  test('hundreds of randomly damaged snapshots: never a throw, never a partial result', () => {
    const rand = rng(20261123);
    for (let round = 0; round < 400; round++) {
      const docs = base.map((d) => (rand() < 0.08 ? mutate(d, rand) : d));
      compileDamaged(`round-${round}`, docs);
    }
  }, 120_000);

  test('every golden case and conformance fixture, damaged: never a throw; what compiles is in its tools\' formats', () => {
    const cases = everyCase();
    expect(cases.length).toBeGreaterThan(15);
    const rand = rng(20261205);
    let compiled = 0;
    for (let round = 0; round < 600; round++) {
      const [name, base] = cases[Math.floor(rand() * cases.length)]!;
      const docs = base.map((d) => {
        let damaged = d;
        while (rand() < 0.04) damaged = mutate(damaged, rand);
        return damaged;
      });
      const result = compileDamaged(`round ${round} (${name})`, docs);
      if (!result) continue;
      compiled++;
      for (const b of result.bundles) {
        for (const [path, text] of b.files) expect(malformed(path, text), `round ${round} (${name}): ${b.node}/${path}`).toBeUndefined();
      }
    }
    // A few damaged documents per round leave most snapshots compilable (355 of 600 with this seed), so the artifact
    // checks run.
    expect(compiled).toBeGreaterThan(200);
  }, 120_000);

  // Rule names are free text (unique within a policy is all Antrea asks), and rules.json carries them.
  test('hostile rule names compile, and every artifact keeps its format', () => {
    const hostile = ['a"b\nc', "it's \" -j ACCEPT", 'tab\tnul\u0000', '\u2028sep', '}]{"x":', '\\"'];
    let renamed = 0;
    const docs = goldenDocuments('policies-antrea').map((d) => {
      const { apiVersion, kind, spec } = d as { apiVersion?: string; kind?: string; spec?: Record<string, Json> };
      if (!spec || !String(apiVersion).startsWith('crd.antrea.io/') || !/NetworkPolicy$/.test(String(kind))) return d;
      for (const dir of ['ingress', 'egress']) {
        for (const rule of (spec[dir] as { name?: Json }[] | undefined) ?? []) rule.name = `${hostile[renamed++ % hostile.length]}${renamed}`;
      }
      return d;
    });
    expect(renamed).toBeGreaterThan(3);
    const result = compileDamaged('hostile-rule-names', docs);
    expect(result?.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const rules = result!.bundles.flatMap((b) => (JSON.parse(b.files.get('visibility/rules.json')!) as { rules: { rule?: string }[] }).rules.map((r) => r.rule));
    expect(rules.some((r) => r?.startsWith('a"b\nc'))).toBe(true);
    for (const b of result!.bundles) for (const [path, text] of b.files) expect(malformed(path, text), `${b.node}/${path}`).toBeUndefined();
  });

  test('garbage text is an error with a position, not a crash', () => {
    const rand = rng(7);
    for (let round = 0; round < 200; round++) {
      const bytes = Array.from({ length: 1 + Math.floor(rand() * 200) }, () => String.fromCharCode(Math.floor(rand() * 128)));
      const r = compile([{ name: 'noise.yaml', text: bytes.join('') }]);
      expect(r.ok).toBe(false);
    }
  });
});
