/**
 * Reads the CLI's input paths: files, directories (recursively: .yaml, .yml, .json, and Antrea's config files under
 * the names its ConfigMap keys and the Pods' mounts give them) and `-` for stdin.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceText } from '../compiler/ingest/documents.js';
import { decodeText } from '../compiler/ingest/encoding.js';

export class InputError extends Error {}

const INPUT_FILE = /\.(ya?ml|json)$|^antrea-(agent|controller)\.conf$/i;

function walk(dir: string, out: string[]): void {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) walk(path, out);
    else if (e.isFile() && INPUT_FILE.test(e.name)) out.push(path);
  }
}

/** `readStdin` gives standard input's bytes, decoded like files (a byte order mark picks the encoding). */
export function readInputs(paths: readonly string[], readStdin: () => Uint8Array): SourceText[] {
  const sources: SourceText[] = [];
  for (const path of paths) {
    if (path === '-') {
      sources.push({ name: '<stdin>', text: decodeText(readStdin()) });
      continue;
    }
    let st;
    try {
      st = statSync(path);
    } catch {
      throw new InputError(`${path}: no such file or directory`);
    }
    const files: string[] = [];
    if (st.isDirectory()) walk(path, files);
    else files.push(path);
    for (const file of files) {
      try {
        sources.push({ name: file, text: decodeText(readFileSync(file)) });
      } catch (e) {
        throw new InputError(`${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
  }
  return sources;
}
