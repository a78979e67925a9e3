/**
 * The foundation proven on a real Open vSwitch: bundles are applied to private OVS instances, real frames are
 * injected at Pod ports, and verdicts are read from what leaves each port (pcaps), across real tunnels.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../compiler/compile.js';
import type { SourceText } from '../compiler/ingest/documents.js';
import { sortDumpedFlows } from '../targets/openflow/render.js';
import type { NodeBundle } from '../targets/bundle/bundle.js';
import { cleanupAll, linkUnderlay, requireOvs, startOvs, UPLINK_PORT } from './harness/ovs.js';
import { arp, ethernet, ETH_TYPE, frame, geneveFrame, parseFrame } from './harness/packets.js';
import { bundleFile, loadBundle, type LoadedNode } from './harness/bundle.js';
import { clusterSources, twoNodes } from './fixtures/clusters.js';
import { REPO_ROOT } from './repoRoot.js';
import { caseSources, GOLDEN_DIR } from './golden/golden.js';

const HAVE_OVS = requireOvs();
const GLOBAL_VIRTUAL_MAC = 'aa:bb:cc:dd:ee:ff';

function compileOk(sources: SourceText[]): NodeBundle[] {
  const r = compile(sources);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  expect(r.ok).toBe(true);
  return r.bundles;
}

function exampleSources(): SourceText[] {
  const dir = join(REPO_ROOT, 'examples', 'cluster');
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') }));
}

function pod(n: LoadedNode, key: string) {
  const [namespace, name] = key.split('/');
  const p = n.meta.inventory.pods.find((x) => x.namespace === namespace && x.name === name);
  if (!p) throw new Error(`no Pod ${key} on ${n.meta.node.name}`);
  return p;
}

/** Every port of a Node that has a pcap, with what left it. */
function allSent(n: LoadedNode): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of n.meta.inventory.pods) out.set(p.interface, n.ovs.sent(p.interface).length);
  out.set(n.meta.inventory.gateway.name, n.ovs.sent(n.meta.inventory.gateway.name).length);
  if (n.underlay) out.set(UPLINK_PORT, n.ovs.sent(UPLINK_PORT).length);
  return out;
}

afterAll(async () => {
  await cleanupAll();
});

describe.skipIf(!HAVE_OVS)('flows.txt is OVS canonical text', () => {
  const variants: [string, SourceText[]][] = [
    ['example cluster (geneve, proxy, egress)', exampleSources()],
    ['vxlan, AntreaPolicy and Egress off', clusterSources({ ...twoNodes, agentConfig: 'tunnelType: vxlan\nfeatureGates: {AntreaPolicy: false, Egress: false}' })],
    ['gre, proxy off, TrafficControl on', clusterSources({ ...twoNodes, agentConfig: 'tunnelType: gre\nantreaProxy: {enable: false}\nfeatureGates: {TrafficControl: true}' })],
    ['K8s NetworkPolicies (golden/policies-k8s)', caseSources(join(GOLDEN_DIR, 'policies-k8s'))],
    ['Antrea-native policies (golden/policies-antrea)', caseSources(join(GOLDEN_DIR, 'policies-antrea'))],
    ['Egress with pools, a VLAN subnet, a static IP and shaping (golden/egress)', caseSources(join(GOLDEN_DIR, 'egress'))],
    ['FlowExporter deny tracking (golden/flow-exporter)', caseSources(join(GOLDEN_DIR, 'flow-exporter'))],
  ];
  test.each(variants)('%s: the dump of the loaded bridge equals the file', async (_name, sources) => {
    for (const bundle of compileOk(sources)) {
      const ovs = await startOvs();
      try {
        loadBundle(ovs, bundle);
        const expected = bundleFile(bundle, 'openflow/flows.txt').trimEnd().split('\n');
        expect(sortDumpedFlows(ovs.dumpFlows())).toEqual(expected);
        const groups = bundleFile(bundle, 'openflow/groups.txt').trimEnd();
        const dumpedGroups = ovs.ofctl('dump-groups', 'br-int').split('\n').slice(1).map((l) => l.trim()).filter(Boolean).sort();
        expect(dumpedGroups.join('\n')).toBe(groups.split('\n').filter(Boolean).sort().join('\n'));
        // Antrea's three packet-in meters (NetworkPolicy, Traceflow, DNS interception) exist on every Node; Egress
        // bandwidth meters come on top of them where an Egress is shaped.
        const meters = bundleFile(bundle, 'openflow/meters.txt').trimEnd().split('\n');
        expect(meters.map((m) => /^meter=(\d+)/.exec(m)?.[1])).toEqual(expect.arrayContaining(['256', '257', '258']));
        expect(ovs.dumpMeters().sort()).toEqual([...meters].sort());
        // transact.json named the tables: a --names dump shows Antrea's table names.
        const named = ovs.ofctl('--names', '--no-stats', 'dump-flows', 'br-int');
        expect(named).toContain('table=L3Forwarding');
        expect(named).toContain('table=Output');
      } finally {
        await ovs.stop();
      }
    }
  });
});

