/**
 * Pod bandwidth annotations on real kernels, end to end: the compiled bundle is applied by `dpc apply` inside a
 * network namespace standing for the Node (its OVS parts to a private OVS, its tc/ part to the Node's kernel), the
 * Pods are namespaces whose host-side veths carry the interface names the bundle assumes, and iperf3 measures TCP
 * between them: an annotated Pod sending (its egress: ifb + tbf) and receiving (its ingress: tbf on the host side),
 * and an unannotated Pod both ways.
 *
 * A Linux bridge joins the host-side veths where Antrea has OVS's kernel datapath: both take packets from the veth
 * through its rx_handler, after tc's ingress hook, so the redirect to the ifb happens first, as on a Node. (OVS's
 * userspace datapath cannot stand in here: it reads a veth through an AF_PACKET socket, which sees each packet before
 * tc's ingress hook, so the Pod's egress would reach it unshaped.)
 *
 * Rates: 15M ingress and 5M egress, as containerd passes them with a 4294967295-bit burst, leave a 21.5 MB bucket
 * once the kernel's 32-bit ticks have wrapped (runtime/kinds/tc.ts shownTbf); iperf3 omits the first 2 s, which
 * drains it at the unshaped rate measured here, and reports what the receiver got over the next 4 s.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupAll, requireOvs, startOvs, type Ovs } from './harness/ovs.js';
import { createNetns, HAVE_NETNS, type Netns } from './harness/netns.js';
import { addPodsAssumedBy, compileTo, stateDirFor, dpcAsync } from './runtime/node.js';
import { shownTbf, ticksPerUsec } from '../runtime/kinds/tc.js';
import { withHostLock } from './harness/hostLock.js';

const HAVE_OVS = requireOvs();
const NODE = 'node-1';
const INGRESS_BITS = 15_000_000;
const EGRESS_BITS = 5_000_000;
const SERVER_IP = '10.10.1.20';

const pod = (name: string, ip: string, annotations = '{}') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: default, annotations: ${annotations}}
spec: {nodeName: ${NODE}, containers: [{name: c, image: i}]}
status: {podIP: ${ip}}
`;
const SNAPSHOT = [
  `apiVersion: v1
kind: Node
metadata: {name: ${NODE}, labels: {kubernetes.io/hostname: ${NODE}, kubernetes.io/os: linux}}
spec: {podCIDR: 10.10.1.0/24}
status: {addresses: [{type: InternalIP, address: 192.168.77.101}]}
`,
  pod('shaped', '10.10.1.10', `{kubernetes.io/ingress-bandwidth: "${INGRESS_BITS / 1e6}M", kubernetes.io/egress-bandwidth: "${EGRESS_BITS / 1e6}M"}`),
  pod('plain', '10.10.1.11'),
  pod('server', SERVER_IP),
].join('---\n');

interface Iperf {
  /** Absent when iperf3 reports an error in its JSON instead (e.g. the one-test server still busy). */
  end?: { sum_received?: { bits_per_second: number; seconds: number } };
  error?: string;
}

