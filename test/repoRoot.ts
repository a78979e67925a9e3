/** The repository root, found from this file whether it runs from test/ (vitest) or dist/test/ (node). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json')) || existsSync(join(dir, 'tsconfig.json')) === false) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no repository root above ${start}`);
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