describe.skipIf(!HAVE_OVS)('forwarding on one Node', () => {
  let alpha: LoadedNode;
  beforeAll(async () => {
    const bundles = compileOk(clusterSources(twoNodes));
    alpha = loadBundle(await startOvs(), bundles.find((b) => b.node === 'alpha')!, { underlayPrefix: 24 });
  });

  test('same-Node Pod to Pod is delivered with MACs and TTL unchanged', () => {
    const client = pod(alpha, 'web/client');
    const server = pod(alpha, 'web/server');
    const sent = frame({ srcMac: client.mac, dstMac: server.mac, srcIp: client.ip, dstIp: server.ip, proto: 'tcp', srcPort: 40001, dstPort: 8080, ttl: 64 });
    const before = allSent(alpha);
    alpha.ovs.inject(client.interface, sent);
    const got = alpha.ovs.sent(server.interface).slice(before.get(server.interface));
    expect(got).toHaveLength(1);
    expect(got[0]!.equals(sent)).toBe(true);
    // And nowhere else.
    const after = allSent(alpha);
    for (const [port, n] of after) if (port !== server.interface) expect(n, port).toBe(before.get(port));
  });

  test('the reply of that connection comes back to the client', () => {
    const client = pod(alpha, 'web/client');
    const server = pod(alpha, 'web/server');
    const before = alpha.ovs.sent(client.interface).length;
    alpha.ovs.inject(server.interface, frame({ srcMac: server.mac, dstMac: client.mac, srcIp: server.ip, dstIp: client.ip, proto: 'tcp', srcPort: 8080, dstPort: 40001, flags: 'SA' }));
    const got = alpha.ovs.sent(client.interface).slice(before).map(parseFrame);
    expect(got).toHaveLength(1);
    expect(got[0]!.tcp?.srcPort).toBe(8080);
    expect(alpha.ovs.conntrack()).toMatch(/tcp,orig=\(src=172\.30\.9\.7,dst=172\.30\.8\.25,sport=40001,dport=8080\)/);
  });

  test('a spoofed source IP is dropped', () => {
    const client = pod(alpha, 'web/client');
    const server = pod(alpha, 'web/server');
    const before = allSent(alpha);
    alpha.ovs.inject(client.interface, frame({ srcMac: client.mac, dstMac: server.mac, srcIp: '172.30.9.99', dstIp: server.ip, proto: 'tcp', srcPort: 40002, dstPort: 80 }));
    expect(allSent(alpha)).toEqual(before);
  });

  test('a spoofed source MAC is dropped', () => {
    const client = pod(alpha, 'web/client');
    const server = pod(alpha, 'web/server');
    const before = allSent(alpha);
    alpha.ovs.inject(client.interface, frame({ srcMac: '02:11:22:33:44:55', dstMac: server.mac, srcIp: client.ip, dstIp: server.ip, proto: 'tcp', srcPort: 40003, dstPort: 80 }));
    expect(allSent(alpha)).toEqual(before);
  });

  test("another Pod's address from the wrong port is dropped", () => {
    const client = pod(alpha, 'web/client');
    const server = pod(alpha, 'web/server');
    const before = allSent(alpha);
    // The client claims to be the server (IP and MAC both), but its packets enter on the client's port.
    alpha.ovs.inject(client.interface, frame({ srcMac: server.mac, dstMac: client.mac, srcIp: server.ip, dstIp: '172.30.20.40', proto: 'udp', srcPort: 40004, dstPort: 53 }));
    expect(allSent(alpha)).toEqual(before);
  });

  test('an ARP request for a peer gateway is answered with the global virtual MAC', () => {
    const client = pod(alpha, 'web/client');
    const before = alpha.ovs.sent(client.interface).length;
    const request = ethernet({
      src: client.mac,
      dst: 'ff:ff:ff:ff:ff:ff',
      type: ETH_TYPE.arp,
      payload: arp({ op: 1, sha: client.mac, spa: client.ip, tpa: '172.30.20.1' }),
    });
    alpha.ovs.inject(client.interface, request);
    const replies = alpha.ovs.sent(client.interface).slice(before).map(parseFrame);
    expect(replies).toHaveLength(1);
    const r = replies[0]!;
    expect(r.dstMac).toBe(client.mac);
    expect(r.srcMac).toBe(GLOBAL_VIRTUAL_MAC);
    expect(r.arp).toEqual({ op: 2, sha: GLOBAL_VIRTUAL_MAC, spa: '172.30.20.1', tha: client.mac, tpa: client.ip });
  });

  test('an ARP request with a spoofed sender address is dropped', () => {
    const client = pod(alpha, 'web/client');
    const before = allSent(alpha);
    alpha.ovs.inject(client.interface, ethernet({ src: client.mac, dst: 'ff:ff:ff:ff:ff:ff', type: ETH_TYPE.arp, payload: arp({ op: 1, sha: client.mac, spa: '172.30.8.99', tpa: '172.30.20.1' }) }));
    expect(allSent(alpha)).toEqual(before);
  });

  test('Pod to its gateway IP is delivered to the gateway port', () => {
    const client = pod(alpha, 'web/client');
    const gw = alpha.meta.inventory.gateway;
    const before = alpha.ovs.sent(gw.name).length;
    alpha.ovs.inject(client.interface, frame({ srcMac: client.mac, dstMac: gw.mac, srcIp: client.ip, dstIp: alpha.meta.node.gatewayIP, proto: 'icmp', srcPort: 7, dstPort: 1 }));
    const got = alpha.ovs.sent(gw.name).slice(before).map(parseFrame);
    expect(got).toHaveLength(1);
    expect(got[0]!.ipv4?.dst).toBe(alpha.meta.node.gatewayIP);
    expect(got[0]!.dstMac).toBe(gw.mac);
  });

  test('Pod to an address outside the cluster leaves through the gateway', () => {
    const client = pod(alpha, 'web/client');
    const gw = alpha.meta.inventory.gateway;
    const before = alpha.ovs.sent(gw.name).length;
    alpha.ovs.inject(client.interface, frame({ srcMac: client.mac, dstMac: gw.mac, srcIp: client.ip, dstIp: '198.51.100.7', proto: 'tcp', srcPort: 40005, dstPort: 443 }));
    const got = alpha.ovs.sent(gw.name).slice(before).map(parseFrame);
    expect(got).toHaveLength(1);
    expect(got[0]!.ipv4?.dst).toBe('198.51.100.7');
  });

  test('a Geneve frame from the peer Node reaches the right local Pod, MAC-rewritten', () => {
    const server = pod(alpha, 'web/server');
    const client = pod(alpha, 'web/client');
    const inner = frame({ srcMac: '02:00:00:00:00:01', dstMac: GLOBAL_VIRTUAL_MAC, srcIp: '172.30.20.40', dstIp: server.ip, proto: 'tcp', srcPort: 40006, dstPort: 8080, ttl: 63 });
    const before = allSent(alpha);
    alpha.ovs.inject(UPLINK_PORT, geneveFrame({ outerSrcMac: '02:00:0a:c8:00:0c', outerDstMac: alpha.underlay!.mac, outerSrcIp: '10.200.0.12', outerDstIp: alpha.meta.node.internalIP, inner }));
    const got = alpha.ovs.sent(server.interface).slice(before.get(server.interface)).map(parseFrame);
    expect(got).toHaveLength(1);
    expect(got[0]!.dstMac).toBe(server.mac);
    expect(got[0]!.srcMac).toBe(alpha.meta.inventory.gateway.mac);
    expect(got[0]!.ipv4?.ttl).toBe(62);
    expect(got[0]!.ipv4?.src).toBe('172.30.20.40');
    expect(alpha.ovs.sent(client.interface).length).toBe(before.get(client.interface));
  });
});

