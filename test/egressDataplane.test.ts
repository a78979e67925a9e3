/**
 * Egress on a real Open vSwitch. With the feature on and no Egress objects, Antrea's init flows already change
 * forwarding: a new connection that a peer tunnels here toward the outside is dropped (no Egress IP of this Node
 * claims it), while Node IPs, egress.exceptCIDRs and the Service CIDR bypass SNAT and go to the gateway.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { compile } from '../compiler/compile.js';
import type { SourceText } from '../compiler/ingest/documents.js';
import { sortDumpedFlows } from '../targets/openflow/render.js';
import { cleanupAll, requireOvs, startOvs, UPLINK_PORT } from './harness/ovs.js';
import { frame, geneveFrame, parseFrame } from './harness/packets.js';
import { bundleFile, loadBundle, type LoadedNode } from './harness/bundle.js';
import { clusterSources, twoNodes } from './fixtures/clusters.js';

const HAVE_OVS = requireOvs();
const GLOBAL_VIRTUAL_MAC = 'aa:bb:cc:dd:ee:ff';
const BETA_IP = '10.200.0.12';
const BETA_POD = '172.30.20.40';

const SERVICES = `apiVersion: v1
kind: Service
metadata: {name: kubernetes, namespace: default}
spec: {clusterIP: 10.96.0.1, clusterIPs: [10.96.0.1], ports: [{port: 443}]}
---
apiVersion: v1
kind: Service
metadata: {name: dns, namespace: kube-system}
spec: {clusterIP: 10.96.0.10, clusterIPs: [10.96.0.10], ports: [{port: 53, protocol: UDP}]}
`;

function sources(agentConfig: string): SourceText[] {
  return [...clusterSources({ ...twoNodes, agentConfig }), { name: 'services.yaml', text: SERVICES }];
}

async function loadAlpha(agentConfig: string): Promise<LoadedNode> {
  const r = compile(sources(agentConfig));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const bundle = r.bundles.find((b) => b.node === 'alpha')!;
  const alpha = loadBundle(await startOvs(), bundle, { underlayPrefix: 24 });
  expect(sortDumpedFlows(alpha.ovs.dumpFlows())).toEqual(bundleFile(bundle, 'openflow/flows.txt').trimEnd().split('\n'));
  return alpha;
}

/** A SYN from a Pod on beta, arriving on alpha's uplink as beta's Geneve frame would. */
function fromTunnel(alpha: LoadedNode, dstIp: string, srcPort: number): Buffer {
  const inner = frame({ srcMac: '02:00:00:00:00:01', dstMac: GLOBAL_VIRTUAL_MAC, srcIp: BETA_POD, dstIp, proto: 'tcp', srcPort, dstPort: 443, ttl: 63 });
  return geneveFrame({ outerSrcMac: '02:00:0a:c8:00:0c', outerDstMac: alpha.underlay!.mac, outerSrcIp: BETA_IP, outerDstIp: alpha.meta.node.internalIP, inner });
}

/** What reached the gateway port (the Node's host, where masquerade would happen) for one injected frame. */
function toGateway(alpha: LoadedNode, port: string, bytes: Buffer) {
  const gw = alpha.meta.inventory.gateway.name;
  const before = alpha.ovs.sent(gw).length;
  alpha.ovs.inject(port, bytes);
  return alpha.ovs.sent(gw).slice(before).map(parseFrame);
}

afterAll(async () => {
  await cleanupAll();
});

describe.skipIf(!HAVE_OVS)('Egress init flows with no Egress objects', () => {
  const config = 'trafficEncapMode: encap\ntunnelType: geneve\negress:\n  exceptCIDRs: [203.0.113.0/24]';

  test('with EgressTrafficShaping on, EgressQoS gets its default flow and the bundle loads as written', async () => {
    const alpha = await loadAlpha(`${config}\nfeatureGates: {EgressTrafficShaping: true}`);
    try {
      const qos = alpha.meta.tables['EgressQoS'];
      expect(alpha.ovs.dumpFlows().filter((l) => l.includes(`table=${qos},`)).map((l) => l.replace(/^cookie=\S+ /, ''))).toEqual([
        `table=${qos}, priority=190 actions=goto_table:${alpha.meta.tables['L2ForwardingCalc']}`,
        `table=${qos}, priority=0 actions=goto_table:${alpha.meta.tables['L3DecTTL']}`,
      ]);
      expect(toGateway(alpha, UPLINK_PORT, fromTunnel(alpha, '198.51.100.7', 41005))).toHaveLength(0);
    } finally {
      await alpha.ovs.stop();
    }
  });

  test('a new tunnelled connection toward the outside is dropped', async () => {
    const alpha = await loadAlpha(config);
    try {
      expect(toGateway(alpha, UPLINK_PORT, fromTunnel(alpha, '198.51.100.7', 41000))).toHaveLength(0);
      for (const p of alpha.meta.inventory.pods) expect(alpha.ovs.sent(p.interface)).toHaveLength(0);
    } finally {
      await alpha.ovs.stop();
    }
  });

  test.each([
    ['an egress.exceptCIDRs address', '203.0.113.9'],
    ['an address in the Service CIDR discovered from ClusterIPs', '10.96.0.14'],
    ["the peer Node's IP", BETA_IP],
    ["this Node's own IP", '10.200.0.11'],
  ])('a tunnelled connection to %s bypasses SNAT and reaches the gateway', async (_what, dst) => {
    const alpha = await loadAlpha(config);
    try {
      const got = toGateway(alpha, UPLINK_PORT, fromTunnel(alpha, dst, 41001));
      expect(got).toHaveLength(1);
      expect(got[0]!.ipv4).toMatchObject({ src: BETA_POD, dst });
      expect(got[0]!.dstMac).toBe(alpha.meta.inventory.gateway.mac);
    } finally {
      await alpha.ovs.stop();
    }
  });

  test('just outside the discovered Service CIDR (10.96.0.0/28) is dropped like any outside address', async () => {
    const alpha = await loadAlpha(config);
    try {
      expect(toGateway(alpha, UPLINK_PORT, fromTunnel(alpha, '10.96.0.16', 41002))).toHaveLength(0);
    } finally {
      await alpha.ovs.stop();
    }
  });

  test("a local Pod's new connection toward the outside still leaves through the gateway", async () => {
    const alpha = await loadAlpha(config);
    try {
      const client = alpha.meta.inventory.pods.find((p) => p.name === 'client')!;
      const sent = frame({ srcMac: client.mac, dstMac: alpha.meta.inventory.gateway.mac, srcIp: client.ip, dstIp: '198.51.100.7', proto: 'tcp', srcPort: 41003, dstPort: 443 });
      const got = toGateway(alpha, client.interface, sent);
      expect(got).toHaveLength(1);
      expect(got[0]!.ipv4?.dst).toBe('198.51.100.7');
    } finally {
      await alpha.ovs.stop();
    }
  });

  test('without the priority-190 drop (what dpc compiled before), that connection would reach the gateway', async () => {
    const alpha = await loadAlpha(config);
    try {
      const table = alpha.meta.tables['EgressMark'];
      alpha.ovs.ofctl('del-flows', '--strict', 'br-int', `table=${table},priority=190,ct_state=+new+trk,ip,reg0=0x1/0xf`);
      const got = toGateway(alpha, UPLINK_PORT, fromTunnel(alpha, '198.51.100.7', 41004));
      expect(got).toHaveLength(1);
      expect(got[0]!.ipv4?.dst).toBe('198.51.100.7');
    } finally {
      await alpha.ovs.stop();
    }
  });
});
