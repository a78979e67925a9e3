/** `-o DIR` never costs a user a file: what dpc may replace, what it refuses, permissions, and a failed rename. */
import { tempDir } from './harness/tempDir.js';
import { beforeAll, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './repoRoot.js';
import { buildUnlessBuilt, DPC } from './dpcCommand.js';
import { runCommand } from './harness/command.js';
import { clusterSources, twoNodes } from './fixtures/clusters.js';
import { compile } from '../compiler/compile.js';
import { OutputWriteError, writeBundles, type WriteFs } from '../cli/writeBundles.js';


beforeAll(buildUnlessBuilt, 120_000);

function dpc(args: string[], opts: { cwd?: string; umask?: string } = {}) {
  const cmd = `umask ${opts.umask ?? '022'} && exec "$0" "$@"`;
  return runCommand('sh', ['-c', cmd, process.execPath, DPC, ...args], { cwd: opts.cwd ?? REPO_ROOT });
}


/** A temp dir with the snapshot in `in/`; returns both paths. */
function workspace(): { dir: string; input: string } {
  const dir = tempDir('dpc-out-');
  const input = join(dir, 'in');
  mkdirSync(input);
  for (const s of clusterSources(twoNodes)) writeFileSync(join(input, s.name), s.text);
  return { dir, input };
}

/** Every path under `dir` with its content (files) or a marker (directories), to prove nothing changed. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out[`${r}/`] = '';
        walk(join(d, e.name), r);
      } else out[r] = readFileSync(join(d, e.name), 'utf8');
    }
  };
  walk(dir, '');
  return out;
}

describe('what -o may replace', () => {
  test('a missing, an empty, and an earlier dpc output directory are replaced whole', async () => {
    const { dir, input } = workspace();
    const out = join(dir, 'out');
    expect((await dpc(['compile', input, '-o', out, '--node', 'alpha'])).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['alpha', 'manifest.json']);
    expect((await dpc(['compile', input, '-o', out, '--node', 'beta'])).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['beta', 'manifest.json']);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect((await dpc(['compile', input, '-o', empty])).code).toBe(0);
    expect(readdirSync(empty).sort()).toEqual(['alpha', 'beta', 'manifest.json']);
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  test.each([
    ['a file of the user', { 'notes.txt': 'mine' }, /it holds "notes\.txt" and no dpc manifest\.json/],
    ['a manifest.json dpc did not write', { 'manifest.json': '{"name": "my-package"}' }, /its manifest\.json is not one dpc wrote/],
    ['a user file next to an earlier dpc output', 'dpc+file', /it holds "notes\.txt", which dpc did not write/],
  ])('a directory holding %s is refused (exit 2, named, untouched); --force replaces it', async (_what, content, why) => {
    const { dir, input } = workspace();
    const out = join(dir, 'out');
    if (content === 'dpc+file') {
      expect((await dpc(['compile', input, '-o', out])).code).toBe(0);
      writeFileSync(join(out, 'notes.txt'), 'mine');
    } else {
      mkdirSync(out);
      for (const [name, text] of Object.entries(content)) writeFileSync(join(out, name), text);
    }
    const before = tree(out);
    const r = await dpc(['compile', input, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`dpc: refusing to replace output directory ${out}: `);
    expect(r.stderr).toMatch(why);
    expect(r.stderr).toMatch(/--force/);
    expect(r.stdout).toBe('');
    expect(tree(out)).toEqual(before);
    const forced = await dpc(['compile', input, '-o', out, '--force']);
    expect(forced.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['alpha', 'beta', 'manifest.json']);
  });

  test('a file in place of the directory is refused without --force', async () => {
    const { dir, input } = workspace();
    const out = join(dir, 'out');
    writeFileSync(out, 'not a directory');
    const r = await dpc(['compile', input, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/it is not a directory/);
    expect(readFileSync(out, 'utf8')).toBe('not a directory');
  });

  test('-o . inside a repository never deletes it, even with --force', async () => {
    const { dir, input } = workspace();
    const repo = join(dir, 'repo');
    mkdirSync(join(repo, 'src'), { recursive: true });
    writeFileSync(join(repo, 'src', 'main.go'), 'package main\n');
    expect(spawnSync('git', ['init', '-q', repo]).status).toBe(0);
    const before = tree(repo);
    for (const force of [[], ['--force']]) {
      const r = await dpc(['compile', input, '-o', '.', ...force], { cwd: repo });
      expect(r.code, force.join(' ')).toBe(2);
      expect(r.stderr).toContain('refusing to replace output directory .: it is the working directory or one of its parents');
      expect(tree(repo)).toEqual(before);
    }
    // From elsewhere, the repository is still refused by what it holds.
    const r = await dpc(['compile', input, '-o', repo, '--force']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/it is a git repository; dpc never replaces it, even with --force/);
    expect(tree(repo)).toEqual(before);
  });

  test('a directory holding the input is never replaced, even with --force', async () => {
    const { dir, input } = workspace();
    const before = tree(dir);
    const r = await dpc(['compile', input, '-o', dir, '--force']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`it holds the input ${input}`);
    expect(tree(dir)).toEqual(before);
  });
});

describe('permissions follow the umask', () => {
  test.each([
    ['022', 0o755, 0o644],
    ['027', 0o750, 0o640],
    ['077', 0o700, 0o600],
  ])('umask %s', async (umask, dirMode, fileMode) => {
    const { dir, input } = workspace();
    const out = join(dir, 'out');
    expect((await dpc(['compile', input, '-o', out], { umask })).code).toBe(0);
    const modes = new Map<string, number>();
    const walk = (p: string) => {
      const st = statSync(p);
      modes.set(p, st.mode & 0o777);
      if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    };
    walk(out);
    expect(modes.size).toBeGreaterThan(10);
    for (const [p, mode] of modes) expect(mode.toString(8), p).toBe((statSync(p).isDirectory() ? dirMode : fileMode).toString(8));
  });
});

describe('a failed final rename puts the previous output back', () => {
  const result = compile(clusterSources(twoNodes));

  function previousOutput(): { dir: string; out: string; before: Record<string, string> } {
    const dir = tempDir('dpc-rename-');
    const out = join(dir, 'out');
    writeBundles(out, result.bundles.slice(0, 1), result.manifest);
    return { dir, out, before: tree(out) };
  }

  /** Real fs calls, except renames into `out` from a staging directory, which fail (as on EXDEV or EIO). */
  function failingRename(out: string, alsoRestore = false): WriteFs {
    return {
      ...fs,
      renameSync: (from: fs.PathLike, to: fs.PathLike) => {
        const intoOut = String(to) === out;
        if (intoOut && (!String(from).endsWith('.old') || alsoRestore)) {
          throw Object.assign(new Error(`EIO: i/o error, rename '${String(from)}' -> '${String(to)}'`), { code: 'EIO' });
        }
        fs.renameSync(from, to);
      },
    };
  }

  test('the previous output is back, byte for byte, and no staging directory is left', async () => {
    expect(result.ok).toBe(true);
    const { dir, out, before } = previousOutput();
    expect(() => writeBundles(out, result.bundles, result.manifest, {}, failingRename(out))).toThrow(OutputWriteError);
    expect(tree(out)).toEqual(before);
    expect(readdirSync(dir)).toEqual(['out']);
  });

  test('when putting it back fails too, the error says where the previous output is kept', async () => {
    const { dir, out, before } = previousOutput();
    let message = '';
    try {
      writeBundles(out, result.bundles, result.manifest, {}, failingRename(out, true));
    } catch (e) {
      message = (e as Error).message;
    }
    const kept = /the previous output is kept in (\S+)$/.exec(message)?.[1];
    expect(kept, message).toBeDefined();
    expect(tree(kept!)).toEqual(before);
    expect(readdirSync(dir).filter((n) => !kept!.endsWith(n))).toEqual([]);
  });
});
