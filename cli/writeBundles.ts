/**
 * Writes bundles so that a reader never sees a half-written output directory: everything goes into a fresh
 * sibling directory first, which then takes the old one's place with two renames. dpc replaces only what it
 * wrote itself (docs/design.md §3a): a missing or empty directory, or a previous dpc output; never a user's files.
 */
import * as nodeFs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { NodeBundle } from '../targets/bundle/bundle.js';

/** The file-system calls writing does, so a test can make one of them fail. */
export type WriteFs = Pick<
  typeof nodeFs,
  'existsSync' | 'lstatSync' | 'mkdirSync' | 'readFileSync' | 'readdirSync' | 'realpathSync' | 'renameSync' | 'rmSync' | 'writeFileSync'
>;

/** The output directory may not be replaced: a usage error, reported before anything is read or written. */
export class OutputDirError extends Error {}

/** Writing failed (permissions, space); the previous output, if any, is left in place. */
export class OutputWriteError extends Error {}

export interface OutputOptions {
  /** Replace a directory dpc did not write (never one holding the inputs, the working directory or a repository). */
  force?: boolean;
  /** Paths the snapshot is read from: the output may never contain them. */
  inputs?: readonly string[];
}

const MANIFEST = 'manifest.json';

/** Why `dir` is not a previous dpc output, or undefined when it is one (its manifest names every entry). */
function foreignContent(dir: string, fs: WriteFs): string | undefined {
  const entries = fs.readdirSync(dir).sort();
  if (!entries.includes(MANIFEST)) return `it holds ${JSON.stringify(entries[0])} and no dpc manifest.json`;
  let manifest: { apiVersion?: unknown; kind?: unknown; nodes?: unknown };
  try {
    manifest = JSON.parse(fs.readFileSync(join(dir, MANIFEST), 'utf8')) as typeof manifest;
  } catch {
    return 'its manifest.json is not one dpc wrote';
  }
  if (manifest?.apiVersion !== 'dpc/v1alpha1' || manifest.kind !== 'Manifest') return 'its manifest.json is not one dpc wrote';
  const nodes = manifest.nodes && typeof manifest.nodes === 'object' ? Object.keys(manifest.nodes) : [];
  const foreign = entries.find((e) => e !== MANIFEST && !(nodes.includes(e) && fs.lstatSync(join(dir, e)).isDirectory()));
  return foreign === undefined ? undefined : `it holds ${JSON.stringify(foreign)}, which dpc did not write`;
}

const within = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`);

/**
 * Throws OutputDirError unless `outDir` may be replaced. Some directories are never replaced, even with
 * --force: losing them is never what a user meant.
 */
export function checkOutputDir(outDir: string, options: OutputOptions = {}, fs: WriteFs = nodeFs): void {
  const target = resolve(outDir);
  let st: nodeFs.Stats;
  try {
    st = fs.lstatSync(target);
  } catch {
    return; // missing: created
  }
  const real = fs.realpathSync(target);
  const refuse = (why: string): never => {
    throw new OutputDirError(`refusing to replace output directory ${outDir}: ${why}`);
  };
  const never = (why: string): never => refuse(`${why}; dpc never replaces it, even with --force`);
  if (within(fs.realpathSync(process.cwd()), real)) never('it is the working directory or one of its parents');
  for (const input of options.inputs ?? []) {
    if (input === '-' || !fs.existsSync(input)) continue;
    if (within(fs.realpathSync(input), real)) never(`it holds the input ${input}`);
  }
  if (st.isDirectory() && fs.readdirSync(target).includes('.git')) never('it is a git repository');
  if (options.force) return;
  if (!st.isDirectory()) refuse(`it is not a directory (pass --force to replace it)`);
  if (fs.readdirSync(target).length === 0) return;
  const why = foreignContent(target, fs);
  if (why) refuse(`${why} (dpc replaces only an empty directory or its own output; pass --force to replace it anyway)`);
}

/** A new directory next to `target`, created with the process's umask like any other directory. */
function makeStaging(target: string, fs: WriteFs): string {
  for (;;) {
    const path = join(dirname(target), `.${basename(target)}.new-${randomBytes(6).toString('hex')}`);
    try {
      fs.mkdirSync(path);
      return path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/**
 * Writes bundles one at a time into a staging directory, which takes the output's place only at `finish`: a compile
 * can hand each Node's bundle over as soon as it is rendered and let it go. After a failure (thrown as
 * OutputWriteError) or `abort`, the staging directory is gone and the previous output is untouched.
 */
export interface BundleWriter {
  add(bundle: Pick<NodeBundle, 'node' | 'files'>): void;
  finish(manifest: string): void;
  abort(): void;
}

export function openBundleWriter(outDir: string, options: OutputOptions = {}, fs: WriteFs = nodeFs): BundleWriter {
  checkOutputDir(outDir, options, fs);
  const target = resolve(outDir);
  let staging: string | undefined;
  const abort = () => {
    if (staging) fs.rmSync(staging, { recursive: true, force: true });
    staging = undefined;
  };
  const guarded = (step: (dir: string) => void) => {
    try {
      if (!staging) {
        fs.mkdirSync(dirname(target), { recursive: true });
        staging = makeStaging(target, fs);
      }
      step(staging);
    } catch (e) {
      abort();
      if (e instanceof OutputWriteError) throw e;
      const err = e as NodeJS.ErrnoException;
      throw new OutputWriteError(`cannot write ${outDir}: ${err.code ?? ''} ${err.message}`.replace(/ {2,}/g, ' '));
    }
  };
  return {
    add(b) {
      guarded((dir) => {
        for (const [rel, content] of b.files) {
          const path = join(dir, b.node, rel);
          fs.mkdirSync(dirname(path), { recursive: true });
          fs.writeFileSync(path, content);
        }
      });
    },
    finish(manifest) {
      guarded((dir) => {
        fs.writeFileSync(join(dir, MANIFEST), manifest);
        replace(target, dir, fs);
      });
      staging = undefined;
    },
    abort,
  };
}

export function writeBundles(
  outDir: string,
  bundles: readonly NodeBundle[],
  manifest: string,
  options: OutputOptions = {},
  fs: WriteFs = nodeFs,
): void {
  const writer = openBundleWriter(outDir, options, fs);
  for (const b of bundles) writer.add(b);
  writer.finish(manifest);
}

/** Puts `staging` where `target` is; if that fails, the previous output goes back where it was. */
function replace(target: string, staging: string, fs: WriteFs): void {
  if (!fs.existsSync(target)) {
    fs.renameSync(staging, target);
    return;
  }
  const old = `${staging}.old`;
  fs.renameSync(target, old);
  try {
    fs.renameSync(staging, target);
  } catch (e) {
    try {
      fs.renameSync(old, target);
    } catch {
      throw new OutputWriteError(`cannot replace ${target} (${(e as Error).message}); the previous output is kept in ${old}`);
    }
    throw e;
  }
  fs.rmSync(old, { recursive: true, force: true });
}
