/**
 * Terminated Pods (status.phase Succeeded or Failed) are no Egress members, as Antrea's Egress controller skips them
 * (pkg/controller/egress syncEgress: k8s.IsPodTerminated). Their IP may already be a new Pod's: the new Pod leaves
 * with its own Egress's IP, and the terminated one neither claims an Egress nor gets a SNAT-mark flow.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../compiler/compile.js';
import { bundleFile } from './harness/bundle.js';
import { clusterSources } from './fixtures/clusters.js';

const EGRESS = `apiVersion: crd.antrea.io/v1beta1
kind: ExternalIPPool
metadata: {name: pool}
spec:
  ipRanges: [{cidr: 169.254.100.0/29}]
  nodeSelector: {matchLabels: {kubernetes.io/hostname: node-1}}
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: batch, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  appliedTo: {podSelector: {matchLabels: {app: batch}}}
  externalIPPool: pool
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: web, creationTimestamp: "2024-01-02T00:00:00Z"}
spec:
  appliedTo: {podSelector: {matchLabels: {app: web}}}
  externalIPPool: pool
`;

function compileWith(donePhase: 'Succeeded' | 'Running', crashedPhase: 'Failed' | 'Running') {
  const r = compile([
    ...clusterSources({
      nodes: [
        { name: 'node-1', podCIDR: '10.10.1.0/24', internalIP: '192.168.77.101' },
        { name: 'node-2', podCIDR: '10.10.2.0/24', internalIP: '192.168.77.102' },
      ],
      pods: [
        // A finished Job Pod whose IP the kubelet has given to x/live (a different IP while it still runs).
        { namespace: 'x', name: 'done', node: 'node-1', ip: '10.10.1.5', labels: { app: 'batch' }, phase: donePhase },
        { namespace: 'x', name: 'live', node: 'node-1', ip: donePhase === 'Running' ? '10.10.1.7' : '10.10.1.5', labels: { app: 'web' } },
        { namespace: 'x', name: 'crashed', node: 'node-2', ip: '10.10.2.6', labels: { app: 'web' }, phase: crashedPhase },
      ],
    }),
    { name: 'egress.yaml', text: EGRESS },
  ]);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const bundle = (node: string) => r.bundles.find((b) => b.node === node)!;
  // Egress IP → its SNAT mark, from the Egress Node's nat rules.
  const markOf = new Map([...bundleFile(bundle('node-1'), 'iptables/ipv4.rules').matchAll(/--mark (0x[0-9a-f]+)\/0xff -j SNAT --to-source (\S+)/g)].map((m) => [m[2]!, Number(m[1])]));
  /** A Node's per-Pod EgressMark flows (matched on the Pod's port) → the SNAT mark each loads, or `tunnel`. */
  const podFlows = (node: string): (number | string)[] => {
    const b = bundle(node);
    const table = (JSON.parse(bundleFile(b, 'bundle.json')) as { tables: Record<string, number> }).tables['EgressMark'];
    return bundleFile(b, 'openflow/flows.txt')
      .split('\n')
      .filter((l) => l.includes(`table=${table},`) && / in_port=|,in_port=/.test(l))
      .map((l) => {
        const mark = /set_field:(0x[0-9a-f]+)\/0xff->pkt_mark/.exec(l);
        return mark ? Number(mark[1]) : 'tunnel';
      });
  };
  const members = Object.fromEntries((r.egress?.egresses ?? []).map((e) => [e.name, [...e.pods]]));
  return { markOf, podFlows, members };
}

describe('terminated Pods are no Egress members', () => {
  it("the live Pod reusing a Succeeded Pod's IP leaves with its own Egress; a Failed Pod joins none", () => {
    const { markOf, podFlows, members } = compileWith('Succeeded', 'Failed');
    expect(members).toEqual({ batch: [], web: ['x/live'] });
    // node-1 holds both Egress IPs: one Pod flow, loading web's mark (169.254.100.2, the second in creation order).
    expect(podFlows('node-1')).toEqual([markOf.get('169.254.100.2')]);
    // node-2's only selected Pod has failed: nothing of it is tunnelled to an Egress IP.
    expect(podFlows('node-2')).toEqual([]);
  });

  it('the same Pods running are members (the phase alone decides)', () => {
    const { markOf, podFlows, members } = compileWith('Running', 'Running');
    expect(members).toEqual({ batch: ['x/done'], web: ['x/crashed', 'x/live'].sort() });
    expect(podFlows('node-1').sort()).toEqual([markOf.get('169.254.100.1'), markOf.get('169.254.100.2')].sort());
    expect(podFlows('node-2')).toEqual(['tunnel']);
  });
});
