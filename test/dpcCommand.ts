/** The built dpc command, as the CLI tests run it. */
import { spawnSync } from 'node:child_process';
import { runCommand, type CommandOptions, type CommandRun } from './harness/command.js';
import { join } from 'node:path';
import { REPO_ROOT } from './repoRoot.js';

export const DPC = join(REPO_ROOT, 'dist', 'cli', 'dpc.js');

/** For beforeAll: `make test` builds first and says so; a bare `vitest run` builds here so the CLI under test is current. */
export function buildUnlessBuilt(): void {
  if (process.env.DPC_BUILT === '1') return;
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stdout}${r.stderr}`);
}

/** The built dpc command, run as harness/command.ts runs any command (cwd: the repository). */
export function runDpc(args: readonly string[], opts: CommandOptions = {}): Promise<CommandRun> {
  return runCommand(process.execPath, [DPC, ...args], { cwd: REPO_ROOT, ...opts });
}
