/** The policy schemas enforce types, enums and ranges as Antrea's CRDs and the Kubernetes API do. */
import { describe, expect, it } from 'vitest';
import { digest, expectedDigest, run, sortDigests, type Expected } from './testHarness.js';

const cases: { title: string; yaml: string; expect: Expected[] }[] = [
  {
    title: 'ACNP priority below 1, unknown action, ICMP type above 255, bad protocol, bad logLabel',
    yaml: `apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: p}
spec:
  priority: 0.5 #!a
  appliedTo: [{podSelector: {}}]
  ingress:
  - action: Deny #!b
    protocols: [{icmp: {icmpType: 300}}] #!c
    ports: [{protocol: ICMP}] #!d
    logLabel: "-x" #!e
`,
    expect: [
      { code: 'DPC1006', kind: 'ClusterNetworkPolicy', name: 'p', field: 'spec.priority', at: 'a' },
      { code: 'DPC1006', kind: 'ClusterNetworkPolicy', name: 'p', field: 'spec.ingress[0].action', at: 'b' },
      { code: 'DPC1006', kind: 'ClusterNetworkPolicy', name: 'p', field: 'spec.ingress[0].protocols[0].icmp.icmpType', at: 'c' },
      { code: 'DPC1006', kind: 'ClusterNetworkPolicy', name: 'p', field: 'spec.ingress[0].ports[0].protocol', at: 'd' },
      { code: 'DPC1006', kind: 'ClusterNetworkPolicy', name: 'p', field: 'spec.ingress[0].logLabel', at: 'e' },
    ],
  },
  {
    title: 'ANNP without priority; rule without action',
    yaml: `apiVersion: crd.antrea.io/v1beta1
kind: NetworkPolicy
metadata: {name: a, namespace: x}
spec: #!a
  appliedTo: [{podSelector: {}}]
  egress:
  - {name: r} #!b
`,
    expect: [
      { code: 'DPC1006', kind: 'NetworkPolicy', namespace: 'x', name: 'a', field: 'spec.priority', at: 'a2' },
      { code: 'DPC1006', kind: 'NetworkPolicy', namespace: 'x', name: 'a', field: 'spec.egress[0].action', at: 'b' },
    ],
  },
  {
    title: 'Tier priority above 255 and not an integer; IGMP type of the wrong direction',
    yaml: `apiVersion: crd.antrea.io/v1beta1
kind: Tier
metadata: {name: t}
spec: {priority: 256} #!a
---
apiVersion: crd.antrea.io/v1beta1
kind: Tier
metadata: {name: u}
spec: {priority: 2.5} #!b
---
apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: p}
spec:
  priority: 1
  appliedTo: [{podSelector: {}}]
  ingress:
  - action: Drop
    protocols: [{igmp: {igmpType: 0x16}}] #!c
`,
    expect: [
      { code: 'DPC1006', kind: 'Tier', name: 't', field: 'spec.priority', at: 'a' },
      { code: 'DPC1006', kind: 'Tier', name: 'u', field: 'spec.priority', at: 'b' },
      { code: 'DPC1006', kind: 'ClusterNetworkPolicy', name: 'p', field: 'spec.ingress[0].protocols[0].igmp.igmpType', at: 'c' },
    ],
  },
  {
    title: 'Kubernetes NetworkPolicy: unknown policy type, too many types, string endPort',
    yaml: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: k, namespace: x}
spec:
  policyTypes: [Ingress, Egress, Ingress] #!a
  egress:
  - ports: [{port: 80, endPort: "90"}] #!b
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: l, namespace: x}
spec:
  policyTypes: [Sideways] #!c
`,
    expect: [
      { code: 'DPC1006', kind: 'NetworkPolicy', namespace: 'x', name: 'k', field: 'spec.policyTypes', at: 'a' },
      { code: 'DPC1006', kind: 'NetworkPolicy', namespace: 'x', name: 'k', field: 'spec.egress[0].ports[0].endPort', at: 'b' },
      { code: 'DPC1006', kind: 'NetworkPolicy', namespace: 'x', name: 'l', field: 'spec.policyTypes[0]', at: 'c' },
    ],
  },
];

describe('policy schemas', () => {
  for (const c of cases) {
    it(c.title, () => {
      const r = run(c.yaml);
      const markers = new Map(r.markers);
      // A missing field points at its parent: `spec:` has a block value that starts on the next line.
      if (markers.has('a') && !markers.has('a2')) markers.set('a2', markers.get('a')! + 1);
      expect(sortDigests(r.diagnostics.map(digest))).toEqual(sortDigests(c.expect.map((e) => expectedDigest(e, markers))));
      // Objects failing their schema never reach the snapshot.
      const s = r.result.snapshot;
      expect([...s.clusterNetworkPolicies, ...s.antreaNetworkPolicies, ...s.tiers, ...s.networkPolicies]).toEqual([]);
    });
  }
});
