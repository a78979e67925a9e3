/**
 * A compiled bundle as the runtime reads it: one Node's folder, or a whole compile output (manifest.json plus a
 * folder per Node) from which the Node's folder is chosen. Every artifact is checked against the digest
 * bundle.json records, so a half-copied or edited bundle is refused before anything on the Node changes.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RuntimeError } from './tools.js';

export interface BundleMeta {
  node: { name: string };
  bridge: string;
  tables: Record<string, number>;
  inventory: {
    gateway: { name: string; ofport: number; mac: string };
    tunnel: { name: string; ofport: number };
    pods: { namespace: string; name: string; interface: string; ofport: number; mac: string; ip?: string }[];
  };
  artifacts: Record<string, string>;
}

export interface LoadedBundle {
  dir: string;
  meta: BundleMeta;
  /** sha256 of bundle.json: the bundle's identity, recorded on the Node once applied. */
  digest: string;
  /** Artifact path → its bytes as read and digest-checked, for every artifact bundle.json lists. */
  files: ReadonlyMap<string, Buffer>;
  /** An artifact as text, decoded when asked for (a 50,000-flow flows.txt is compared as bytes, never decoded whole). */
  text(path: string): string | undefined;
}

export const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

/** The Node this runtime serves: --node, else NODE_NAME (a DaemonSet's downward API), else the host name. */
export function nodeName(flag: string | undefined): string {
  return flag ?? (process.env.NODE_NAME || hostname());
}

export interface OpenedBundle {
  dir: string;
  meta: BundleMeta;
  metaText: string;
}

/** bundle.json of the Node's bundle, checked to be this Node's; the artifacts are read by readArtifacts. */
export function openBundle(path: string, node: string): OpenedBundle {
  let dir = path;
  if (!existsSync(join(dir, 'bundle.json'))) {
    if (!existsSync(join(path, 'manifest.json'))) throw new RuntimeError(`${path}: neither a Node bundle (bundle.json) nor a compile output (manifest.json)`);
    dir = join(path, node);
    if (!existsSync(join(dir, 'bundle.json'))) throw new RuntimeError(`${path} holds no bundle for Node ${JSON.stringify(node)}`);
  }
  const metaText = readFileSync(join(dir, 'bundle.json'), 'utf8');
  const meta = JSON.parse(metaText) as BundleMeta;
  if (meta.node?.name !== node) {
    throw new RuntimeError(`refused: ${dir} is the bundle of Node ${JSON.stringify(meta.node?.name)}, this is Node ${JSON.stringify(node)}; nothing was changed`);
  }
  return { dir, meta, metaText };
}

/** A Node's bundle read and checked at once (for callers that only read it, such as the agent's lookups). */
export function loadBundle(path: string, node: string): LoadedBundle {
  const opened = openBundle(path, node);
  const damaged = Object.entries(opened.meta.artifacts ?? {}).filter(([rel, digest]) => {
    const file = join(opened.dir, rel);
    return !existsSync(file) || `sha256:${sha256(readFileSync(file))}` !== digest;
  });
  if (damaged.length > 0) throw new RuntimeError(`refused: ${opened.dir}: missing or altered artifacts (digest mismatch): ${damaged.map(([r]) => r).join(', ')}; nothing was changed`);
  return readArtifacts(opened).bundle;
}

/**
 * Every artifact bundle.json lists, read now; `checked` settles once each is checked against its digest. Nothing
 * may change on the Node before `checked` resolves.
 */
export function readArtifacts({ dir, meta, metaText }: OpenedBundle): { bundle: LoadedBundle; checked: Promise<void> } {
  const files = new Map<string, Buffer>();
  const damaged: string[] = [];
  for (const [rel, digest] of Object.entries(meta.artifacts ?? {})) {
    const file = join(dir, rel);
    const bytes = existsSync(file) ? readFileSync(file) : undefined;
    if (bytes !== undefined) files.set(rel, bytes);
    // node:crypto's hash, not WebCrypto's: Node 20's subtle.digest holds the main thread ~10× longer for 5 MB.
    if (bytes === undefined || `sha256:${sha256(bytes)}` !== digest) damaged.push(rel);
  }
  const checked =
    damaged.length > 0 ? Promise.reject(new RuntimeError(`refused: ${dir}: missing or altered artifacts (digest mismatch): ${damaged.join(', ')}; nothing was changed`)) : Promise.resolve();
  checked.catch(() => undefined); // awaited by the caller; marked handled for the moments before it is
  return { bundle: { dir, meta, digest: sha256(metaText), files, text: (rel) => files.get(rel)?.toString('utf8') }, checked };
}

export const lines = (text: string | undefined): string[] => (text ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
