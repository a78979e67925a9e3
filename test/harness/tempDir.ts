/**
 * Temp dirs a test file makes, removed when the file ends (test/setup.ts): `dpc compile` outputs and workspaces
 * otherwise stay in the machine's tmpdir after every run (about 14 a suite run, found by counting).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
}