describe.skipIf(!HAVE_OVS || !HAVE_NETNS)('Pod bandwidth annotations measured with iperf3', () => {
  let ovs: Ovs;
  let node: Netns;
  const pods = new Map<string, Netns>();
  const procs: ChildProcess[] = [];
  let out: string;

  beforeAll(async () => {
    ovs = await startOvs();
    out = compileTo([{ name: 'snapshot.yaml', text: SNAPSHOT }], [NODE]);
    addPodsAssumedBy(ovs, out, NODE);
    const meta = JSON.parse(readFileSync(join(out, NODE, 'bundle.json'), 'utf8')) as { inventory: { pods: { name: string; interface: string; ip: string }[] } };
    node = createNetns('bw-node');
    node.ip(['link add br-pods type bridge', 'address add 10.10.1.1/24 dev br-pods', 'link set br-pods up']);
    for (const p of meta.inventory.pods) {
      const ns = createNetns(`bw-${p.name}`);
      pods.set(p.name, ns);
      ns.ip([`link add eth0 type veth peer name ${p.interface} netns ${node.name}`, `address add ${p.ip}/24 dev eth0`, 'link set eth0 up']);
      node.ip([`link set ${p.interface} master br-pods`, `link set ${p.interface} up`]);
    }
    const applied = await dpcAsync(ovs, stateDirFor(ovs), ['apply', out, '--node', NODE], {}, node.name);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    const server = spawn('ip', ['netns', 'exec', pods.get('server')!.name, 'iperf3', '-s', '-B', SERVER_IP, '--forceflush']);
    procs.push(server);
    await new Promise<void>((resolve, reject) => {
      server.stdout!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
      server.stderr!.on('data', (d: Buffer) => reject(new Error(`iperf3 server: ${d.toString()}`)));
      server.on('exit', (c) => reject(new Error(`iperf3 server exited ${c}`)));
    });
  }, 120_000);
  afterAll(async () => {
    for (const p of procs) if (p.pid && p.exitCode === null) process.kill(p.pid);
    for (const ns of pods.values()) ns.delete();
    node?.delete();
    await cleanupAll();
  });

  /** Bits per second the receiving side got; `reverse`: the server sends to the Pod. */
  const measure = (pod: string, reverse: boolean): Promise<number> => withHostLock('iperf3', async () => {
    const direction = reverse ? ['-R'] : [];
    // An unmeasured run first: on a loaded machine the omitted seconds alone may not empty the tbf's starting
    // bucket (one full-suite run under load ~22 measured several times the rate); the refill between the runs
    // is rate × a few hundred ms, which the measured run's own omitted second covers.
    await pods.get(pod)!.runAsync('iperf3', ['-c', SERVER_IP, '-t', '3', '-J', ...direction], 60_000);
    // The server runs one test at a time and may still be closing the previous one: a run that reports no result
    // (a failed run, or exit 0 with an error in its JSON, seen once in CI) is run again, at most twice more; a
    // result is never run again, whatever its value.
    for (let attempt = 1; ; attempt++) {
      const run = await pods.get(pod)!.runAsync('iperf3', ['-c', SERVER_IP, '-t', '4', '-O', '1', '-J', ...direction], 60_000);
      const r = run.status === 0 ? (JSON.parse(run.stdout) as Iperf) : undefined;
      const bits = r?.end?.sum_received?.bits_per_second;
      if (bits !== undefined) return bits;
      if (attempt === 3) throw new Error(`iperf3 in ${pod} gave no result (${run.status}): ${r?.error ?? ''} ${run.stderr.trim()} ${run.stdout.slice(0, 300)}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  });

  test('the annotated Pod gets its rates both ways (tbf and ifb); the unannotated Pod is far faster', async () => {
    // The bucket each tbf starts with, as the kernel holds it: small enough to drain within iperf3's omitted 2 s.
    const tick = ticksPerUsec();
    for (const bits of [INGRESS_BITS, EGRESS_BITS]) {
      const bucket = shownTbf(bits / 8, 536_870_911, 0, tick).burst;
      expect(bucket, `${bits} bit/s`).toBeLessThan(25_000_000);
    }
    const plainUp = await measure('plain', false);
    const plainDown = await measure('plain', true);
    const up = await measure('shaped', false);
    const down = await measure('shaped', true);
    const qdiscs = JSON.parse(node.exec('tc', ['-j', 'qdisc', 'show'])) as { kind: string; dev: string; options?: unknown }[];
    const report = { plainUp, plainDown, up, down, tbf: qdiscs.filter((q) => q.kind === 'tbf').map((q) => ({ dev: q.dev, ...(q.options as object) })) };
    console.log(`iperf3 (bit/s): ${JSON.stringify(report)}`);
    // tbf counts whole frames and TCP delivers only the payload: 1448 of 1514 bytes (0.956) in full-size segments,
    // which is what an idle machine measures (0.957 and 0.960). 8% below that allows for scheduling on the loaded
    // 2-core machine; above, nothing beyond the frame rate itself but interval edges (2%): a bucket not drained
    // in the omitted seconds would show as several times the rate.
    const PAYLOAD = 1448 / 1514;
    for (const [got, rate] of [[up, EGRESS_BITS], [down, INGRESS_BITS]] as const) {
      expect(got / rate, JSON.stringify(report)).toBeGreaterThan(PAYLOAD - 0.08);
      expect(got / rate, JSON.stringify(report)).toBeLessThan(1.02);
    }
    // Unshaped, the same path carries several times the larger rate (the bucket drains within the omitted 2 s).
    expect(plainUp, JSON.stringify(report)).toBeGreaterThan(4 * INGRESS_BITS);
    expect(plainDown, JSON.stringify(report)).toBeGreaterThan(4 * INGRESS_BITS);
  }, 120_000);
});
