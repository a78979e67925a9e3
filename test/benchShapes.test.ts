/**
 * Antrea's controller-benchmark shapes (bench/antreaShapes.ts), shrunk: each compiles without errors, the same for a
 * seed, and the one-Namespace shape (every policy the same) compiles to the rules and flows of one policy.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ANTREA_SHAPES, antreaShapeCounts, generateAntreaShape } from '../bench/antreaShapes.js';
import { compile } from '../compiler/compile.js';
import { COMPILE_SEMI_SPACE_MB, compileSemiSpaceMb, SEMI_SPACE_TIERS, sourceBytes } from '../cli/jobs.js';
import { REPO_ROOT } from './repoRoot.js';

describe("Antrea's controller-benchmark shapes", () => {
  test.each(ANTREA_SHAPES)('%s compiles at 1/100 of its size, with the counts it promises', (shape) => {
    const sources = generateAntreaShape({ shape, nodes: 8, scale: 0.01 });
    expect(generateAntreaShape({ shape, nodes: 8, scale: 0.01 })).toEqual(sources);
    const r = compile(sources);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const c = antreaShapeCounts(shape, 0.01);
    expect(r.stats.pods).toBe(c.pods);
    expect(r.stats.objects).toBe(1 + 8 + c.namespaces + c.pods + c.policies);
  });

  test('one Namespace: a hundred identical policies compile to the rules and flows of one', () => {
    const r = compile(generateAntreaShape({ shape: 'one-namespace', nodes: 4, scale: 0.01 }));
    expect(r.stats.pods).toBe(100);
    for (const b of r.bundles) {
      // One rule and the two isolations, each standing for every policy.
      const rules = JSON.parse(b.files.get('visibility/rules.json')!).rules as { sharedWith?: string[] }[];
      expect(rules.map((e) => e.sharedWith?.length)).toEqual([99, 99, 99]);
      // The rule's conjunction: one match flow per peer (every Pod) and per local Pod; no flow per policy.
      const conj = b.files.get('openflow/flows.txt')!.split('\n').filter((l) => l.includes('conjunction('));
      expect(conj).toHaveLength(100 + b.podCount);
    }
  });

  // The small-Namespace shape scales like the others (issue 13: iterate on resolution at @0.1, confirm at full size):
  // 4 Pods and 3 NetworkPolicies per Namespace, every Namespace's policies resolved to their own rules.
  test('small-namespaces@F: the bench scales every count and resolves each Namespace apart', () => {
    const run = join(REPO_ROOT, 'dist', 'bench', 'run.js');
    const r = spawnSync(process.execPath, ['--expose-gc', run, '--shape', 'small-namespaces@0.01', '--phase', 'resolve', '--runs', '1', '--json'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const shape = (JSON.parse(r.stdout) as { shapes: { namespaces: number; pods: number; policies: number; resolved: { rules: number; isolation: number } }[] }).shapes[0]!;
    expect([shape.namespaces, shape.pods, shape.policies]).toEqual([250, 1000, 750]);
    // default-deny-all isolates both directions; np-1 and np-2 each add an ingress rule and isolate both directions.
    expect(shape.resolved).toEqual({ rules: 2 * 250, isolation: 3 * 2 * 250 });
  }, 180_000);

  // --jobs measures the compile as dpc compile --jobs runs it: the same bundles, from threads.
  test('--jobs 2: the threaded compile gives the flows of the one-thread compile, and says it ran on threads', () => {
    const run = join(REPO_ROOT, 'dist', 'bench', 'run.js');
    const flows = (jobs: string) => {
      const r = spawnSync(process.execPath, ['--expose-gc', run, '--shape', '20x200x20', '--phase', 'compile', '--runs', '1', '--jobs', jobs, '--json'], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      const shape = (JSON.parse(r.stdout) as { shapes: { flows: unknown; phases: { phase: string; threads?: number }[] }[] }).shapes[0]!;
      return { flows: shape.flows, threads: shape.phases.find((p) => p.phase === 'compile')!.threads };
    };
    const one = flows('1');
    const two = flows('2');
    expect(two.flows).toEqual(one.flows);
    expect([one.threads, two.threads]).toEqual([undefined, 2]);
    const bad = spawnSync(process.execPath, [run, '--shape', '20x200x20', '--jobs', '2'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--jobs measures the in-memory compile/);
  }, 180_000);

  // --semi-space tries another young generation for the workers than the compile threads' compileSemiSpaceMb.
  test('--semi-space MB: the report says which semi-space the workers ran with; the default is the compile threads\'', () => {
    const run = join(REPO_ROOT, 'dist', 'bench', 'run.js');
    const semi = (extra: string[]) => {
      const r = spawnSync(process.execPath, ['--expose-gc', run, '--shape', '20x200', '--phase', 'validate', '--runs', '1', '--json', ...extra], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as { semiSpaceMb?: number; shapes: { semiSpaceMb?: number; inputBytes: number }[] };
      return { all: doc.semiSpaceMb, shape: doc.shapes[0]!.semiSpaceMb, inputBytes: doc.shapes[0]!.inputBytes };
    };
    const auto = semi([]);
    expect(auto).toEqual({ all: undefined, shape: compileSemiSpaceMb(auto.inputBytes), inputBytes: auto.inputBytes });
    expect(auto.shape).toBe(COMPILE_SEMI_SPACE_MB);
    expect(semi(['--semi-space', '32'])).toMatchObject({ all: 32, shape: 32 });
    const bad = spawnSync(process.execPath, [run, '--semi-space', '0'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--semi-space/);
  }, 180_000);
});

describe('the compile threads\' semi-space', () => {
  test('each tier starts at its bytes of source text; larger snapshots never get a smaller semi-space', () => {
    expect(compileSemiSpaceMb(0)).toBe(COMPILE_SEMI_SPACE_MB);
    const tiers = [...SEMI_SPACE_TIERS].sort((a, b) => a.fromBytes - b.fromBytes);
    expect(tiers.map((t) => t.semiSpaceMb)).toEqual([256, 512]);
    let below = COMPILE_SEMI_SPACE_MB;
    for (const { fromBytes, semiSpaceMb } of tiers) {
      expect(compileSemiSpaceMb(fromBytes - 1)).toBe(below);
      expect(compileSemiSpaceMb(fromBytes)).toBe(semiSpaceMb);
      expect(semiSpaceMb).toBeGreaterThan(below);
      below = semiSpaceMb;
    }
    expect(compileSemiSpaceMb(2 ** 40)).toBe(below);
    expect(sourceBytes([{ name: 'a.yaml', text: 'kind: Pod\n' }, { name: 'b.yaml', text: 'é' }])).toBe(12);
  });
});
