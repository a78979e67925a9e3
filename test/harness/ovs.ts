// A private userspace Open vSwitch per test "Node": its own ovsdb-server and ovs-vswitchd in a fresh temp dir,
// a dummy datapath (no kernel module, no system devices), and dummy ports whose output lands in pcap files.
// Everything talks to the daemons through the temp dir only (OVS_RUNDIR and the db socket), never to a host OVS.

import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ipToBytes, parsePcap } from './packets.js';

const BINARIES = ['ovsdb-tool', 'ovsdb-server', 'ovs-vswitchd', 'ovs-vsctl', 'ovs-ofctl', 'ovs-appctl', 'ovsdb-client'] as const;
type Binary = (typeof BINARIES)[number];

// The daemons install into sbin, which the PATH of a non-login shell or CI runner often lacks.
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

const COMMAND_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
const PCAP_SETTLE_MS = 500;

export interface Ovs {
  /** The temp dir holding the database, sockets, pidfiles, logs and pcaps; removed by stop(). */
  readonly dir: string;
  /** The integration bridge (default 'br-int'). */
  readonly bridge: string;
  /** process.env plus OVS_RUNDIR/OVS_LOGDIR/OVS_DBDIR pointing at dir, for running other OVS tools by hand. */
  readonly env: NodeJS.ProcessEnv;
  readonly pids: { readonly ovsdbServer: number; readonly vswitchd: number };
  vsctl(...args: string[]): string;
  /** ovs-ofctl -O OpenFlow15 ... */
  ofctl(...args: string[]): string;
  appctl(...args: string[]): string;
  /** One OVSDB transaction on the Open_vSwitch database; throws if any operation failed. */
  transact(operations: unknown[]): unknown;
  /** Adds a port whose transmitted frames are written to the returned pcap path. */
  addDummyPort(name: string, ofport: number, opts?: { mac?: string }): string;
  replaceFlows(flowsText: string): void;
  addGroups(lines: string[]): void;
  addMeters(lines: string[]): void;
  /** Flows in OVS's canonical text, in OVS's order. */
  dumpMeters(): string[];
  dumpFlows(): string[];
  trace(flow: string, ctNext?: string[]): string;
  /** Feeds one frame into the datapath as if received on `port`; returns once the datapath has handled it. */
  inject(port: string, frame: Buffer): void;
  /** Every frame transmitted so far on a port added with addDummyPort (or the underlay's 'uplink'). */
  sent(port: string): Buffer[];
  conntrack(): string;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Availability

function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this dir
    }
  }
  return undefined;
}

let resolvedBinaries: Map<Binary, string> | undefined;

export function ovsAvailability(): { ok: boolean; why?: string } {
  const missing: string[] = [];
  const found = new Map<Binary, string>();
  for (const name of BINARIES) {
    const path = findBinary(name);
    if (path) found.set(name, path);
    else missing.push(name);
  }
  const problems: string[] = [];
  if (missing.length) problems.push(`missing ${missing.join(', ')} (apt-get install openvswitch-switch)`);
  // The recipe this harness follows is verified as root only (as the project's machines and CI run).
  if (process.getuid?.() !== 0) problems.push('not running as root');
  if (problems.length) return { ok: false, why: `Open vSwitch unavailable: ${problems.join('; ')}` };
  resolvedBinaries = found;
  return { ok: true };
}

export function requireOvs(): boolean {
  const { ok, why } = ovsAvailability();
  if (ok) return true;
  if (process.env.CI === 'true') throw new Error(why);
  process.stderr.write(`skipping Open vSwitch tests: ${why}\n`);
  return false;
}

/** Instances exist only through startOvs(), which has resolved the binaries by then. */
function binary(name: Binary): string {
  const path = resolvedBinaries?.get(name);
  if (!path) throw new Error(`${name} not resolved: ovsAvailability() has not succeeded`);
  return path;
}

