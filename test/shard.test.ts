/**
 * Scale across machines and on one (issue 13): `dpc compile --shard I/N` outputs merged by `dpc merge` are the
 * unsharded output byte for byte; bundles streamed to the writer are the bundles compile returns; the progress
 * line shows only on a terminal.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildUnlessBuilt, runDpc } from './dpcCommand.js';
import { generateSnapshot } from '../bench/generate.js';
import { compile, type CompileProgress } from '../compiler/compile.js';
import type { NodeBundle } from '../targets/bundle/bundle.js';
import { progressLine } from '../cli/progress.js';
import { tempDir } from './harness/tempDir.js';

const dpc = (args: string[]) => runDpc(args);


/** Every file under `dir`, relative path → bytes. */
function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, 'latin1'));
    }
  };
  walk(dir);
  return out;
}

/** A generated cluster with policies of every kind: 7 Nodes, so shards differ in size. */
function generatedInput(): string {
  const dir = tempDir('dpc-shard-in-');
  for (const s of generateSnapshot({ nodes: 7, pods: 150, policies: 60, seed: 3 })) writeFileSync(join(dir, s.name), s.text);
  return dir;
}

beforeAll(buildUnlessBuilt, 120_000);

describe('dpc compile --shard I/N and dpc merge', () => {
  test.each([
    ['examples/cluster', () => 'examples/cluster', 3],
    ['a generated cluster with policies', generatedInput, 4],
    ['more shards than Nodes', () => 'examples/cluster', 5],
  ])('%s: the merged shards are the unsharded output, byte for byte', async (_name, input, count) => {
    const inDir = input();
    const work = tempDir('dpc-shard-');
    const full = await dpc(['compile', inDir, '-o', join(work, 'full')]);
    expect(full.code, full.stderr).toBe(0);
    const shards: string[] = [];
    // Out of order on purpose: merge orders the shards itself.
    for (let i = count; i >= 1; i--) {
      const dir = join(work, `shard-${i}`);
      const r = await dpc(['compile', inDir, '-o', dir, '--shard', `${i}/${count}`]);
      expect(r.code, r.stderr).toBe(0);
      shards.push(dir);
    }
    // Each shard holds only its share of the Nodes.
    const sizes = shards.map((d) => readdirSync(d).filter((e) => e !== 'manifest.json').length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(readdirSync(join(work, 'full')).length - 1);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    const m = await dpc(['merge', ...shards, '-o', join(work, 'merged')]);
    expect(m.code, m.stderr).toBe(0);
    const want = tree(join(work, 'full'));
    const got = tree(join(work, 'merged'));
    expect([...got.keys()]).toEqual([...want.keys()]);
    for (const [path, bytes] of want) expect(got.get(path), path).toBe(bytes);
  }, 180_000);

  test('merge refuses a missing shard, a shard given twice, and shards of another snapshot', async () => {
    const work = tempDir('dpc-shard-bad-');
    const a = generatedInput();
    for (const i of [1, 2]) expect((await dpc(['compile', a, '-o', join(work, `a${i}`), '--shard', `${i}/2`])).code).toBe(0);
    expect((await dpc(['compile', 'examples/cluster', '-o', join(work, 'b2'), '--shard', '2/2'])).code).toBe(0);
    expect((await dpc(['compile', a, '-o', join(work, 'plain')])).code).toBe(0);
    const missing = await dpc(['merge', join(work, 'a1'), '-o', join(work, 'm1')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/missing 2/);
    const twice = await dpc(['merge', join(work, 'a1'), join(work, 'a1'), '-o', join(work, 'm2')]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/twice 1/);
    const mixed = await dpc(['merge', join(work, 'a1'), join(work, 'b2'), '-o', join(work, 'm3')]);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(/snapshotDigest/);
    const unsharded = await dpc(['merge', join(work, 'plain'), '-o', join(work, 'm4')]);
    expect(unsharded.code).toBe(1);
    expect(unsharded.stderr).toMatch(/not the output of dpc compile --shard/);
    expect(readdirSync(work).filter((e) => e.startsWith('m'))).toEqual([]);
    expect((await dpc(['compile', a, '--shard', '3/2'])).code).toBe(2);
    expect((await dpc(['compile', a, '--shard', '1/2', '--node', 'node-0000'])).code).toBe(2);
  }, 180_000);
});

describe('dpc compile --jobs N', () => {
  test('the output and the summary are the same whatever the number of threads', async () => {
    const inDir = generatedInput();
    const out = join(tempDir('dpc-jobs-'), 'out');
    const runs: { stdout: string; tree: Map<string, string> }[] = [];
    for (const jobs of [1, 2, 3]) {
      const r = await dpc(['compile', inDir, '-o', out, '--jobs', String(jobs), '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      runs.push({ stdout: r.stdout, tree: tree(out) });
    }
    for (const r of runs.slice(1)) {
      expect(r.stdout).toBe(runs[0]!.stdout);
      expect([...r.tree.keys()]).toEqual([...runs[0]!.tree.keys()]);
      for (const [path, bytes] of runs[0]!.tree) expect(r.tree.get(path), path).toBe(bytes);
    }
    expect((await dpc(['compile', inDir, '--jobs', '0'])).code).toBe(2);
  }, 180_000);

  test('input errors are reported once, whatever the number of threads', async () => {
    const inDir = generatedInput();
    writeFileSync(join(inDir, 'bad.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: x, namespace: nowhere}\nspec: {nodeName: node-0000}\n');
    const one = await dpc(['compile', inDir, '-o', join(inDir, '..', 'o1'), '--jobs', '1']);
    const two = await dpc(['compile', inDir, '-o', join(inDir, '..', 'o2'), '--jobs', '2']);
    expect(one.code).toBe(1);
    expect(two.code).toBe(1);
    expect(two.stderr).toBe(one.stderr);
  }, 120_000);
});

describe('streaming and progress', () => {
  test('bundles handed to onBundle are the bundles compile keeps without it; the result keeps their summaries', async () => {
    const sources = generateSnapshot({ nodes: 5, pods: 80, policies: 30, seed: 5 });
    const kept = compile(sources);
    const streamed: NodeBundle[] = [];
    const progress: CompileProgress[] = [];
    const light = compile(sources, { onBundle: (b) => streamed.push(b), onProgress: (p) => progress.push(p) });
    expect(streamed.map((b) => [b.node, [...b.files]])).toEqual(kept.bundles.map((b) => [b.node, [...b.files]]));
    expect(light.bundles.map((b) => [b.node, b.digest, b.flowCount, b.files.size])).toEqual(kept.bundles.map((b) => [b.node, b.digest, b.flowCount, 0]));
    expect(light.manifest).toBe(kept.manifest);
    expect(progress.map((p) => p.phase)).toEqual(['parse', 'resolve', ...Array(6).fill('plan')]);
    expect(progress.at(-1)).toEqual({ phase: 'plan', done: 5, total: 5 });
  });

  test('the progress line is drawn on a terminal and erased at the end; nothing when disabled or not a terminal', async () => {
    let written = '';
    let t = 0;
    const line = progressLine(true, { write: (s: string) => ((written += s), true) }, () => (t += 1000));
    line.update({ phase: 'parse' });
    line.update({ phase: 'plan', done: 3, total: 10 });
    line.done();
    expect(written).toBe('\r\x1b[2Kdpc: parsing and validating, 1.0 s\r\x1b[2Kdpc: planning and rendering: 3/10 Nodes, 2.0 s\r\x1b[2K');
    let none = '';
    const off = progressLine(false, { write: (s: string) => ((none += s), true) });
    off.update({ phase: 'plan', done: 1, total: 2 });
    off.done();
    expect(none).toBe('');
    // The CLI's stderr here is a pipe: no progress line, not even with many Nodes.
    const r = (await dpc(['compile', 'examples/cluster', '-o', join(tempDir('dpc-progress-'), 'out')]));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/\r|planning/);
  });
});
