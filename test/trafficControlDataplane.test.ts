/**
 * TrafficControl on real Open vSwitch beyond conformance/antrea-trafficcontrol (which conformanceCases.test.ts
 * runs): Antrea's redirect test transcribed the same way, checks that can fail, and pcaps of what the switch sends
 * to each kind of target, decoded by tshark.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { stringify, parse } from 'yaml';
import { compile } from '../compiler/compile.js';
import { formatDiagnostic } from '../compiler/diagnostics/diagnostic.js';
import { cleanupAll, requireOvs, UPLINK_PORT } from './harness/ovs.js';
import { encodePcap, ETH_TYPE, ethernet, icmpEcho, ipv4, IP_PROTO } from './harness/packets.js';
import { Cluster, PcapCursor, type ClusterNode } from './conformance/cluster.js';
import { runCases } from './conformance/runner.js';
import { CONFORMANCE_DIR } from './conformance/cases.js';
import { clusterSources, type ClusterSpec } from './fixtures/clusters.js';

const HAVE_OVS = requireOvs();
const CASES = join(CONFORMANCE_DIR, 'antrea-trafficcontrol');
const FIXTURE = join(CONFORMANCE_DIR, 'fixtures', 'antrea-xyz-tc.yaml');

afterAll(cleanupAll);

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

/** A case tree of its own: the in-repo fixture and the given case files. */
function caseTree(cases: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), 'dpc-tc-'));
  tmpDirs.push(root);
  mkdirSync(join(root, 'fixtures'));
  copyFileSync(FIXTURE, join(root, 'fixtures', 'antrea-xyz-tc.yaml'));
  for (const [name, doc] of Object.entries(cases)) {
    mkdirSync(dirname(join(root, 'cases', name)), { recursive: true });
    writeFileSync(join(root, 'cases', name), stringify(doc));
  }
  return join(root, 'cases');
}

async function run(dir: string): Promise<{ passed: number; failed: number; report: string }> {
  const lines: string[] = [];
  const s = await runCases(dir, { log: (l) => lines.push(l) });
  return { passed: s.passed, failed: s.failed, report: lines.join('\n') };
}

const caseDoc = (name: string): Record<string, unknown> => parse(readFileSync(join(CASES, `${name}.yaml`), 'utf8')) as Record<string, unknown>;

/**
 * Antrea's testRedirectToLocal (test/e2e/trafficcontrol_test.go, fc70f2bb, line 295; Apache-2.0), in the case
 * format: a veth pair target1/return1 on the control-plane Node, a TrafficControl redirecting both directions of
 * test-tc-pod to target1 and taking packets back from return1, 10 curls of /hostname from the collector Pod; the
 * counts on target1 (TX), return1 (RX) and the Pod's eth0 (RX+TX) agree within 10, and every curl gets the name.
 */
function redirectCase(): Record<string, unknown> {
  const local = caseDoc('mirror-to-local') as { steps: { objects: Record<string, unknown>[] }[] };
  const pods = local.steps[0]!.objects.filter((o) => o['kind'] === 'Pod');
  return {
    id: 'antrea-trafficcontrol/redirect-to-local',
    source: { repo: 'antrea-io/antrea', commit: 'fc70f2bb', file: 'test/e2e/trafficcontrol_test.go', symbol: 'testRedirectToLocal', line: 295, licence: 'Apache-2.0' },
    fixture: 'antrea-xyz-tc',
    steps: [
      {
        objects: [
          ...pods,
          {
            apiVersion: 'crd.antrea.io/v1alpha2',
            kind: 'TrafficControl',
            metadata: { name: 'tc-redirect-to-local' },
            spec: {
              appliedTo: { podSelector: { matchLabels: { 'tc-e2e': 'agnhost' } } },
              direction: 'Both',
              action: 'Redirect',
              targetPort: { device: { name: 'target1' } },
              returnPort: { device: { name: 'return1' } },
            },
          },
        ],
        checks: [
          {
            traffic: {
              from: 'x/test-packets-collector-pod',
              to: 'x/test-tc-pod',
              protocol: 'TCP',
              port: 8080,
              requests: 10,
              verdict: 'allow',
              redirectedTo: { port: 'target1', returnPort: 'return1', node: 'node-1', packets: 'pod', tolerance: 10 },
            },
          },
        ],
      },
    ],
  };
}

