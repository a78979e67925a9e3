/**
 * Egress across two Nodes on real Open vSwitch instances joined by real Geneve tunnels. A Pod whose Egress IP lives
 * on the other Node leaves in a tunnel addressed to the Egress IP itself; the Node holding that IP decapsulates it,
 * marks it with the IP's SNAT mark and hands it to its host; a Pod of the Egress Node is marked directly.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { compile } from '../compiler/compile.js';
import type { SourceText } from '../compiler/ingest/documents.js';
import { addUnderlay, cleanupAll, linkUnderlay, requireOvs, startOvs, UPLINK_PORT, UNDERLAY_BRIDGE } from './harness/ovs.js';
import { frame, parseFrame } from './harness/packets.js';
import { bundleFile, loadBundle, type LoadedNode } from './harness/bundle.js';
import { clusterSources } from './fixtures/clusters.js';

const HAVE_OVS = requireOvs();
const EGRESS_IP = '169.254.100.1';

const EGRESS = `apiVersion: crd.antrea.io/v1beta1
kind: ExternalIPPool
metadata: {name: crud-pool}
spec:
  ipRanges: [{cidr: 169.254.100.0/30}]
  nodeSelector: {matchLabels: {kubernetes.io/hostname: node-1}}
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: crud-egress}
spec:
  appliedTo: {podSelector: {matchLabels: {pod: b}}}
  externalIPPool: crud-pool
`;

/** The antrea-xyz layout (conformance fixture): x/a and y/b on node-1, x/b on node-2. */
function sources(agentConfig?: string, egress = EGRESS): SourceText[] {
  return [
    ...clusterSources({
      ...(agentConfig ? { agentConfig } : {}),
      nodes: [
        { name: 'node-1', podCIDR: '10.10.1.0/24', internalIP: '192.168.77.101' },
        { name: 'node-2', podCIDR: '10.10.2.0/24', internalIP: '192.168.77.102' },
      ],
      pods: [
        { namespace: 'x', name: 'a', node: 'node-1', ip: '10.10.1.2', labels: { pod: 'a' } },
        { namespace: 'y', name: 'b', node: 'node-1', ip: '10.10.1.3', labels: { pod: 'b' } },
        { namespace: 'x', name: 'b', node: 'node-2', ip: '10.10.2.2', labels: { pod: 'b' } },
      ],
    }),
    { name: 'egress.yaml', text: egress },
  ];
}

function podOf(n: LoadedNode, key: string) {
  const p = n.meta.inventory.pods.find((x) => `${x.namespace}/${x.name}` === key);
  if (!p) throw new Error(`no Pod ${key} on ${n.meta.node.name}`);
  return p;
}

/** The pkt_mark (skb_mark) values the datapath set, read from its installed datapath flows. */
function markedToGateway(n: LoadedNode): string[] {
  return n.ovs
    .appctl('dpctl/dump-flows')
    .split('\n')
    .flatMap((l) => [...l.matchAll(/set\(skb_mark\((0x[0-9a-f]+)\/0x[0-9a-f]+\)\)/g)].map((m) => m[1]!));
}

afterAll(async () => {
  await cleanupAll();
});

