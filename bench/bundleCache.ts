/**
 * Compiled bundles kept on disk between bench runs (DIR/<node>/<artifact>, as `dpc compile -o` lays them out
 * without manifest), so that measuring the review of a 1,000-Node output does not pay for its compile again.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { BundleFiles, CompiledVersion } from '../review/diff/version.js';

export function writeSide(dir: string, v: CompiledVersion): void {
  for (const [node, files] of v.nodes) {
    for (const [rel, text] of files) {
      const path = join(dir, node, rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
  }
}

export function readSide(dir: string, label: string): CompiledVersion {
  const nodes = new Map<string, BundleFiles>();
  const walk = (root: string, at: string, files: Map<string, string>): void => {
    for (const e of readdirSync(at, { withFileTypes: true })) {
      const p = join(at, e.name);
      if (e.isDirectory()) walk(root, p, files);
      else files.set(relative(root, p), readFileSync(p, 'utf8'));
    }
  };
  for (const node of readdirSync(dir).sort()) {
    const files = new Map<string, string>();
    walk(join(dir, node), join(dir, node), files);
    nodes.set(node, new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1))));
  }
  return { label, nodes };
}