describe.skipIf(!HAVE_OVS)('TrafficControl cases beyond the shared ones, on real OVS', () => {
  test("Antrea's redirect test: through target1 and back through return1 to the Pod, every request answered", async () => {
    const r = await run(caseTree({ 'redirect-to-local.yaml': redirectCase() }));
    expect(r.failed, r.report).toBe(0);
    const m = /target1 sent by OVS (\d+), return1 back into OVS (\d+), x\/test-tc-pod received\+sent (\d+)/.exec(r.report);
    expect(m, r.report).not.toBeNull();
    // Four segments a request on the Pod's interface (SYN, GET in; SYN-ACK, answer out), every one redirected.
    expect(m!.slice(1).map(Number)).toEqual([40, 40, 40]);
    expect(r.report).toMatch(/answered by x\/test-tc-pod: 10 of 10/);
  }, 180_000);

  test('the checks can fail: mirroring one direction only counts half', async () => {
    const doc = caseDoc('mirror-to-local') as { steps: { objects: { kind: string; spec?: { direction?: string } }[] }[] };
    doc.steps[0]!.objects.find((o) => o.kind === 'TrafficControl')!.spec!.direction = 'Ingress';
    const r = await run(caseTree({ 'ingress-only.yaml': doc }));
    expect(r.failed).toBe(1);
    expect(r.report).toMatch(/node-1:test-port \(sent by OVS\): 100 \(expected 200 ± 10\) WRONG/);
  }, 180_000);

  test('the checks can fail: a Redirect without a way back answers nothing', async () => {
    const doc = redirectCase() as { steps: { objects: { kind: string; spec?: Record<string, unknown> }[] }[] };
    const spec = doc.steps[0]!.objects.find((o) => o.kind === 'TrafficControl')!.spec!;
    spec['returnPort'] = { device: { name: 'return2' } }; // return1 is attached to nothing: the veth's far end is lost
    const r = await run(caseTree({ 'no-return.yaml': doc }));
    expect(r.failed).toBe(1);
    expect(r.report).toMatch(/answered by x\/test-tc-pod: 0 of 10 WRONG/);
  }, 180_000);
});


// ---------------------------------------------------------------------------------------------
// What each kind of target receives, frame by frame

const REMOTE = '10.200.0.99';
const pcapCluster: ClusterSpec = {
  nodes: [{ name: 'alpha', podCIDR: '172.30.8.0/23', internalIP: '10.200.0.11' }],
  pods: [
    { namespace: 'web', name: 'client', node: 'alpha', ip: '172.30.9.7' },
    { namespace: 'web', name: 'server', node: 'alpha', ip: '172.30.8.25' },
    { namespace: 'web', name: 'red', node: 'alpha', ip: '172.30.8.30' },
    { namespace: 'web', name: 'gnv', node: 'alpha', ip: '172.30.8.31' },
    { namespace: 'web', name: 'gre', node: 'alpha', ip: '172.30.8.32' },
    { namespace: 'web', name: 'e1', node: 'alpha', ip: '172.30.8.33' },
    { namespace: 'web', name: 'e2', node: 'alpha', ip: '172.30.8.34' },
    { namespace: 'web', name: 'guarded', node: 'alpha', ip: '172.30.8.35' },
  ],
  agentConfig: 'trafficEncapMode: encap\ntunnelType: geneve\nfeatureGates: {TrafficControl: true}',
};

const tc = (name: string, app: string, direction: string, action: string, target: string): string =>
  `apiVersion: crd.antrea.io/v1alpha2\nkind: TrafficControl\nmetadata: {name: ${name}}\nspec:\n  appliedTo: {podSelector: {matchLabels: {app: ${app}}}}\n  direction: ${direction}\n  action: ${action}\n  targetPort: ${target}\n`;

