/**
 * `dpc agent` on a simulated Node (private OVS, CNI-made Pod ports) against a collector on loopback: it applies the
 * bundle, exports IPFIX records naming Pods and policy rules, answers Reject with a real TCP reset at the sender's
 * port, records the rejected connection, survives a collector restart, and stops cleanly on SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { cleanupAll, requireOvs, startOvs, type Ovs } from '../harness/ovs.js';
import { frame, parseFrame } from '../harness/packets.js';
import { clusterSources, twoNodes } from '../fixtures/clusters.js';
import { addPodsAssumedBy, compileTo, spawnDpc, stateDirFor } from './node.js';
import { fieldValue, IpfixSession, type DecodedRecord } from '../../runtime/ipfix/message.js';
import { ANTREA, IANA } from '../../runtime/ipfix/elements.js';
import { readFileSync } from 'node:fs';
import { compile } from '../../compiler/compile.js';
import { writeBundles } from '../../cli/writeBundles.js';

const HAVE_OVS = requireOvs();
const NODE = 'alpha';

const REJECT_9090 = `apiVersion: crd.antrea.io/v1beta1
kind: NetworkPolicy
metadata: {name: guard, namespace: web}
spec:
  priority: 2
  appliedTo:
  - podSelector:
      matchLabels: {app: server}
  ingress:
  - name: reject-9090
    action: Reject
    ports: [{protocol: TCP, port: 9090}, {protocol: UDP, port: 9090}]
  - name: allow-rest
    action: Allow
`;

interface Collector {
  server: Server;
  sessions: IpfixSession[];
  sockets: Socket[];
}

function listen(port: number): Promise<Collector> {
  const c: Collector = { server: createServer(), sessions: [], sockets: [] };
  c.server.on('connection', (sock) => {
    const s = new IpfixSession();
    c.sessions.push(s);
    c.sockets.push(sock);
    sock.on('data', (b: Buffer) => s.push(b));
    sock.on('error', () => undefined);
  });
  return new Promise((resolve) => c.server.listen(port, '127.0.0.1', () => resolve(c)));
}

const records = (c: Collector): DecodedRecord[] => c.sessions.flatMap((s) => s.records);
const sport = (r: DecodedRecord) => fieldValue(r, IANA, 7, 'unsigned16');
const str = (r: DecodedRecord, id: number) => fieldValue(r, ANTREA, id, 'string');
const u8 = (r: DecodedRecord, id: number) => fieldValue(r, ANTREA, id, 'unsigned8');

async function until<T>(what: string, fn: () => T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!HAVE_OVS)('dpc agent on a Node', () => {
  let ovs: Ovs;
  let agent: ChildProcess;
  let collector: Collector;
  let port: number;
  let out: string;
  let log = '';
  let agentConfig = '';
  const pod = (name: string) => {
    const meta = JSON.parse(readFileSync(join(out, NODE, 'bundle.json'), 'utf8')) as { inventory: { pods: { name: string; interface: string; mac: string; ip: string }[] } };
    return meta.inventory.pods.find((p) => p.name === name)!;
  };
  const syn = (srcPort: number, dstPort: number) => {
    const c = pod('client');
    const s = pod('server');
    return frame({ srcMac: c.mac, dstMac: s.mac, srcIp: c.ip, dstIp: s.ip, proto: 'tcp', srcPort, dstPort, flags: 'S' });
  };

  beforeAll(async () => {
    const probe = await listen(0);
    port = (probe.server.address() as { port: number }).port;
    probe.server.close();
    collector = await listen(port);
    agentConfig = `featureGates: {FlowExporter: true}\nflowExporter: {enable: true, flowCollectorAddr: "127.0.0.1:${port}:tcp", flowPollInterval: 1s, activeFlowExportTimeout: 2s, idleFlowExportTimeout: 1s}`;
    out = compileTo([...clusterSources({ ...twoNodes, agentConfig }), { name: 'policy.yaml', text: REJECT_9090 }], [NODE]);
    ovs = await startOvs();
    addPodsAssumedBy(ovs, out, NODE);
    // In the test's own namespace: the collector listens on its loopback, and the exporter reads its conntrack.
    agent = spawnDpc(ovs, stateDirFor(ovs), ['agent', out, '--node', NODE, '--db', `unix:${join(ovs.dir, 'db.sock')}`], null);
    agent.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    agent.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await until('the agent to apply the bundle', () => log.includes('applied bundle'), 60_000);
  }, 120_000);

  afterAll(async () => {
    if (agent && agent.exitCode === null) agent.kill('SIGKILL');
    collector?.server.close();
    await cleanupAll();
  });

  test('an allowed connection is exported with both Pods, the Node and the flow type', async () => {
    ovs.inject(pod('client').interface, syn(41000, 80));
    const r = await until('the record of 41000', () => records(collector).find((x) => sport(x) === 41000));
    expect(fieldValue(r, IANA, 8, 'ipv4Address')).toBe(pod('client').ip);
    expect(fieldValue(r, IANA, 12, 'ipv4Address')).toBe(pod('server').ip);
    expect(fieldValue(r, IANA, 11, 'unsigned16')).toBe(80);
    expect(fieldValue(r, IANA, 4, 'unsigned8')).toBe(6);
    expect([str(r, 101), str(r, 100), str(r, 104), str(r, 103), str(r, 102), str(r, 105), u8(r, 137)]).toEqual(['client', 'web', NODE, 'server', 'web', NODE, 1]);
    expect([str(r, 110), str(r, 141), u8(r, 139)]).toEqual(['guard', 'allow-rest', 1]);
  }, 30_000);

  test('Reject: a TCP reset arrives at the sender, and the denied connection is exported with the rule', async () => {
    const client = pod('client');
    const before = ovs.sent(client.interface).length;
    ovs.inject(client.interface, syn(42000, 9090));
    const rst = await until('a reset at the client', () =>
      ovs
        .sent(client.interface)
        .slice(before)
        .map(parseFrame)
        .find((f) => f.tcp?.flags.includes('R')),
    );
    expect(rst.ipv4).toMatchObject({ src: pod('server').ip, dst: client.ip });
    expect(rst.tcp).toMatchObject({ srcPort: 9090, dstPort: 42000, ack: 1, flags: 'RA', checksumOk: true });
    expect(rst.dstMac).toBe(client.mac);
    const r = await until('the record of 42000', () => records(collector).find((x) => sport(x) === 42000));
    expect([str(r, 110), str(r, 111), u8(r, 115), str(r, 141), u8(r, 139)]).toEqual(['guard', 'web', 2, 'reject-9090', 3]);
  }, 30_000);

  test('Reject of a datagram: an ICMP host administratively prohibited arrives at the sender, quoting it', async () => {
    const c = pod('client');
    const s = pod('server');
    const before = ovs.sent(c.interface).length;
    ovs.inject(c.interface, frame({ srcMac: c.mac, dstMac: s.mac, srcIp: c.ip, dstIp: s.ip, proto: 'udp', srcPort: 42100, dstPort: 9090 }));
    const icmp = await until('an ICMP unreachable at the client', () =>
      ovs
        .sent(c.interface)
        .slice(before)
        .map(parseFrame)
        .find((f) => f.icmp),
    );
    expect(icmp.ipv4).toMatchObject({ src: s.ip, dst: c.ip });
    expect(icmp.icmp).toMatchObject({ type: 3, code: 10, checksumOk: true });
    // The quoted IP header and first 8 bytes name the offending datagram's ports.
    const quoted = icmp.icmp!.payload;
    expect([quoted.readUInt16BE(20), quoted.readUInt16BE(22)]).toEqual([42100, 9090]);
  }, 30_000);

  test('a collector that restarts misses nothing the agent had to send', async () => {
    for (const s of collector.sockets) s.destroy();
    collector.server.close();
    ovs.inject(pod('client').interface, syn(43000, 80));
    // Longer than a poll interval and an active timeout: the record is due while nobody listens.
    await new Promise((r) => setTimeout(r, 3500));
    collector = await listen(port);
    const r = await until('the record of 43000 after the restart', () => records(collector).find((x) => sport(x) === 43000));
    expect(str(r, 101)).toBe('client');
  }, 30_000);

  test('a new bundle in the directory is applied without a restart', async () => {
    const r = compile([...clusterSources({ ...twoNodes, agentConfig }), { name: 'policy.yaml', text: REJECT_9090.replace(/port: 9090/g, 'port: 9091') }], { nodes: [NODE] });
    expect(r.ok).toBe(true);
    const applies = log.split('applied bundle').length;
    writeBundles(out, r.bundles, r.manifest);
    await until('the second apply', () => log.split('applied bundle').length > applies);
    const client = pod('client');
    const before = ovs.sent(client.interface).length;
    ovs.inject(client.interface, syn(44000, 9091));
    const rst = await until('a reset for the newly rejected port', () =>
      ovs
        .sent(client.interface)
        .slice(before)
        .map(parseFrame)
        .find((f) => f.tcp?.flags.includes('R')),
    );
    expect(rst.tcp).toMatchObject({ srcPort: 9091, dstPort: 44000 });
  }, 30_000);

  test('SIGTERM stops it cleanly', async () => {
    const exited = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));
    agent.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 15_000);
});
