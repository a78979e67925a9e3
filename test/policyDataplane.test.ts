/**
 * NetworkPolicy behaviour that a reachability matrix does not show, proven on a real OVS: connections survive
 * a policy change, Reject goes to the controller with the reject operation, and the rule that decided a
 * packet can be read back from conntrack and registers.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compile } from '../compiler/compile.js';
import type { SourceText } from '../compiler/ingest/documents.js';
import type { NodeBundle } from '../targets/bundle/bundle.js';
import { cleanupAll, requireOvs, startOvs } from './harness/ovs.js';
import { frame, parseFrame } from './harness/packets.js';
import { bundleFile, loadBundle, type LoadedNode } from './harness/bundle.js';
import { clusterSources, twoNodes } from './fixtures/clusters.js';

const HAVE_OVS = requireOvs();

function bundleFor(extra: string, node = 'alpha'): NodeBundle {
  const sources: SourceText[] = [...clusterSources(twoNodes), { name: 'policy.yaml', text: extra }];
  const r = compile(sources);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.bundles.find((b) => b.node === node)!;
}

const DENY_INGRESS_TO_SERVER = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-server, namespace: web}
spec:
  podSelector:
    matchLabels: {app: server}
  policyTypes: [Ingress]
`;

const REJECT_TO_SERVER = `apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: reject-server}
spec:
  priority: 3
  appliedTo:
  - podSelector:
      matchLabels: {app: server}
  ingress:
  - name: reject-all
    action: Reject
`;

const ALLOW_CLIENT = `apiVersion: crd.antrea.io/v1beta1
kind: NetworkPolicy
metadata: {name: allow-client, namespace: web}
spec:
  tier: securityops
  priority: 2
  appliedTo:
  - podSelector:
      matchLabels: {app: server}
  ingress:
  - name: from-client
    action: Allow
    from:
    - podSelector:
        matchLabels: {app: client}
    ports:
    - {protocol: TCP, port: 8080}
`;

afterAll(async () => {
  await cleanupAll();
});

describe.skipIf(!HAVE_OVS)('NetworkPolicy on a real OVS', () => {
  let alpha: LoadedNode;
  const pod = (key: string) => alpha.meta.inventory.pods.find((p) => `${p.namespace}/${p.name}` === key)!;
  const syn = (sport: number, flags = 'S') => {
    const c = pod('web/client');
    const s = pod('web/server');
    return frame({ srcMac: c.mac, dstMac: s.mac, srcIp: c.ip, dstIp: s.ip, proto: 'tcp', srcPort: sport, dstPort: 8080, flags });
  };
  const reply = (sport: number) => {
    const c = pod('web/client');
    const s = pod('web/server');
    return frame({ srcMac: s.mac, dstMac: c.mac, srcIp: s.ip, dstIp: c.ip, proto: 'tcp', srcPort: 8080, dstPort: sport, flags: 'SA' });
  };
  const delivered = (port: string, send: () => void) => {
    const before = alpha.ovs.sent(port).length;
    send();
    return alpha.ovs.sent(port).length - before;
  };

  beforeAll(async () => {
    alpha = loadBundle(await startOvs(), bundleFor(''));
  });

  test('an established connection survives a policy that would now deny it', () => {
    const server = pod('web/server').interface;
    const client = pod('web/client').interface;
    expect(delivered(server, () => alpha.ovs.inject(client, syn(41000)))).toBe(1);
    alpha.ovs.replaceFlows(bundleFile(bundleFor(DENY_INGRESS_TO_SERVER), 'openflow/flows.txt'));
    // The reply and further packets of the old connection still pass...
    expect(delivered(client, () => alpha.ovs.inject(server, reply(41000)))).toBe(1);
    expect(delivered(server, () => alpha.ovs.inject(client, syn(41000, 'A')))).toBe(1);
    // ...but a new connection is dropped, and the isolation flow that dropped it names the policy.
    expect(delivered(server, () => alpha.ovs.inject(client, syn(41001)))).toBe(0);
  });

  test('Reject sends the packet to the controller with the reject operation and the rule ID', () => {
    const bundle = bundleFor(REJECT_TO_SERVER);
    // Groups and meters are static with AntreaPolicy on: the first bundle already loaded the same ones.
    expect(bundleFile(bundle, 'openflow/groups.txt')).toBe(bundleFile(bundleFor(''), 'openflow/groups.txt'));
    alpha.ovs.replaceFlows(bundleFile(bundle, 'openflow/flows.txt'));
    const server = pod('web/server');
    const client = pod('web/client');
    expect(delivered(server.interface, () => alpha.ovs.inject(client.interface, syn(42000)))).toBe(0);
    const trace = alpha.ovs.trace(
      `in_port=${client.ofport},tcp,dl_src=${client.mac},dl_dst=${server.mac},nw_src=${client.ip},nw_dst=${server.ip},tp_src=42001,tp_dst=8080,tcp_flags=syn`,
      ['trk,new', 'trk,new'],
    );
    expect(trace).toMatch(/controller\(reason=no_match,id=1,userdata=01\.02\)/);
    const rules = JSON.parse(bundleFile(bundle, 'visibility/rules.json')) as { rules: { id: number; rule?: string; action: string }[] };
    const reject = rules.rules.find((r) => r.rule === 'reject-all')!;
    expect(reject.action).toBe('Reject');
    expect(trace).toContain(`set_field:0x${reject.id.toString(16)}->reg3`);
  });

  test('a higher tier Allow wins over a lower tier Reject, and ct_label names the allowing rule', () => {
    const bundle = bundleFor(`${REJECT_TO_SERVER}---\n${ALLOW_CLIENT}`);
    alpha.ovs.replaceFlows(bundleFile(bundle, 'openflow/flows.txt'));
    const server = pod('web/server');
    const client = pod('web/client');
    const got: ReturnType<typeof parseFrame>[] = [];
    const before = alpha.ovs.sent(server.interface).length;
    alpha.ovs.inject(client.interface, syn(43000));
    got.push(...alpha.ovs.sent(server.interface).slice(before).map(parseFrame));
    expect(got).toHaveLength(1);
    const rules = JSON.parse(bundleFile(bundle, 'visibility/rules.json')) as { rules: { id: number; rule?: string }[] };
    const allow = rules.rules.find((r) => r.rule === 'from-client')!;
    const entry = alpha.ovs.conntrack().split('\n').find((l) => l.includes('sport=43000'))!;
    expect(entry).toMatch(new RegExp(`labels=0x${allow.id.toString(16)}\\b`));
    // Another port is not allowed by the higher tier and falls to the Reject.
    const c = pod('web/client');
    const other = frame({ srcMac: c.mac, dstMac: server.mac, srcIp: c.ip, dstIp: server.ip, proto: 'tcp', srcPort: 43001, dstPort: 9090 });
    expect(delivered(server.interface, () => alpha.ovs.inject(client.interface, other))).toBe(0);
  });
});
