// A command run to completion without blocking the test worker's event loop (harness/eventLoop.ts says why).

import { spawn } from 'node:child_process';

export interface CommandRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  input?: string | Buffer;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Killed after this long (its run then ends with code null). */
  timeoutMs?: number;
}

export function runCommand(command: string, args: readonly string[], opts: CommandOptions = {}): Promise<CommandRun> {
  const proc = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], timeout: opts.timeoutMs });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  proc.stdout.on('data', (d: Buffer) => out.push(d));
  proc.stderr.on('data', (d: Buffer) => err.push(d));
  proc.stdin.on('error', () => undefined); // a command that exits without reading its input
  proc.stdin.end(opts.input ?? '');
  return new Promise((resolve) => {
    proc.on('error', (e) => err.push(Buffer.from(String(e))));
    proc.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}
