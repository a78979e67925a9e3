/** Resolver on a tiny model: three Pods, one policy → intents. No IDs, tables or priorities exist here yet. */
import { describe, expect, test } from 'vitest';
import { ingest } from '../ingest/ingest.js';
import { buildModel } from '../model/model.js';
import { clusterSources } from '../../test/fixtures/clusters.js';
import { resolvePolicies } from './policies.js';
import { formatCidr } from '../net/ip.js';

function model(policy: string) {
  const sources = clusterSources({
    nodes: [{ name: 'n1', podCIDR: '10.9.0.0/24', internalIP: '192.0.2.1' }],
    pods: [
      { namespace: 'shop', name: 'web', node: 'n1', ip: '10.9.0.10', labels: { app: 'web' } },
      { namespace: 'shop', name: 'db', node: 'n1', ip: '10.9.0.11', labels: { app: 'db' } },
      { namespace: 'shop', name: 'batch', node: 'n1', ip: '10.9.0.12', labels: { app: 'batch' } },
    ],
  });
  const { snapshot, diagnostics } = ingest([...sources, { name: 'policy.yaml', text: policy }]);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return buildModel(snapshot).model;
}

describe('resolvePolicies', () => {
  test('a K8s ingress rule: appliedTo = selected Pods, peers = Pod IPs, services as written; isolation recorded', () => {
    const m = model(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{protocol: TCP, port: 5432}]
`);
    const { intents, diagnostics } = resolvePolicies(m);
    expect(diagnostics).toEqual([]);
    expect(intents.rules).toHaveLength(1);
    const r = intents.rules[0]!;
    expect(r.direction).toBe('Ingress');
    expect(r.action).toBe('Allow');
    expect(r.appliedTo.map((p) => p.name)).toEqual(['db']);
    expect(r.peers.pods.map((p) => p.name)).toEqual(['web']);
    expect(r.peers.cidrs).toEqual([]);
    expect(r.services).toEqual([{ protocol: 'TCP', port: 5432 }]);
    expect(r.tierPriority).toBeUndefined();
    // Intents carry no allocation: no ID, table or OpenFlow priority.
    expect(Object.keys(r)).not.toEqual(expect.arrayContaining(['id']));
    expect('table' in r || 'priority' in r).toBe(false);
    expect(intents.isolation.map((i) => [i.direction, i.pods.map((p) => p.name)])).toEqual([['Ingress', ['db']]]);
  });

  test('an ACNP egress Drop to an ipBlock with except: CIDRs minus the hole, the Tier from the model', () => {
    const m = model(`apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: no-metadata}
spec:
  priority: 5
  tier: securityops
  appliedTo: [{podSelector: {matchLabels: {app: batch}}}]
  egress:
  - action: Drop
    name: block
    to: [{ipBlock: {cidr: 169.254.0.0/16, except: [169.254.128.0/17]}}]
`);
    const { intents, diagnostics } = resolvePolicies(m);
    expect(diagnostics).toEqual([]);
    const r = intents.rules[0]!;
    expect([r.direction, r.action, r.ruleName, r.tierName, r.tierPriority, r.policyPriority]).toEqual(['Egress', 'Drop', 'block', 'securityops', 100, 5]);
    expect(r.appliedTo.map((p) => p.name)).toEqual(['batch']);
    expect(r.peers.cidrs.map(formatCidr)).toEqual(['169.254.0.0/17']);
    expect(intents.isolation).toEqual([]);
  });
});