const PCAP_TCS = [
  tc('mirror-client', 'client', 'Both', 'Mirror', '{device: {name: mir0}}'),
  tc('redirect-red', 'red', 'Ingress', 'Redirect', '{device: {name: red0}}'),
  tc('geneve', 'gnv', 'Egress', 'Mirror', `{geneve: {remoteIP: ${REMOTE}, vni: 5001}}`),
  tc('gre', 'gre', 'Egress', 'Mirror', `{gre: {remoteIP: ${REMOTE}, key: 77}}`),
  tc('erspan1', 'e1', 'Egress', 'Mirror', `{erspan: {remoteIP: ${REMOTE}, version: 1, sessionID: 9, index: 255}}`),
  tc('erspan2', 'e2', 'Egress', 'Mirror', `{erspan: {remoteIP: ${REMOTE}, version: 2, sessionID: 10, dir: 1, hardwareID: 3}}`),
  tc('mirror-guarded', 'guarded', 'Ingress', 'Mirror', '{device: {name: mir1}}'),
  // Isolates the guarded Pod for ingress: nothing may reach it.
  'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: isolate-guarded, namespace: web}\nspec:\n  podSelector: {matchLabels: {app: guarded}}\n  policyTypes: [Ingress]\n',
].join('---\n');

interface PodRef {
  interface: string;
  mac: string;
  ip: string;
}

function echo(from: PodRef, to: PodRef, seq: number): Buffer {
  const payload = icmpEcho({ type: 8, id: 0x4242, seq, payload: Buffer.alloc(32, seq) });
  return ethernet({ src: from.mac, dst: to.mac, type: ETH_TYPE.ipv4, payload: ipv4({ src: from.ip, dst: to.ip, proto: IP_PROTO.icmp, id: seq, payload }) });
}

/** tshark's reading of frames: one row a frame, the named fields (every occurrence, comma-separated). */
function tshark(frames: Buffer[], fields: string[]): string[][] {
  const dir = mkdtempSync(join(tmpdir(), 'dpc-tshark-'));
  tmpDirs.push(dir);
  const file = join(dir, 'frames.pcap');
  writeFileSync(file, encodePcap(frames));
  const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out.trim().split('\n').map((l) => l.split('|'));
}

const HAVE_TSHARK = (() => {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error('tshark is missing (make debs installs it)');
    process.stderr.write('skipping TrafficControl pcap tests: tshark is missing\n');
    return false;
  }
})();