describe.skipIf(!HAVE_OVS)('Pod to Pod across Nodes through a real tunnel', () => {
  test.each(['geneve', 'vxlan', 'gre'] as const)('%s: leaves with tun_dst = peer Node IP and arrives at the peer Pod', async (tunnelType) => {
    const bundles = compileOk(clusterSources({ ...twoNodes, agentConfig: `tunnelType: ${tunnelType}` }));
    const alpha = loadBundle(await startOvs(), bundles.find((b) => b.node === 'alpha')!, { underlayPrefix: 24 });
    const beta = loadBundle(await startOvs(), bundles.find((b) => b.node === 'beta')!, { underlayPrefix: 24 });
    try {
      linkUnderlay(alpha.ovs, beta.underlay!);
      linkUnderlay(beta.ovs, alpha.underlay!);
      const client = pod(alpha, 'web/client');
      const store = pod(beta, 'db/store');
      const gwA = alpha.meta.inventory.gateway;
      const sent = frame({ srcMac: client.mac, dstMac: gwA.mac, srcIp: client.ip, dstIp: store.ip, proto: 'tcp', srcPort: 40100, dstPort: 5432, ttl: 64 });
      alpha.ovs.inject(client.interface, sent);

      const wire = alpha.ovs.sent(UPLINK_PORT).map(parseFrame).filter((f) => f.tunnel);
      expect(wire).toHaveLength(1);
      const t = wire[0]!.tunnel!;
      expect(t.kind).toBe(tunnelType);
      expect(t.outerDst).toBe(beta.meta.node.internalIP);
      expect(t.outerSrc).toBe(alpha.meta.node.internalIP);
      expect(t.inner.srcMac).toBe(gwA.mac);
      expect(t.inner.dstMac).toBe(GLOBAL_VIRTUAL_MAC);
      expect(t.inner.ipv4?.ttl).toBe(63);
      expect(alpha.ovs.sent(gwA.name)).toHaveLength(0);

      beta.ovs.inject(UPLINK_PORT, wire[0]!.raw);
      const got = beta.ovs.sent(store.interface).map(parseFrame);
      expect(got).toHaveLength(1);
      expect(got[0]!.dstMac).toBe(store.mac);
      expect(got[0]!.srcMac).toBe(beta.meta.inventory.gateway.mac);
      expect(got[0]!.ipv4).toMatchObject({ src: client.ip, dst: store.ip, ttl: 62 });
      expect(got[0]!.tcp?.dstPort).toBe(5432);
      expect(beta.ovs.sent(pod(beta, 'db/cache').interface)).toHaveLength(0);

      // The reply retraces the path.
      beta.ovs.inject(store.interface, frame({ srcMac: store.mac, dstMac: beta.meta.inventory.gateway.mac, srcIp: store.ip, dstIp: client.ip, proto: 'tcp', srcPort: 5432, dstPort: 40100, flags: 'SA' }));
      const back = beta.ovs.sent(UPLINK_PORT).map(parseFrame).filter((f) => f.tunnel);
      expect(back).toHaveLength(1);
      expect(back[0]!.tunnel!.outerDst).toBe(alpha.meta.node.internalIP);
      alpha.ovs.inject(UPLINK_PORT, back[0]!.raw);
      const reply = alpha.ovs.sent(client.interface).map(parseFrame);
      expect(reply).toHaveLength(1);
      expect(reply[0]!.tcp?.srcPort).toBe(5432);
    } finally {
      await alpha.ovs.stop();
      await beta.ovs.stop();
    }
  });
});
