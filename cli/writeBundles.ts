/**
 * Writes bundles so that a reader never sees a half-written output directory: everything goes into a fresh
 * sibling directory first, which then takes the old one's place with two renames.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { NodeBundle } from '../targets/bundle/bundle.js';

export function writeBundles(outDir: string, bundles: readonly NodeBundle[], manifest: string): void {
  const target = resolve(outDir);
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(join(parent, `.${basename(target)}.new-`));
  try {
    for (const b of bundles) {
      for (const [rel, content] of b.files) {
        const path = join(staging, b.node, rel);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, content);
      }
    }
    writeFileSync(join(staging, 'manifest.json'), manifest);
    let old: string | undefined;
    if (existsSync(target)) {
      old = `${staging}.old`;
      renameSync(target, old);
    }
    renameSync(staging, target);
    if (old) rmSync(old, { recursive: true, force: true });
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}
