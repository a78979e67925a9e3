// Network namespaces made by a test, for host rules on a real kernel: iptables, ip6tables and ipset loaded with
// the commands a Node uses, veth links between namespaces, and processes run inside. Only namespaces this module
// created are touched, and each is deleted by name when the test ends.

import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { runCommand } from './command.js';

const TIMEOUT_MS = 30_000;

function commandWorks(cmd: string, args: string[]): boolean {
  try {
    return spawnSync(cmd, args, { stdio: 'ignore', timeout: TIMEOUT_MS }).status === 0;
  } catch {
    return false;
  }
}

/** Root, `ip netns`, iptables, ip6tables and ipset: what host-rule tests need. Probed once per process. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root for network namespaces';
  for (const [cmd, args] of [['ip', ['netns', 'list']], ['iptables', ['--version']], ['ip6tables', ['--version']], ['ipset', ['--version']]] as const) {
    if (!commandWorks(cmd, [...args])) return `needs ${cmd}`;
  }
  return undefined;
}

export const HAVE_NETNS = netnsUnavailable() === undefined;

export interface Netns {
  readonly name: string;
  /** Runs a command inside the namespace; throws with its stderr on failure. */
  exec(cmd: string, args: readonly string[], input?: string): string;
  /** `ip -batch` inside the namespace: one process for many ip commands (each line without the leading `ip`). */
  ip(lines: readonly string[]): void;
  /** As exec, without throwing: status, stdout and stderr. */
  run(cmd: string, args: readonly string[], input?: string): { status: number; stdout: string; stderr: string };
  /**
   * As run, without blocking the event loop: for commands that last seconds (iperf3), which a test worker must
   * not wait for synchronously (its runner's calls would time out). `timeoutMs` kills the command.
   */
  runAsync(cmd: string, args: readonly string[], timeoutMs?: number): Promise<{ status: number; stdout: string; stderr: string }>;
  delete(): void;
}

/** A fresh namespace with its loopback up. `tag` keeps names readable in `ip netns list` while a test runs. */
export function createNetns(tag: string): Netns {
  const name = `dpc-${tag}-${randomBytes(3).toString('hex')}`.slice(0, 30);
  execFileSync('ip', ['netns', 'add', name], { timeout: TIMEOUT_MS });
  const run = (cmd: string, args: readonly string[], input?: string) => {
    const r = spawnSync('ip', ['netns', 'exec', name, cmd, ...args], { input, encoding: 'utf8', timeout: TIMEOUT_MS });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
  };
  const ns: Netns = {
    name,
    run,
    exec(cmd, args, input) {
      const r = run(cmd, args, input);
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${name} failed (${r.status}): ${r.stderr.trim()}`);
      return r.stdout;
    },
    ip(lines) {
      const r = spawnSync('ip', ['-n', name, '-batch', '-'], { input: `${lines.join('\n')}\n`, encoding: 'utf8', timeout: TIMEOUT_MS });
      if (r.status !== 0) throw new Error(`ip -batch in ${name} failed (${r.status}): ${(r.stderr ?? String(r.error)).trim()}`);
    },
    async runAsync(cmd, args, timeoutMs = TIMEOUT_MS) {
      const r = await runCommand('ip', ['netns', 'exec', name, cmd, ...args], { timeoutMs });
      return { status: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    delete() {
      // Processes the test started inside (a server's children included) would outlive the name and keep the
      // namespace alive: they go first, by PID.
      const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8', timeout: TIMEOUT_MS }).stdout ?? '';
      for (const pid of pids.split('\n').filter((l) => /^\d+$/.test(l))) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: TIMEOUT_MS });
    },
  };
  ns.ip(['link set lo up']);
  return ns;
}

/** Loads host artifacts the way a Node does: sets first (rules refer to them), then one restore per family. */
export function loadHostArtifacts(ns: Netns, files: { ipsets?: string; ipv4?: string; ipv6?: string; jumps?: string }): void {
  if (files.ipsets) ns.exec('ipset', ['restore'], files.ipsets);
  if (files.ipv4) ns.exec('iptables-restore', ['--noflush'], files.ipv4);
  if (files.ipv6) ns.exec('ip6tables-restore', ['--noflush'], files.ipv6);
  for (const line of (files.jumps ?? '').split('\n').filter(Boolean)) ns.exec('sh', ['-c', line]);
}

/**
 * The owned part of iptables-save output: per table, the `:` lines and `-A` lines of the given chains, with the
 * table and COMMIT lines around them; built-in chains and the generated-by comments are left out.
 */
export function ownedSave(saveText: string, owned: (table: string, chain: string) => boolean): string {
  const out: string[] = [];
  let table = '';
  let block: string[] = [];
  for (const line of saveText.split('\n')) {
    if (line.startsWith('*')) {
      table = line.slice(1);
      block = [];
    } else if (line === 'COMMIT') {
      if (block.length > 0) out.push(`*${table}`, ...block, 'COMMIT');
    } else if (line.startsWith(':')) {
      const chain = line.slice(1).split(' ')[0]!;
      if (owned(table, chain)) block.push(line);
    } else if (line.startsWith('-A ')) {
      const chain = line.split(' ')[1]!;
      if (owned(table, chain)) block.push(line);
    }
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
