/**
 * The only place dpc runs programs on a Node. Tools are found the way a shell finds them, plus the sbin dirs a
 * DaemonSet's or a cron job's PATH often lacks; a missing tool is one clear error, never a stack.
 */
import { execFileSync } from 'node:child_process';
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

/**
 * A named moment of an apply. With DPC_FAULT_KILL_AT set to its name, the process kills itself there with
 * SIGKILL: how the tests prove that an apply interrupted at any step leaves each kind whole.
 */
export function checkpoint(step: string): void {
  if (process.env.DPC_FAULT_KILL_AT === step) process.kill(process.pid, 'SIGKILL');
}