describe.skipIf(!HAVE_OVS)('Egress through the Egress Node, on real tunnels', () => {
  test('remote Pod: tunnelled to the Egress IP, decapsulated and SNAT-marked on the Egress Node; local Pod: marked', async () => {
    const r = compile(sources());
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const b1 = r.bundles.find((b) => b.node === 'node-1')!;
    const b2 = r.bundles.find((b) => b.node === 'node-2')!;
    // The SNAT rule on node-1 names the mark its flows set.
    const mark = /--mark (0x[0-9a-f]+)\/0xff -j SNAT --to-source 169\.254\.100\.1/.exec(bundleFile(b1, 'iptables/ipv4.rules'))![1]!;
    // node-1 receives on an underlay address equal to the Egress IP, as antrea-egress0 gives the Node that address.
    const n1 = loadBundle(await startOvs(), b1);
    const n1Underlay = addUnderlay(n1.ovs, EGRESS_IP, 32);
    const n2 = loadBundle(await startOvs(), b2, { underlayPrefix: 24 });
    try {
      // node-2 routes the Egress IP to node-1 on the shared segment.
      n2.ovs.appctl('ovs/route/add', `${EGRESS_IP}/32`, UNDERLAY_BRIDGE, n1.meta.node.internalIP);
      linkUnderlay(n2.ovs, { ip: n1.meta.node.internalIP, mac: n1Underlay.mac });

      const xb = podOf(n2, 'x/b');
      const gw2 = n2.meta.inventory.gateway;
      n2.ovs.inject(xb.interface, frame({ srcMac: xb.mac, dstMac: gw2.mac, srcIp: xb.ip, dstIp: '203.0.113.10', proto: 'tcp', srcPort: 42000, dstPort: 8080 }));
      const wire = n2.ovs.sent(UPLINK_PORT).map(parseFrame).filter((f) => f.tunnel);
      expect(wire).toHaveLength(1);
      expect(wire[0]!.tunnel).toMatchObject({ kind: 'geneve', outerDst: EGRESS_IP, outerSrc: n2.meta.node.internalIP });
      expect(wire[0]!.tunnel!.inner.ipv4).toMatchObject({ src: xb.ip, dst: '203.0.113.10' });
      expect(n2.ovs.sent(gw2.name)).toHaveLength(0);

      const gw1 = n1.meta.inventory.gateway;
      n1.ovs.inject(UPLINK_PORT, wire[0]!.raw);
      const out = n1.ovs.sent(gw1.name).map(parseFrame);
      expect(out).toHaveLength(1);
      expect(out[0]!.ipv4).toMatchObject({ src: xb.ip, dst: '203.0.113.10' });
      expect(out[0]!.dstMac).toBe(gw1.mac);
      expect(markedToGateway(n1)).toContain(mark);

      // y/b lives on the Egress Node: marked on its way to the gateway, no tunnel.
      n1.ovs.appctl('dpctl/del-flows');
      const yb = podOf(n1, 'y/b');
      n1.ovs.inject(yb.interface, frame({ srcMac: yb.mac, dstMac: gw1.mac, srcIp: yb.ip, dstIp: '203.0.113.10', proto: 'tcp', srcPort: 42002, dstPort: 8080 }));
      expect(n1.ovs.sent(gw1.name).map(parseFrame).at(-1)!.ipv4).toMatchObject({ src: yb.ip, dst: '203.0.113.10' });
      expect(markedToGateway(n1)).toContain(mark);
      expect(n1.ovs.sent(UPLINK_PORT).filter((f) => parseFrame(f).tunnel)).toHaveLength(0);

      // x/a on node-1 is not selected: it leaves through the gateway unmarked, to be masqueraded.
      n1.ovs.appctl('dpctl/del-flows');
      const xa = podOf(n1, 'x/a');
      n1.ovs.inject(xa.interface, frame({ srcMac: xa.mac, dstMac: gw1.mac, srcIp: xa.ip, dstIp: '203.0.113.10', proto: 'tcp', srcPort: 42001, dstPort: 8080 }));
      expect(n1.ovs.sent(gw1.name)).toHaveLength(3);
      expect(markedToGateway(n1)).toEqual([]);
    } finally {
      await n1.ovs.stop();
      await n2.ovs.stop();
    }
  });

  test("with EgressTrafficShaping, the Egress IP's meter lets the burst through and drops the rest; unshaped Pods are not metered", async () => {
    // 8 kbit/s with a 24 kbit burst: two 1442-byte packets fit the burst, and each second adds under one more.
    const shaped = EGRESS.replace('externalIPPool: crud-pool', 'externalIPPool: crud-pool\n  bandwidth: {rate: 8k, burst: 24k}');
    const r = compile(sources('trafficEncapMode: encap\ntunnelType: geneve\nfeatureGates: {EgressTrafficShaping: true}', shaped));
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const b1 = r.bundles.find((b) => b.node === 'node-1')!;
    const mark = Number(/--mark (0x[0-9a-f]+)\/0xff/.exec(bundleFile(b1, 'iptables/ipv4.rules'))![1]!);
    expect(bundleFile(b1, 'openflow/meters.txt')).toContain(`meter=${mark},kbps,burst,bands=type=drop,rate=8,burst_size=24\n`);
    const n1 = loadBundle(await startOvs(), b1);
    try {
      const gw = n1.meta.inventory.gateway;
      const train = (key: string, firstPort: number) => {
        const p = podOf(n1, key);
        const before = n1.ovs.sent(gw.name).length;
        for (let i = 0; i < 40; i++) {
          n1.ovs.inject(p.interface, frame({ srcMac: p.mac, dstMac: gw.mac, srcIp: p.ip, dstIp: '203.0.113.10', proto: 'udp', srcPort: firstPort, dstPort: 9000, payload: Buffer.alloc(1400) }));
        }
        return n1.ovs.sent(gw.name).length - before;
      };
      const started = Date.now();
      const passed = train('y/b', 43000);
      const seconds = (Date.now() - started) / 1000;
      expect(passed).toBeGreaterThanOrEqual(1);
      expect(passed).toBeLessThanOrEqual(2 + Math.ceil(seconds * 8000 / (1442 * 8)) + 1);
      expect(train('x/a', 43001)).toBe(40);
    } finally {
      await n1.ovs.stop();
    }
  });
});