describe.skipIf(!HAVE_OVS || !HAVE_TSHARK)('TrafficControl targets, frame by frame', () => {
  let cluster: Cluster;
  let node: ClusterNode;
  const pod = (name: string): PodRef => node.pod(`web/${name}`)!;

  /** Frames sent into the switch, then what every watched port transmitted. */
  async function send(port: string, frames: Buffer[]): Promise<Map<string, Buffer[]>> {
    await node.collect();
    await node.receive(port, frames);
    await node.settle();
    const out = new Map<string, Buffer[]>();
    for (const f of await node.collect()) out.set(f.port, [...(out.get(f.port) ?? []), f.bytes]);
    return out;
  }

  test('setup: compile and load', async () => {
    const r = compile([...clusterSources(pcapCluster), { name: 'tc.yaml', text: PCAP_TCS }]);
    expect(r.ok, r.diagnostics.map(formatDiagnostic).join('\n')).toBe(true);
    cluster = new Cluster();
    await cluster.apply(r.bundles);
    node = cluster.nodes.get('alpha')!;
    for (const dev of ['mir0', 'mir1', 'red0']) {
      node.ovs.vsctl('set', 'interface', dev, `options:tx_pcap=${node.pcapPath(dev)}`);
      node.cursors.set(dev, new PcapCursor(node.pcapPath(dev)));
    }
    // The collector is a neighbour on the underlay; nothing answers ARP between these switches.
    node.ovs.appctl('tnl/neigh/set', 'br-phy', REMOTE, '02:00:00:00:00:99');
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  test('Mirror: the original is delivered, and the copy is byte for byte the delivered frame', async () => {
    const frame = echo(pod('client'), pod('server'), 1);
    const out = await send(pod('client').interface, [frame]);
    expect(out.get(pod('server').interface)).toEqual([frame]);
    expect(out.get('mir0')).toEqual([frame]);
    // The reply is mirrored too (Both): it leaves the client's port as the Pod's ingress.
    const reply = echo(pod('server'), pod('client'), 2);
    const back = await send(pod('server').interface, [reply]);
    expect(back.get(pod('client').interface)).toEqual([reply]);
    expect(back.get('mir0')).toEqual([reply]);
  });

  test('Redirect: only the target gets the frame, unchanged', async () => {
    const frame = echo(pod('server'), pod('red'), 3);
    const out = await send(pod('server').interface, [frame]);
    expect(out.get(pod('red').interface)).toBeUndefined();
    expect(out.get('red0')).toEqual([frame]);
  });

  test('the action happens in Output, after ingress policy: a packet policy drops is never mirrored', async () => {
    // Both ends are mirrored (client Both to mir0, guarded Ingress to mir1), and the guarded Pod's policy drops it.
    const out = await send(pod('client').interface, [echo(pod('client'), pod('guarded'), 4)]);
    expect([...out.keys()]).toEqual([]);
    // The same Pods without the drop: the server is not isolated, so the client's copy goes to mir0.
    const allowed = await send(pod('client').interface, [echo(pod('client'), pod('server'), 5)]);
    expect(allowed.get('mir0')).toHaveLength(1);
  });

  test('no-flood: a broadcast ARP flooded by NORMAL reaches the Pods, never a TrafficControl port', async () => {
    const c = pod('client');
    const arpReq = Buffer.from(`ffffffffffff${c.mac.replace(/:/g, '')}08060001080006040001${c.mac.replace(/:/g, '')}${c.ip.split('.').map((x) => Number(x).toString(16).padStart(2, '0')).join('')}000000000000ac1e0819`, 'hex');
    const out = await send(c.interface, [arpReq]);
    expect(out.get(pod('server').interface)?.length).toBe(1);
    for (const dev of ['mir0', 'mir1', 'red0']) expect(out.get(dev), dev).toBeUndefined();
  });

  test.each([
    // ERSPAN's version field is 1 for type II (Antrea's version 1) and 2 for type III (version 2).
    ['gnv', 'geneve', ['udp.dstport', 'geneve.vni'], [6081, 5001]],
    ['gre', 'gre', ['gre.key'], [77]],
    ['e1', 'erspan v1', ['erspan.version', 'erspan.spanid', 'erspan.index'], [1, 9, 255]],
    ['e2', 'erspan v2', ['erspan.version', 'erspan.spanid', 'erspan.direction', 'erspan.hw'], [2, 10, 1, 3]],
  ])('%s: the %s copy leaves on the underlay to the remote IP with its key, decoded by tshark', async (name, _kind, fields, values) => {
    const src = pod(name);
    const frame = echo(src, pod('server'), 10);
    const out = await send(src.interface, [frame]);
    expect(out.get(pod('server').interface)).toEqual([frame]);
    const encapsulated = out.get(UPLINK_PORT) ?? [];
    expect(encapsulated).toHaveLength(1);
    const [row] = tshark(encapsulated, ['ip.src', 'ip.dst', 'icmp.seq', ...fields]);
    const [ipSrc, ipDst, seq, ...decoded] = row!;
    // Outer, then inner addresses: from this Node to the collector, carrying the Pod's packet.
    expect(ipSrc).toBe(`10.200.0.11,${src.ip}`);
    expect(ipDst).toBe(`${REMOTE},${pod('server').ip}`);
    expect(seq).toBe('10');
    expect(decoded.map(Number)).toEqual(values); // tshark prints some of these in hex (0x4d)
  });
});
