/**
 * Plans asserted by table name (never by table number), their provenance, and their immutability.
 */
import { resolveEgress } from '../resolve/egress.js';
import { describe, expect, test } from 'vitest';
import { compile } from '../compile.js';
import { clusterSources } from '../../test/fixtures/clusters.js';
import { ingest } from '../ingest/ingest.js';
import { buildModel } from '../model/model.js';
import { resolvePolicies } from '../resolve/policies.js';
import { allocatePolicyRules } from '../allocate/policyRules.js';
import { allocateNodePorts } from '../allocate/ports.js';
import { computeTableMap } from '../allocate/pipeline.js';
import { indexPoliciesByNode, lastUses } from './policyIndex.js';
import { createSharedFlows } from './podConnectivity.js';
import { allFlows, createPlanCache, flowCount, planNode, type NodePlan } from './nodePlan.js';
import { deepFreeze } from '../util/deepFreeze.js';
import { TargetOFPortField } from './fields.js';
import { matchKey } from './matchKey.js';
import { formatCidr, formatIP } from '../net/ip.js';

const POLICY = `apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: web-only}
spec:
  priority: 3
  tier: application
  appliedTo: [{podSelector: {matchLabels: {app: db}}}]
  ingress:
  - action: Allow
    name: from-web
    from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{protocol: TCP, port: 5432}]
  - action: Reject
    name: rest
`;

const PODS = [
  { namespace: 'shop', name: 'web', node: 'n2', ip: '10.9.1.10', labels: { app: 'web' } },
  { namespace: 'shop', name: 'db', node: 'n1', ip: '10.9.0.11', labels: { app: 'db' } },
];

function planFor(policy = POLICY, pods = PODS): NodePlan {
  const sources = [
    ...clusterSources({
      nodes: [
        { name: 'n1', podCIDR: '10.9.0.0/24', internalIP: '192.0.2.1' },
        { name: 'n2', podCIDR: '10.9.1.0/24', internalIP: '192.0.2.2' },
      ],
      pods,
    }),
    { name: 'policy.yaml', text: policy },
  ];
  const { snapshot } = ingest(sources);
  const { model } = buildModel(snapshot);
  const { allocated } = allocatePolicyRules(resolvePolicies(model).intents);
  const node = model.nodeByName.get('n1')!;
  const { ports } = allocateNodePorts(model, node);
  return planNode(model, node, ports, computeTableMap(model.config.features), indexPoliciesByNode(allocated).get('n1'), createSharedFlows(model), createPlanCache(), resolveEgress(model));
}

