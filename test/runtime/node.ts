/**
 * A simulated Node for runtime tests: a private OVS whose Pod ports are created the way Antrea's CNI creates
 * them (Interface external_ids antrea-type=container, pod-namespace, pod-name, attached-mac, ip-address), and
 * the dpc command run against it as an operator would run it on the Node.
 */
import { tempDir } from '../harness/tempDir.js';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../../compiler/compile.js';
import type { SourceText } from '../../compiler/ingest/documents.js';
import { writeBundles } from '../../cli/writeBundles.js';
import { REPO_ROOT } from '../repoRoot.js';
import { runCommand, type CommandRun } from '../harness/command.js';
import type { Ovs } from '../harness/ovs.js';
import { createNetns, type Netns } from '../harness/netns.js';

export const DPC = join(REPO_ROOT, 'dist', 'cli', 'dpc.js');

export interface CniPod {
  namespace: string;
  name: string;
  iface: string;
  ofport: number;
  mac: string;
  ip: string;
}

/** What the CNI plugin does for a Pod on this Node: one port on br-int, marked as Antrea marks it. */
export function addCniPort(ovs: Ovs, p: CniPod): void {
  ovs.vsctl(
    'add-port', ovs.bridge, p.iface,
    '--', 'set', 'interface', p.iface, 'type=dummy', `ofport_request=${p.ofport}`, `options:tx_pcap=${join(ovs.dir, `${p.iface}.pcap`)}`,
    'external_ids:antrea-type=container', `external_ids:pod-namespace=${p.namespace}`, `external_ids:pod-name=${p.name}`,
    `external_ids:attached-mac="${p.mac}"`, `external_ids:ip-address="${p.ip}"`,
  );
}

export function readSources(dir: string): SourceText[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') }));
}

export const goldenInput = (name: string): SourceText[] => readSources(join(REPO_ROOT, 'golden', name, 'input'));

/** Compiles to a fresh output dir (as `dpc compile -o` writes it) and returns the dir. */
export function compileTo(sources: readonly SourceText[], nodes?: string[]): string {
  const r = compile(sources, nodes ? { nodes } : {});
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (!r.ok) throw new Error(`compile failed: ${JSON.stringify(errors)}`);
  const out = join(tempDir('dpc-out-'), 'out');
  writeBundles(out, r.bundles, r.manifest);
  return out;
}

export type DpcResult = CommandRun;

export function nodeEnv(ovs: Ovs, stateDir: string): NodeJS.ProcessEnv {
  return { ...ovs.env, DPC_STATE_DIR: stateDir, NODE_NAME: '' };
}

const namespaces = new WeakMap<Ovs, Netns>();

/**
 * The network namespace dpc runs in for this Node unless a test names one: the Node's own, made on first use. Run
 * in the host's, a bundle's iptables chains and ipsets would land on the host, where another test file applying
 * another bundle at the same time changes them under this one (a re-apply then is not 'unchanged').
 */
export function netnsOf(ovs: Ovs): Netns {
  let ns = namespaces.get(ovs);
  if (!ns) {
    ns = createNetns('node');
    ovs.onStop(ns.delete);
    namespaces.set(ovs, ns);
  }
  return ns;
}

/** `netns`: run inside that network namespace (ip netns exec), as an operator would on a Node; else the Node's own; null: the test's. */
export function dpc(ovs: Ovs, stateDir: string, args: string[], env: NodeJS.ProcessEnv = {}, netns?: string | null): DpcResult {
  const [cmd, argv] = command(args, netns === undefined ? netnsOf(ovs).name : netns);
  const r = spawnSync(cmd, argv, { env: { ...nodeEnv(ovs, stateDir), ...env }, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `ip netns exec` execs dpc in place, so the child's PID is dpc's own (a kill reaches dpc, not a wrapper). */
// ip by its path: a test may give dpc a PATH without it (the missing-tool test).
const IP = execFileSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).trim() || 'ip';
const command = (args: string[], netns: string | null): [string, string[]] =>
  netns ? [IP, ['netns', 'exec', netns, process.execPath, DPC, ...args]] : [process.execPath, [DPC, ...args]];

export function spawnDpc(ovs: Ovs, stateDir: string, args: string[], netns?: string | null, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const [cmd, argv] = command(args, netns === undefined ? netnsOf(ovs).name : netns);
  return spawn(cmd, argv, { env: { ...nodeEnv(ovs, stateDir), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function stateDirFor(ovs: Ovs): string {
  const d = join(ovs.dir, 'dpc-state');
  mkdirSync(d, { recursive: true });
  return d;
}


/** Plays the CNI for every Pod a compiled bundle assumes, with the bundle's interface names, ofports and MACs. */
export function addPodsAssumedBy(ovs: Ovs, out: string, node: string): void {
  const meta = JSON.parse(readFileSync(join(out, node, 'bundle.json'), 'utf8')) as {
    inventory: { pods: { namespace: string; name: string; interface: string; ofport: number; mac: string; ip: string }[] };
  };
  for (const p of meta.inventory.pods) addCniPort(ovs, { namespace: p.namespace, name: p.name, iface: p.interface, ofport: p.ofport, mac: p.mac, ip: p.ip });
}

/** dpc without blocking the test worker's event loop (long runs otherwise starve vitest's own messages). */
export function dpcAsync(ovs: Ovs, stateDir: string, args: string[], env: NodeJS.ProcessEnv = {}, netns?: string | null): Promise<DpcResult> {
  const [cmd, argv] = command(args, netns === undefined ? netnsOf(ovs).name : netns);
  return runCommand(cmd, argv, { env: { ...nodeEnv(ovs, stateDir), ...env } });
}
