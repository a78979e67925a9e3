/**
 * Reads a compiled output from disk for the review commands: a whole `dpc compile -o DIR` (its manifest.json names
 * the Node folders) or one Node's folder (it holds bundle.json). Returns undefined when `path` is neither, so the
 * caller can treat it as a snapshot to compile.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { BundleFiles } from '../review/explain/bundles.js';

function filesUnder(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.set(relative(dir, p).split('\\').join('/'), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

export function readBundleOutput(path: string): BundleFiles | undefined {
  if (!existsSync(path) || !statSync(path).isDirectory()) return undefined;
  if (existsSync(join(path, 'bundle.json'))) {
    const meta = JSON.parse(readFileSync(join(path, 'bundle.json'), 'utf8')) as { node?: { name?: string } };
    return new Map([[meta.node?.name ?? path, filesUnder(path)]]);
  }
  const manifest = join(path, 'manifest.json');
  if (!existsSync(manifest)) return undefined;
  const doc = JSON.parse(readFileSync(manifest, 'utf8')) as { kind?: string; nodes?: Record<string, unknown> };
  if (doc.kind !== 'Manifest' || !doc.nodes) return undefined;
  return new Map(Object.keys(doc.nodes).map((n) => [n, filesUnder(join(path, n))]));
}
