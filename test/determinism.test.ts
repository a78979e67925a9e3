/**
 * Output depends on the snapshot, never on how it is spread over files or ordered (docs/design.md §3), and IDs
 * stay put when unrelated objects change (docs/design.md §5).
 */
import { describe, expect, test } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, type Document } from 'yaml';
import { compile } from '../compiler/compile.js';
import type { SourceText } from '../compiler/ingest/documents.js';
import { REPO_ROOT } from './repoRoot.js';
import { clusterSources, podText, twoNodes } from './fixtures/clusters.js';
import { caseSources, GOLDEN_DIR, listCases } from './golden/golden.js';

function exampleSources(): SourceText[] {
  const dir = join(REPO_ROOT, 'examples', 'cluster');
  return readdirSync(dir).map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') }));
}

/** The example cluster and every golden case's input, the policy cases included. */
const SNAPSHOTS: [string, () => SourceText[]][] = [
  ['examples/cluster', exampleSources],
  ...listCases().map((name): [string, () => SourceText[]] => [`golden/${name}`, () => caseSources(join(GOLDEN_DIR, name))]),
];

/** Every document of the snapshot as its own YAML text (List items unpacked). */
function documents(sources: SourceText[]): string[] {
  const out: string[] = [];
  for (const s of sources) {
    for (const doc of parseAllDocuments(s.text) as ReturnType<typeof parseAllDocuments> & unknown[]) {
      const value = doc.toJS() as { kind?: string; items?: unknown[] } | null;
      if (!value) continue;
      const items = value.kind === 'List' ? value.items! : [value];
      for (const item of items) out.push(JSON.stringify(item));
    }
  }
  return out;
}

/** A small deterministic PRNG, so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Spreads documents over a random number of files, as YAML streams or JSON Lists. */
function respread(docs: string[], seed: number): SourceText[] {
  const rand = rng(seed);
  const order = shuffled(docs, rand);
  const fileCount = 1 + Math.floor(rand() * 4);
  const files: string[][] = Array.from({ length: fileCount }, () => []);
  for (const d of order) files[Math.floor(rand() * fileCount)]!.push(d);
  return files
    .filter((f) => f.length > 0)
    .map((f, i) =>
      rand() < 0.5
        ? { name: `part-${i}.json`, text: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: f.map((d) => JSON.parse(d)) }) }
        : { name: `part-${i}.yaml`, text: f.join('\n---\n') },
    );
}

/**
 * The same files in a shuffled order, each with its YAML documents shuffled, every document spelled as written
 * (comments, quoting and key order kept). JSON files and single-document files move whole.
 */
function reshuffle(sources: SourceText[], seed: number): SourceText[] {
  const rand = rng(seed);
  return shuffled(sources, rand).map((s) => {
    if (!/\.ya?ml$/.test(s.name)) return s;
    const docs = Array.from(parseAllDocuments(s.text) as Iterable<Document.Parsed>)
      .filter((d) => d.contents !== null)
      .map((d) => String(d).replace(/^---\n/, ''));
    return { name: s.name, text: shuffled(docs, rand).join('\n---\n') };
  });
}

function artifacts(sources: SourceText[]): Map<string, string> {
  const r = compile(sources);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const out = new Map<string, string>();
  for (const b of r.bundles) for (const [p, c] of b.files) out.set(`${b.node}/${p}`, c);
  return out;
}

describe('determinism', () => {
  test('the snapshots cover the policy goldens', () => {
    expect(SNAPSHOTS.map(([name]) => name)).toEqual(expect.arrayContaining(['examples/cluster', 'golden/policies-k8s', 'golden/policies-antrea']));
  });

  test.each(SNAPSHOTS)('%s: any split and order of files and documents gives byte-identical bundles', (_name, sources) => {
    const original = sources();
    const reference = artifacts(original);
    const docs = documents(original);
    expect(docs.length).toBeGreaterThan(original.length);
    const variants: [string, SourceText[]][] = [];
    for (let seed = 1; seed <= 6; seed++) {
      variants.push([`respread ${seed}`, respread(docs, seed)]);
      variants.push([`reshuffled ${seed}`, reshuffle(original, seed)]);
    }
    variants.push(['reversed', documents(original).reverse().map((d, i) => ({ name: `doc-${i}.json`, text: d }))]);
    for (const [how, variant] of variants) {
      const again = artifacts(variant);
      expect([...again.keys()].sort(), how).toEqual([...reference.keys()].sort());
      for (const [path, content] of reference) expect(again.get(path), `${how}: ${path}`).toBe(content);
    }
  });

  test('adding a Pod changes only lines about that Pod, and no other Pod is renumbered', () => {
    const base = clusterSources(twoNodes);
    const before = compile(base);
    const extra = podText({ namespace: 'web', name: 'newcomer', node: 'alpha', ip: '172.30.8.77' });
    const after = compile([...base, { name: 'extra.yaml', text: extra }]);
    const portsOf = (r: typeof before) =>
      r.bundles.flatMap((b) => (JSON.parse(b.files.get('bundle.json')!) as { inventory: { pods: { name: string; ofport: number; mac: string; interface: string }[] } }).inventory.pods);
    const old = new Map(portsOf(before).map((p) => [p.name, p]));
    for (const p of portsOf(after)) if (old.has(p.name)) expect(p).toEqual(old.get(p.name));
    const flows = (r: typeof before, node: string) => new Set(r.bundles.find((b) => b.node === node)!.files.get('openflow/flows.txt')!.split('\n'));
    const a0 = flows(before, 'alpha');
    const a1 = flows(after, 'alpha');
    const removed = [...a0].filter((l) => !a1.has(l));
    const added = [...a1].filter((l) => !a0.has(l));
    expect(removed).toEqual([]);
    // Per local Pod: ARP guard, classifier, spoof guard, L3 route, L2 entry.
    expect(added).toHaveLength(5);
    // The other Node's flows do not mention local Pods at all.
    expect(flows(after, 'beta')).toEqual(flows(before, 'beta'));
  });
});

describe('rule IDs are stable', () => {
  test('adding an unrelated policy changes no existing rule ID, table or priority', () => {
    const base = caseSources(join(GOLDEN_DIR, 'policies-antrea'));
    const extra = `apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: newcomer}
spec:
  tier: securityops
  priority: 7
  appliedTo:
  - namespaceSelector:
      matchLabels: {team: sre}
  egress:
  - name: block-metadata
    action: Drop
    to:
    - ipBlock: {cidr: 169.254.169.254/32}
`;
    type Entry = { id: number; key: string; table: string; priority?: number };
    const rules = (sources: SourceText[]) => {
      const r = compile(sources);
      expect(r.ok).toBe(true);
      const out = new Map<string, Entry>();
      for (const b of r.bundles) for (const e of (JSON.parse(b.files.get('visibility/rules.json')!) as { rules: Entry[] }).rules) out.set(`${b.node}/${e.key}`, e);
      return out;
    };
    const before = rules(base);
    const after = rules([...base, { name: 'newcomer.yaml', text: extra }]);
    expect(before.size).toBeGreaterThan(5);
    for (const [k, e] of before) expect(after.get(k), k).toEqual(e);
    expect(after.size).toBeGreaterThan(before.size);
  });
});
