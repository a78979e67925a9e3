/** The built dpc command, as the CLI tests run it. */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './repoRoot.js';

export const DPC = join(REPO_ROOT, 'dist', 'cli', 'dpc.js');

/** For beforeAll: `make test` builds first and says so; a bare `vitest run` builds here so the CLI under test is current. */
export function buildUnlessBuilt(): void {
  if (process.env.DPC_BUILT === '1') return;
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stdout}${r.stderr}`);
}

export interface CommandRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built dpc command without blocking the test worker: a file of tests that each wait for a compile
 * synchronously can hold the worker's event loop for over a minute under load, past vitest's RPC timeout.
 */
export function runDpc(args: readonly string[], opts: { input?: string | Buffer; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CommandRun> {
  return runCommand(process.execPath, [DPC, ...args], { cwd: REPO_ROOT, ...opts });
}

export function runCommand(command: string, args: readonly string[], opts: { input?: string | Buffer; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CommandRun> {
  const proc = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  proc.stdout.on('data', (d: Buffer) => out.push(d));
  proc.stderr.on('data', (d: Buffer) => err.push(d));
  proc.stdin.on('error', () => undefined); // a command that exits without reading its input
  proc.stdin.end(opts.input ?? '');
  return new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}