describe('NetworkPolicy plan', () => {
  test('ingress rules land in AntreaPolicyIngressRule as conjunctions over peer, local Pod and service', () => {
    const plan = planFor();
    const rules = allFlows(plan).filter((f) => f.table === 'AntreaPolicyIngressRule' && f.origin.feature === 'NetworkPolicy');
    const allow = plan.policy.rules.find((r) => r.ruleName === 'from-web')!;
    const conj = rules.filter((f) => f.actions.some((a) => a.kind === 'conjunction' && a.id === allow.id));
    // peer (web's IP), local (db's ofport in reg1), service (tcp 5432): three clauses.
    expect(conj).toHaveLength(3);
    expect(conj.map((f) => f.actions.find((a) => a.kind === 'conjunction')!).map((a) => a.kind === 'conjunction' && `${a.clause}/${a.of}`).sort()).toEqual(['1/3', '2/3', '3/3']);
    const local = conj.find((f) => f.match.regs?.[TargetOFPortField.reg] !== undefined)!;
    expect(local.match.regs![TargetOFPortField.reg]!.value).toBe(BigInt(plan.ports.pods.find((p) => p.pod.name === 'db')!.ofport));
    expect(conj.find((f) => f.match.proto === 'tcp')!.match.tpDst).toEqual({ value: 5432n });
    // Both rules of one policy share the priority band; the earlier rule is above the later one.
    const reject = plan.policy.rules.find((r) => r.ruleName === 'rest')!;
    expect(allow.priority).toBeGreaterThan(reject.priority);
    // Reject sends the packet to the controller through a group; the metric table drops the rest.
    const rejectAction = rules.find((f) => f.match.conjId === reject.id)!;
    expect(rejectAction.actions.some((a) => a.kind === 'group')).toBe(true);
    expect(allFlows(plan).some((f) => f.table === 'IngressMetric' && f.actions.some((a) => a.kind === 'drop') && f.origin.rule === 'rest')).toBe(true);
  });

  test('a Node without the rule’s Pods gets none of its flows', () => {
    const plan = planFor();
    expect(plan.node.name).toBe('n1');
    const sources = clusterSources({
      nodes: [{ name: 'n1', podCIDR: '10.9.0.0/24', internalIP: '192.0.2.1' }],
      pods: [{ namespace: 'shop', name: 'other', node: 'n1', ip: '10.9.0.20', labels: { app: 'other' } }],
    });
    const r = compile([...sources, { name: 'policy.yaml', text: POLICY }]);
    expect(r.ok).toBe(true);
    expect(r.bundles[0]!.files.get('openflow/flows.txt')).not.toMatch(/conjunction/);
  });

  test('every record carries its origin; every NetworkPolicy rule flow names its policy and rule', () => {
    const plan = planFor();
    const flows = allFlows(plan);
    expect(flows.length).toBe(flowCount(plan));
    for (const f of flows) expect(f.origin.feature, `${f.table} ${f.priority}`).toBeTruthy();
    for (const g of plan.groups) expect(g.origin.feature).toBe('NetworkPolicy');
    // Antrea's start-up meters: NetworkPolicy packet-ins, Traceflow (no dpc feature), DNS interception.
    expect(plan.meters.map((m) => [m.id, m.origin.feature])).toEqual([
      [256, 'NetworkPolicy'],
      [257, 'Pipeline'],
      [258, 'NetworkPolicy'],
    ]);
    for (const p of plan.ovsdbPorts) expect(p.origin.kind).toBe('Node');
    const ruleFlows = flows.filter((f) => f.cookie & 0xffffffffn);
    expect(ruleFlows.length).toBeGreaterThan(5);
    for (const f of ruleFlows) {
      expect(f.origin).toMatchObject({ feature: 'NetworkPolicy', kind: 'AntreaClusterNetworkPolicy', name: 'web-only' });
      expect(['from-web', 'rest']).toContain(f.origin.rule);
    }
    // Per-Pod forwarding flows name their Pod.
    expect(plan.flows.some((f) => f.table === 'SpoofGuard' && f.origin.kind === 'Pod' && f.origin.name === 'db')).toBe(true);
  });

  test('rules at one table and priority share one flow per common peer or service match, owned by the lowest rule ID', () => {
    const acnp = (name: string, from: string, ports = '') => `apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: ${name}}
spec:
  priority: 5
  tier: application
  appliedTo: [{podSelector: {matchLabels: {app: db}}}]
  ingress: [{action: Allow, name: r, from: [{podSelector: ${from}}]${ports}}]
`;
    const policies = [
      acnp('a', '{matchLabels: {app: web}}'),
      acnp('b', '{matchExpressions: [{key: app, operator: In, values: [web, api]}]}', ', ports: [{protocol: TCP, port: 80}]'),
      acnp('c', '{matchLabels: {app: api}}', ', ports: [{protocol: TCP, port: 80}]'),
    ].join('---\n');
    const pods = [...PODS, { namespace: 'shop', name: 'api', node: 'n2', ip: '10.9.1.12', labels: { app: 'api' } }];
    const plan = planFor(policies, pods);
    const id = (policy: string) => plan.policy.rules.find((r) => r.policy.name === policy)!.id;
    const peersOf: Record<string, string[]> = { a: ['10.9.1.10'], b: ['10.9.1.10', '10.9.1.12'], c: ['10.9.1.12'] };
    const clauses = allFlows(plan).filter((f) => f.table === 'AntreaPolicyIngressRule' && f.actions.length > 0 && f.actions.every((a) => a.kind === 'conjunction'));
    // Never two flows with one (priority, match): OVS would keep one of them.
    const keys = clauses.map((f) => `${f.priority} ${matchKey(f.match)}`);
    expect(new Set(keys).size).toBe(keys.length);
    const conjs = (f: (typeof clauses)[number]) => f.actions.map((a) => (a.kind === 'conjunction' ? [a.id, a.clause, a.of] : []));
    // Every rule's peer (clause 1) and service (clause 3 of 3) is in exactly one flow with that match.
    for (const [policy, ips] of Object.entries(peersOf)) {
      const r = id(policy);
      for (const ip of ips) {
        const holding = clauses.filter((f) => f.match.nwSrc && formatIP({ family: 4, value: f.match.nwSrc.base }) === ip && conjs(f).some(([i, c]) => i === r && c === 1));
        expect(holding, `${policy} ${ip}`).toHaveLength(1);
      }
    }
    for (const f of clauses) {
      const list = conjs(f);
      const sorted = [...list].sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!);
      expect(list).toEqual(sorted);
      expect(f.cookie & 0xffffffffn).toBe(BigInt(sorted[0]![0]!));
    }
    const web = clauses.find((f) => f.match.nwSrc && formatIP({ family: 4, value: f.match.nwSrc.base }) === '10.9.1.10')!;
    expect(conjs(web).map(([i]) => i)).toEqual([id('a'), id('b')].sort((x, y) => x - y));
    const tcp80 = clauses.filter((f) => f.match.proto === 'tcp' && f.match.tpDst?.value === 80n);
    expect(tcp80).toHaveLength(1);
    expect(conjs(tcp80[0]!)).toEqual([[id('b'), 3, 3], [id('c'), 3, 3]].sort((x, y) => x[0]! - y[0]!));
  });

  test('rules with the same peer Pods share one match list; a Pod named again by its /32 ipBlock is one flow', () => {
    const acnp = (name: string, priority: number, from: string) => `apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: ${name}}
spec:
  priority: ${priority}
  tier: application
  appliedTo: [{podSelector: {matchLabels: {app: db}}}]
  ingress: [{action: Allow, name: r, from: [${from}]}]
`;
    const policies = [
      acnp('a', 5, '{podSelector: {matchLabels: {app: web}}}'),
      acnp('b', 6, '{podSelector: {matchLabels: {app: web}}}'),
      acnp('c', 7, '{podSelector: {matchLabels: {app: web}}}, {ipBlock: {cidr: 10.9.1.10/32}}'),
    ].join('---\n');
    const pods = [...PODS, { namespace: 'shop', name: 'web2', node: 'n2', ip: '10.9.1.11', labels: { app: 'web' } }];
    const plan = planFor(policies, pods);
    const id = (policy: string) => plan.policy.rules.find((r) => r.policy.name === policy)!.id;
    const peerClause = (policy: string) => {
      const families = plan.families.flatMap(({ family }) => ('clauses' in family ? [family] : []));
      const family = families.find((f) => f.clauses[0]!.actions.some((a) => a.kind === 'conjunction' && a.id === id(policy)))!;
      return family.clauses[0]!.matches;
    };
    // One list for both rules: the peers' matches are made, spelled and ordered once.
    expect(peerClause('a')).toBe(peerClause('b'));
    expect(peerClause('a').map((m) => formatIP({ family: 4, value: m.match.nwSrc!.base })).sort()).toEqual(['10.9.1.10', '10.9.1.11']);
    const peersOfC = allFlows(plan).filter((f) => f.actions.some((a) => a.kind === 'conjunction' && a.id === id('c') && a.clause === 1));
    expect(peersOfC.map((f) => `${formatIP({ family: 4, value: f.match.nwSrc!.base })}/${f.match.nwSrc!.prefix}`).sort()).toEqual(['10.9.1.10/32', '10.9.1.11/32']);
  });

  test('host-network Pods, which share their Node\'s address, are never peers: each peer address is one flow', () => {
    const pods = [
      ...PODS,
      { namespace: 'shop', name: 'agent-a', node: 'n2', ip: '192.0.2.2', labels: { app: 'web' }, hostNetwork: true },
      { namespace: 'shop', name: 'agent-b', node: 'n2', ip: '192.0.2.2', labels: { app: 'web' }, hostNetwork: true },
    ];
    const plan = planFor(POLICY, pods);
    const allow = plan.policy.rules.find((r) => r.ruleName === 'from-web')!;
    expect(allow.peers.pods.map((p) => p.name)).toEqual(['web']);
    const peerFlows = allFlows(plan).filter((f) => f.match.nwSrc !== undefined && f.actions.some((a) => a.kind === 'conjunction' && a.id === allow.id));
    expect(peerFlows.map((f) => formatCidr(f.match.nwSrc!))).toEqual(['10.9.1.10/32']);
    const sources = clusterSources({
      nodes: [
        { name: 'n1', podCIDR: '10.9.0.0/24', internalIP: '192.0.2.1' },
        { name: 'n2', podCIDR: '10.9.1.0/24', internalIP: '192.0.2.2' },
      ],
      pods,
    });
    const r = compile([...sources, { name: 'policy.yaml', text: POLICY }], { nodes: ['n1'] });
    expect(r.ok).toBe(true);
    expect(r.bundles[0]!.files.get('openflow/flows.txt')).toContain('nw_src=10.9.1.10 ');
  });

  test('plans are frozen under test: a change to a record throws instead of reaching another Node', () => {
    const plan = deepFreeze(planFor());
    const flow = plan.flows[0]!;
    expect(() => {
      (flow as { priority: number }).priority = 1;
    }).toThrow(TypeError);
    expect(() => {
      (flow.actions as unknown[]).push({ kind: 'drop' });
    }).toThrow(TypeError);
  });
});