// ---------------------------------------------------------------------------------------------
// Process helper

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Runs a command to completion and returns its stdout; a non-zero exit throws with the command line and stderr. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync(command, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: COMMAND_TIMEOUT_MS, maxBuffer: 1 << 30 });
  } catch (err) {
    const e = err as { stderr?: string; status?: number | null; signal?: string | null; message: string };
    const how = e.status != null ? `exit ${e.status}` : e.signal ? `signal ${e.signal}` : 'failed';
    const detail = e.stderr?.trim() || e.message;
    throw new Error(`${[command, ...args].map(quote).join(' ')}: ${how}\n${detail}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Daemon lifecycle

/** A signal-0 probe is not enough: a daemon that exited stays a zombie when the init process does not reap. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

const live = new Set<OvsInstance>();

/** Synchronous, because it runs from 'exit', where no further event-loop turn happens. */
function killLeftovers(): void {
  const pids = [...live].flatMap((instance) => instance.daemonPids());
  for (const pid of pids) signal(pid, 'SIGKILL');
  const deadline = Date.now() + 1_000;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (pids.some(isRunning) && Date.now() < deadline) Atomics.wait(nap, 0, 0, 10);
  for (const instance of live) rmSync(instance.dir, { recursive: true, force: true });
  live.clear();
}

let safetyNetInstalled = false;

/**
 * A test run that crashes or forgets afterAll must not leave daemons behind. vitest ends its workers with
 * SIGTERM, which skips 'exit' handlers, so the signals are caught too and then re-raised to end the process
 * the way they would have.
 */
function installSafetyNet(): void {
  if (safetyNetInstalled) return;
  safetyNetInstalled = true;
  process.on('exit', killLeftovers);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killLeftovers();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

class OvsInstance implements Ovs {
  readonly env: NodeJS.ProcessEnv;
  private readonly dbSocket: string;
  private ovsdbServerPid = 0;
  private vswitchdPid = 0;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    readonly bridge: string,
    private readonly host: OvsHost = {},
  ) {
    this.env = { ...process.env, OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir };
    this.dbSocket = join(dir, 'db.sock');
  }

  get pids(): { ovsdbServer: number; vswitchd: number } {
    return { ovsdbServer: this.ovsdbServerPid, vswitchd: this.vswitchdPid };
  }

  daemonPids(): number[] {
    return [this.vswitchdPid, this.ovsdbServerPid].filter((pid) => pid > 0);
  }

  boot(): void {
    const db = join(this.dir, 'conf.db');
    // Without a schema argument ovsdb-tool uses the vswitch schema of the installed OVS.
    this.exec('ovsdb-tool', 'create', db);
    // Default pidfile names matter: ovs-appctl and ovs-ofctl find the daemons through OVS_RUNDIR only then.
    this.exec('ovsdb-server', db, `--remote=punix:${this.dbSocket}`, '--pidfile', '--detach', '--log-file');
    this.ovsdbServerPid = this.readPid('ovsdb-server');
    this.vsctl('--no-wait', 'init');
    // Not --enable-dummy=override: that would turn tunnel ports into plain dummies that never encapsulate.
    const vswitchd = [binary('ovs-vswitchd'), '--enable-dummy', '--disable-system', `unix:${this.dbSocket}`, '--pidfile', '--detach', '--log-file'];
    // In a namespace, the daemon's internal ports are tap devices there and its system ports that namespace's links.
    if (this.host.netns) run('ip', ['netns', 'exec', this.host.netns, ...vswitchd], this.env);
    else run(vswitchd[0]!, vswitchd.slice(1), this.env);
    this.vswitchdPid = this.readPid('ovs-vswitchd');
    this.vsctl(
      'add-br', this.bridge,
      '--', 'set', 'bridge', this.bridge, `datapath_type=${this.host.datapath ?? 'dummy'}`, 'protocols=OpenFlow10,OpenFlow13,OpenFlow15', 'fail-mode=secure',
    );
  }

  private readPid(daemon: string): number {
    const pid = Number(readFileSync(join(this.dir, `${daemon}.pid`), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`${daemon}: bad pidfile in ${this.dir}`);
    return pid;
  }

  private exec(name: Binary, ...args: string[]): string {
    return run(binary(name), args, this.env);
  }

  vsctl(...args: string[]): string {
    // --timeout: a wedged ovs-vswitchd should fail the test, not hang it waiting for reconfiguration.
    return this.exec('ovs-vsctl', `--db=unix:${this.dbSocket}`, '--timeout=10', ...args);
  }

  ofctl(...args: string[]): string {
    return this.exec('ovs-ofctl', '-O', 'OpenFlow15', ...args);
  }

  appctl(...args: string[]): string {
    return this.exec('ovs-appctl', '--timeout=10', ...args);
  }

  transact(operations: unknown[]): unknown {
    const out = this.exec('ovsdb-client', 'transact', `unix:${this.dbSocket}`, JSON.stringify(['Open_vSwitch', ...operations]));
    const results: unknown = JSON.parse(out);
    const errors = Array.isArray(results)
      ? results.filter((r): r is { error: unknown } => typeof r === 'object' && r !== null && 'error' in r)
      : [];
    if (errors.length) throw new Error(`ovsdb transaction failed: ${JSON.stringify(errors)}`);
    return results;
  }

  addDummyPort(name: string, ofport: number, opts: { mac?: string } = {}): string {
    const pcap = join(this.dir, `${name}.pcap`);
    // ovs-vswitchd applies the Interface "mac" column to internal interfaces only. On a dummy datapath an
    // internal interface is a "dummy-internal" netdev, which behaves like type=dummy (tx_pcap, receive).
    const typeAndMac = opts.mac ? ['type=internal', `mac="${opts.mac}"`] : ['type=dummy'];
    this.vsctl(
      'add-port', this.bridge, name,
      '--', 'set', 'interface', name, ...typeAndMac, `ofport_request=${ofport}`, `options:tx_pcap=${pcap}`,
    );
    return pcap;
  }

  replaceFlows(flowsText: string): void {
    const file = join(this.dir, 'replace-flows.txt');
    writeFileSync(file, flowsText.endsWith('\n') ? flowsText : `${flowsText}\n`);
    try {
      this.ofctl('--bundle', 'replace-flows', this.bridge, file);
    } catch (err) {
      // Retry only if the switch rejected bundles as such. OFPBFC_MSG_FAILED means a flow inside the bundle
      // failed: retrying without the bundle would just apply the good flows non-atomically and fail again.
      const text = String(err);
      if (!/OFPT_BUNDLE|bundle/i.test(text) || /OFPBFC_MSG_FAILED/.test(text)) throw err;
      this.ofctl('replace-flows', this.bridge, file);
    }
  }

  addGroups(lines: string[]): void {
    const file = join(this.dir, 'groups.txt');
    writeFileSync(file, `${lines.join('\n')}\n`);
    this.ofctl('add-groups', this.bridge, file);
  }

  addMeters(lines: string[]): void {
    // ovs-ofctl has no add-meters for a file.
    for (const line of lines) this.ofctl('add-meter', this.bridge, line);
  }

  /** The bridge's meters, each spelled as the `add-meter` argument that would create it. */
  dumpMeters(): string[] {
    return this.ofctl('-O', 'OpenFlow15', 'dump-meters', this.bridge)
      .split(/\n\s*\n/)
      .map((block) => block.replace(/^OFPST_METER_CONFIG.*\n/, '').trim())
      .filter((block) => block.startsWith('meter='))
      .map((block) => block.split(/\s+/).join(',').replace('bands=,', 'bands='));
  }

  dumpFlows(): string[] {
    return this.ofctl('--no-names', '--no-stats', 'dump-flows', this.bridge)
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
  }

  trace(flow: string, ctNext: string[] = []): string {
    return this.appctl('ofproto/trace', ...ctNext.flatMap((state) => ['--ct-next', state]), this.bridge, flow);
  }

  inject(port: string, frame: Buffer): void {
    this.appctl('netdev-dummy/receive', port, frame.toString('hex'));
    // netdev-dummy/receive only queues the frame; ovs-vswitchd's main loop runs the datapath (upcalls,
    // recirculation and output included) before it serves the next control command, so any command
    // answered after this one proves the frame was handled.
    this.appctl('version');
  }

  sent(port: string): Buffer[] {
    const path = join(this.dir, `${port}.pcap`);
    const deadline = Date.now() + PCAP_SETTLE_MS;
    for (;;) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(path);
      } catch {
        return []; // a port that never existed or was never configured has sent nothing
      }
      const frames = parsePcap(bytes);
      // Each record is written with two fwrite calls and then flushed, so a reader can catch half of one.
      const complete = bytes.length === 0 || bytes.length === frames.reduce((n, f) => n + 16 + f.length, 24);
      if (complete || Date.now() > deadline) return frames;
      this.appctl('version');
    }
  }

  conntrack(): string {
    return this.appctl('dpctl/dump-conntrack');
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    live.delete(this);
    const pids = this.daemonPids();
    for (const pid of pids) signal(pid, 'SIGTERM');
    let deadline = Date.now() + STOP_TIMEOUT_MS;
    while (pids.some(isRunning)) {
      if (Date.now() > deadline) {
        for (const pid of pids.filter(isRunning)) signal(pid, 'SIGKILL');
        deadline = Infinity; // SIGKILL cannot be refused; just wait for it to land
      }
      await sleep(10);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(join(this.dir, 'ovs-vswitchd.log'), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no ovs-vswitchd.log)';
    }
  }
}

/**
 * Where ovs-vswitchd runs. The default is the dummy datapath in the test's own namespace (ports need no kernel
 * device); `netdev` inside a network namespace carries real kernel traffic: veths of that namespace as ports, and
 * internal ports as tap devices there (notes: OVS and the kernel together).
 */
export interface OvsHost {
  netns?: string;
  datapath?: 'dummy' | 'netdev';
}

export async function startOvs(opts: { bridge?: string } & OvsHost = {}): Promise<Ovs> {
  const { ok, why } = ovsAvailability();
  if (!ok) throw new Error(why);
  installSafetyNet();
  const host: OvsHost = {};
  if (opts.netns) host.netns = opts.netns;
  if (opts.datapath) host.datapath = opts.datapath;
  const instance = new OvsInstance(mkdtempSync(join(tmpdir(), 'ovs-')), opts.bridge ?? 'br-int', host);
  live.add(instance);
  try {
    instance.boot();
  } catch (err) {
    const log = instance.logTail();
    await instance.stop();
    throw new Error(`starting Open vSwitch failed: ${String(err)}\nlast lines of ovs-vswitchd.log:\n${log}`);
  }
  return instance;
}

/** Stops every instance this process started and has not stopped yet (for afterAll). */
export async function cleanupAll(): Promise<void> {
  await Promise.all([...live].map((instance) => instance.stop()));
}

// ---------------------------------------------------------------------------------------------
// Underlay for cross-Node tunnels

export const UNDERLAY_BRIDGE = 'br-phy';
export const UPLINK_PORT = 'uplink';

export interface Underlay {
  /** The Node's InternalIP. */
  ip: string;
  /** br-phy's MAC: the outer source MAC of this Node's tunnel packets, and the outer destination MAC peers use. */
  mac: string;
  /** Where the encapsulated packets this Node sends are written. */
  uplinkPcap: string;
}

function networkAddress(ip: string, prefixLen: number): string {
  const mask = prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
  const network = (ipToBytes(ip).readUInt32BE(0) & mask) >>> 0;
  return [24, 16, 8, 0].map((shift) => (network >>> shift) & 0xff).join('.');
}

/**
 * Gives an instance an underlay bridge whose local port holds `nodeIP`, so that tunnel ports encapsulate
 * (tnl_push) out of its 'uplink' port, and frames injected on 'uplink' to this IP are decapsulated (tnl_pop).
 */
export function addUnderlay(ovs: Ovs, nodeIP: string, prefixLen: number): Underlay {
  const uplinkPcap = join(ovs.dir, `${UPLINK_PORT}.pcap`);
  // Pinned, because a bridge otherwise re-derives its MAC from its ports whenever they change, which would
  // invalidate the neighbor entries peers hold. Derived from the IP so that pcaps are easy to read.
  const hwaddr = `02:00:${[...ipToBytes(nodeIP)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
  ovs.vsctl(
    'add-br', UNDERLAY_BRIDGE,
    '--', 'set', 'bridge', UNDERLAY_BRIDGE, 'datapath_type=dummy', 'protocols=OpenFlow10,OpenFlow13,OpenFlow15',
    'fail-mode=secure', `other_config:hwaddr="${hwaddr}"`,
    '--', 'add-port', UNDERLAY_BRIDGE, UPLINK_PORT,
    '--', 'set', 'interface', UPLINK_PORT, 'type=dummy', 'ofport_request=1', `options:tx_pcap=${uplinkPcap}`,
  );
  ovs.appctl('netdev-dummy/ip4addr', UNDERLAY_BRIDGE, `${nodeIP}/${prefixLen}`);
  ovs.appctl('ovs/route/add', `${networkAddress(nodeIP, prefixLen)}/${prefixLen}`, UNDERLAY_BRIDGE);
  ovs.ofctl('add-flow', UNDERLAY_BRIDGE, 'actions=normal');
  const mac = JSON.parse(ovs.vsctl('get', 'interface', UNDERLAY_BRIDGE, 'mac_in_use')) as string;
  return { ip: nodeIP, mac, uplinkPcap };
}

/** Makes `a` address its tunnel packets for `b.ip` to `b.mac`: nothing relays ARP between instances. */
export function linkUnderlay(a: Ovs, b: { ip: string; mac: string }): void {
  a.appctl('tnl/neigh/set', UNDERLAY_BRIDGE, b.ip, b.mac);
}
