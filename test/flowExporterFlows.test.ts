/**
 * The FlowExporter gate on a real OVS: every deny path also reaches the controller with the store-deny operation
 * (docs/reference/ovs-pipeline.md §2.1 PacketInOperationField), as Antrea's deny tracking makes it, while the
 * packet still goes nowhere; with the gate off the same policies drop silently.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { compile } from '../compiler/compile.js';
import type { NodeBundle } from '../targets/bundle/bundle.js';
import { cleanupAll, requireOvs, startOvs } from './harness/ovs.js';
import { bundleFile, loadBundle } from './harness/bundle.js';
import { clusterSources, twoNodes } from './fixtures/clusters.js';

const HAVE_OVS = requireOvs();

const POLICIES = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: isolate-server, namespace: web}
spec:
  podSelector:
    matchLabels: {app: server}
  policyTypes: [Ingress]
---
apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: deny-client}
spec:
  priority: 3
  appliedTo:
  - podSelector:
      matchLabels: {app: client}
  egress:
  - name: reject-9090
    action: Reject
    to: [{ipBlock: {cidr: 0.0.0.0/0}}]
    ports: [{protocol: TCP, port: 9090}]
  - name: drop-7070
    action: Drop
    to: [{ipBlock: {cidr: 0.0.0.0/0}}]
    ports: [{protocol: TCP, port: 7070}]
`;

function bundle(gate: boolean): NodeBundle {
  const agentConfig = `featureGates: {FlowExporter: ${gate}}\nflowExporter: {enable: true, flowCollectorAddr: "127.0.0.1:4739:tcp"}`;
  const r = compile([...clusterSources({ ...twoNodes, agentConfig }), { name: 'policy.yaml', text: POLICIES }]);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.bundles.find((b) => b.node === 'alpha')!;
}

afterAll(async () => {
  await cleanupAll();
});

describe.skipIf(!HAVE_OVS)('FlowExporter deny tracking on a real OVS', () => {
  const cases: [string, number, string][] = [
    ['a K8s isolation drop', 8080, '01.04'],
    ['an Antrea-native Drop', 7070, '01.04'],
    ['an Antrea-native Reject', 9090, '01.06'],
  ];
  test.each(cases)('%s reaches the controller with store-deny and is delivered nowhere', async (_what, port, userdata) => {
    for (const gate of [true, false]) {
      const b = bundle(gate);
      const ovs = await startOvs();
      try {
        const node = loadBundle(ovs, b);
        const pod = (key: string) => node.meta.inventory.pods.find((p) => `${p.namespace}/${p.name}` === key)!;
        const c = pod('web/client');
        const s = pod('web/server');
        const trace = ovs.trace(`in_port=${c.ofport},tcp,dl_src=${c.mac},dl_dst=${s.mac},nw_src=${c.ip},nw_dst=${s.ip},tp_src=40000,tp_dst=${port},tcp_flags=syn`, ['trk,new', 'trk,new']);
        const controller = [...trace.matchAll(/controller\(reason=no_match,id=1,userdata=(01\.0\d)\)/g)].map((m) => m[1]);
        if (gate) expect(controller).toEqual([userdata]);
        else expect(controller).toEqual(userdata === '01.06' ? ['01.02'] : []);
        expect(trace).not.toMatch(new RegExp(`output:${s.ofport}\\b`));
        if (gate && port === 8080) {
          // The isolation drop carries no rule ID: the table that denied is all the controller learns.
          const tables = JSON.parse(bundleFile(b, 'bundle.json')).tables as Record<string, number>;
          expect(trace).toContain(`set_field:0x${tables['IngressDefaultRule']!.toString(16)}/0xff->reg2`);
        }
      } finally {
        await ovs.stop();
      }
    }
  });
});