describe('lastUses', () => {
  const policy = (name: string, app: string, from: string) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}, namespace: shop}
spec:
  podSelector: {matchLabels: {app: ${app}}}
  ingress: [{from: [{podSelector: {matchLabels: {app: ${from}}}}]}]
`;
  const sources = [
    ...clusterSources({
      nodes: ['n1', 'n2', 'n3'].map((name, i) => ({ name, podCIDR: `10.9.${i}.0/24`, internalIP: `192.0.2.${i + 1}` })),
      pods: [
        { namespace: 'shop', name: 'db-a', node: 'n1', ip: '10.9.0.11', labels: { app: 'db' } },
        { namespace: 'shop', name: 'web', node: 'n2', ip: '10.9.1.10', labels: { app: 'web' } },
        { namespace: 'shop', name: 'db-b', node: 'n3', ip: '10.9.2.12', labels: { app: 'db' } },
      ],
    }),
    { name: 'policies.yaml', text: `${policy('db', 'db', 'web')}---\n${policy('web', 'web', 'db')}` },
  ];
  const { model } = buildModel(ingest(sources).snapshot);
  const { allocated } = allocatePolicyRules(resolvePolicies(model).intents);
  const byNode = indexPoliciesByNode(allocated);

  test.each([[['n1', 'n2', 'n3']], [['n3', 'n2', 'n1']], [['n2', 'n3']]])('in order %j, each rule, isolation and peer list ends at the last Node that uses it', (order) => {
    const ended = lastUses(order, byNode);
    const last = (pods: readonly { nodeName: string }[]) => order.filter((n) => pods.some((p) => p.nodeName === n)).at(-1);
    const where = <T>(pick: (e: { rules: unknown[]; isolation: unknown[]; peerPods: unknown[] }) => T[], item: T) =>
      [...ended].filter(([, e]) => pick(e).includes(item)).map(([node]) => node);
    expect(allocated.rules.length).toBe(2);
    for (const rule of allocated.rules) {
      expect(where((e) => e.rules, rule)).toEqual([last(rule.appliedTo)].filter(Boolean));
      const users = allocated.rules.filter((r) => r.peers.pods === rule.peers.pods).flatMap((r) => r.appliedTo);
      expect(where((e) => e.peerPods, rule.peers.pods)).toEqual([last(users)].filter(Boolean));
    }
    expect(allocated.isolation.length).toBe(2);
    for (const iso of allocated.isolation) expect(where((e) => e.isolation, iso)).toEqual([last(iso.pods)].filter(Boolean));
  });
});
