/**
 * The only place dpc runs programs on a Node. Tools are found the way a shell finds them, plus the sbin dirs a
 * DaemonSet's or a cron job's PATH often lacks; a missing tool is one clear error, never a stack.
 */
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** Which package brings each tool, for the error a missing one gives. */
const PACKAGE: Record<string, string> = {
  'ovs-vsctl': 'openvswitch-switch',
  'ovs-ofctl': 'openvswitch-switch',
  'ovsdb-client': 'openvswitch-switch',
  iptables: 'iptables',
  'iptables-save': 'iptables',
  'iptables-restore': 'iptables',
  ip6tables: 'iptables',
  'ip6tables-save': 'iptables',
  'ip6tables-restore': 'iptables',
  ipset: 'ipset',
  ip: 'iproute2',
  tc: 'iproute2',
};

/** A failure the operator must act on (a missing tool or daemon, a refused bundle): exit 1, one message. */
export class RuntimeError extends Error {}

const found = new Map<string, string>();

export function findTool(name: string): string {
  const known = found.get(name);
  if (known) return known;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (!statSync(candidate).isFile()) continue;
      found.set(name, candidate);
      return candidate;
    } catch {
      // not here
    }
  }
  const pkg = PACKAGE[name];
  throw new RuntimeError(`${name} not found in PATH or ${SBIN_DIRS.join(', ')}${pkg ? ` (install ${pkg})` : ''}`);
}

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Exit codes that are answers, not failures (iptables -C exits 1 for "no such rule"). */
  okCodes?: readonly number[];
}

export interface RunResult {
  stdout: string;
  status: number;
}

const TIMEOUT_MS = 120_000;

export function runTool(name: string, args: readonly string[], opts: RunOptions = {}): RunResult {
  const path = findTool(name);
  try {
    const stdout = execFileSync(path, args, {
      env: opts.env ?? process.env,
      encoding: 'utf8',
      input: opts.input ?? '',
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: TIMEOUT_MS,
      maxBuffer: 1 << 30,
    });
    return { stdout, status: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; status?: number | null; signal?: string | null; message: string };
    if (e.status != null && opts.okCodes?.includes(e.status)) return { stdout: e.stdout ?? '', status: e.status };
    const how = e.status != null ? `exit ${e.status}` : e.signal ? `signal ${e.signal}` : 'failed';
    const detail = (e.stderr ?? '').trim() || e.message;
    throw new RuntimeError(`${name} ${args.join(' ')}: ${how}: ${detail}`);
  }
}

export const run = (name: string, args: readonly string[], opts: RunOptions = {}): string => runTool(name, args, opts).stdout;

/** runTool without blocking: the apply starts its independent reads at once and works while they run. */
export function runToolAsync(name: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const path = findTool(name);
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { env: opts.env ?? process.env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], timeout: TIMEOUT_MS });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => reject(new RuntimeError(`${name} ${args.join(' ')}: ${e.message}`)));
    child.on('close', (status, signal) => {
      trace(`${name} ${args[0] === '-O' ? args.slice(2, 3).join(' ') : args.slice(0, 1).join(' ')}`, t0);
      const stdout = Buffer.concat(out).toString('utf8');
      if (status === 0 || (status != null && opts.okCodes?.includes(status))) return resolve({ stdout, status });
      const how = status != null ? `exit ${status}` : signal ? `signal ${signal}` : 'failed';
      reject(new RuntimeError(`${name} ${args.join(' ')}: ${how}: ${Buffer.concat(err).toString('utf8').trim()}`));
    });
    // A tool that exits without reading its input fails by its exit code, not by the broken pipe.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input);
  });
}

export const runAsync = async (name: string, args: readonly string[], opts: RunOptions = {}): Promise<string> => (await runToolAsync(name, args, opts)).stdout;

/** With DPC_TRACE set, each tool run and apply phase prints its wall time to stderr (how the apply was profiled). */
export function trace(what: string, since: bigint): void {
  if (process.env.DPC_TRACE) process.stderr.write(`dpc trace: ${what} ${(Number(process.hrtime.bigint() - since) / 1e6).toFixed(1)} ms\n`);
}

/**
 * A named moment of an apply. With DPC_FAULT_KILL_AT set to its name, the process kills itself there with
 * SIGKILL: how the tests prove that an apply interrupted at any step leaves each kind whole.
 */
export function checkpoint(step: string): void {
  if (process.env.DPC_FAULT_KILL_AT === step) process.kill(process.pid, 'SIGKILL');
  // DPC_FAULT_PAUSE_AT=step,step: hold still there for DPC_FAULT_PAUSE_MS (a test's traffic then meets that state).
  if (process.env.DPC_FAULT_PAUSE_AT?.split(',').includes(step)) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.env.DPC_FAULT_PAUSE_MS ?? 1000));
  }
}
