/** Identical rules compiled once (docs/design.md §8): one conjunction, one ID, every policy listed in rules.json. */
import { describe, expect, test } from 'vitest';
import { compile } from '../compile.js';
import { clusterSources } from '../../test/fixtures/clusters.js';

const k8s = (name: string, app = 'db', port = 5432) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}, namespace: shop}
spec:
  podSelector: {matchLabels: {app: ${app}}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{protocol: TCP, port: ${port}}]
`;

const acnp = (name: string, priority: number, selector = 'matchLabels: {app: db}') => `apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: ${name}}
spec:
  priority: ${priority}
  tier: application
  appliedTo: [{podSelector: {${selector}}}]
  ingress:
  - action: Allow
    from: [{podSelector: {matchLabels: {app: web}}}]
`;

function build(policies: readonly string[]) {
  const sources = [
    ...clusterSources({
      nodes: [{ name: 'n1', podCIDR: '10.9.0.0/24', internalIP: '192.0.2.1' }],
      pods: [
        { namespace: 'shop', name: 'web', node: 'n1', ip: '10.9.0.10', labels: { app: 'web' } },
        { namespace: 'shop', name: 'db', node: 'n1', ip: '10.9.0.11', labels: { app: 'db', tier: 'data' } },
      ],
    }),
    ...policies.map((text, i) => ({ name: `policy-${i}.yaml`, text })),
  ];
  const r = compile(sources);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const bundle = r.bundles[0]!;
  const file = (path: string) => bundle.files.get(path)!;
  const rules = (JSON.parse(file('visibility/rules.json')) as { rules: { id: number; action: string; policy: { name: string }; key: string; sharedWith?: string[] }[] }).rules;
  const policyFlows = file('openflow/flows.txt')
    .split('\n')
    .filter((l) => /conj_id=|conjunction\(/.test(l));
  return { rules, policyFlows };
}

describe('identical rules share one conjunction', () => {
  test('two K8s policies with the same rule: one ID, the flows of one policy, both named in rules.json', () => {
    const one = build([k8s('a')]);
    const two = build([k8s('a'), k8s('b')]);
    expect(two.policyFlows).toEqual(one.policyFlows);
    const allow = two.rules.filter((r) => r.action === 'Allow');
    expect(allow).toHaveLength(1);
    expect(allow[0]!.id).toBe(one.rules.find((r) => r.action === 'Allow')!.id);
    expect(allow[0]!.policy.name).toBe('a');
    expect(allow[0]!.sharedWith).toEqual(['K8sNetworkPolicy/shop/b/Ingress/0']);
    // The isolations of the same Pods share too.
    const isolate = two.rules.filter((r) => r.action === 'Isolate');
    expect(isolate).toHaveLength(1);
    expect(isolate[0]!.sharedWith).toEqual(['K8sNetworkPolicy/shop/b/Ingress/isolate']);
  });

  test('the rule standing for a group is the smallest key, whatever the input order', () => {
    const ab = build([k8s('b'), k8s('a')]);
    expect(ab.rules.find((r) => r.action === 'Allow')!.policy.name).toBe('a');
    expect(ab).toEqual(build([k8s('a'), k8s('b')]));
  });

  test('the same Pods reached by different selectors still share', () => {
    const two = build([acnp('x', 5), acnp('y', 5, 'matchLabels: {tier: data}')]);
    expect(two.rules).toHaveLength(1);
    expect(two.rules[0]!.sharedWith).toEqual(['AntreaClusterNetworkPolicy/y/Ingress/0']);
  });

  test('rules that differ in ports, Pods or place in the priority order keep their own IDs', () => {
    expect(build([k8s('a'), k8s('b', 'db', 80)]).rules.filter((r) => r.action === 'Allow')).toHaveLength(2);
    expect(build([k8s('a'), k8s('b', 'web')]).rules.filter((r) => r.action === 'Allow')).toHaveLength(2);
    const prio = build([acnp('x', 5), acnp('y', 6)]);
    expect(prio.rules).toHaveLength(2);
    expect(prio.rules.every((r) => r.sharedWith === undefined)).toBe(true);
  });
});
