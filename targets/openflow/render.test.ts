/**
 * Families (compiler/plan/family.ts) are ordered once per compile and each Node's own lines merged into them: the
 * result must be the text of every flow sorted from scratch, whatever the interleaving.
 */
import { describe, expect, test } from 'vitest';
import { compile } from '../../compiler/compile.js';
import { clusterSources } from '../../test/fixtures/clusters.js';
import { allFlows } from '../../compiler/plan/nodePlan.js';
import { familyFlows, LOCAL_GATEWAY_MAC, type ClauseFamily, type FamilyUse, type FlowFamily } from '../../compiler/plan/family.js';
import { keyed } from '../../compiler/plan/matchKey.js';
import { cookie, featureCookie, goto, type Flow } from '../../compiler/plan/flow.js';
import { parseCidr } from '../../compiler/net/ip.js';
import { createSpellingCache, renderFlows, sortDumpedFlows } from './render.js';
import type { TableMap } from '../../compiler/allocate/pipeline.js';

/** The oracle: each flow spelled alone, all lines sorted as a dump is. */
const sortedAlone = (flows: readonly Flow[], tables: TableMap): string =>
  `${sortDumpedFlows(flows.map((f) => renderFlows([f], tables))).join('\n')}\n`;

/** A rule alone at its table and priority and two sharing them, with peers in common (each rule's peer clause a family). */
const POLICIES = `apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: alone}
spec:
  priority: 3
  tier: application
  appliedTo: [{podSelector: {matchLabels: {app: a}}}]
  ingress:
  - {action: Allow, from: [{podSelector: {matchLabels: {app: b}}}], ports: [{protocol: TCP, port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: k8s-one, namespace: shop}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{from: [{podSelector: {matchLabels: {app: a}}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: k8s-two, namespace: shop}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{from: [{podSelector: {}}], ports: [{port: 53, protocol: UDP}]}]
`;

function compiled(nodes = 5) {
  const result = compile(
    [
      ...clusterSources({
        nodes: Array.from({ length: nodes }, (_, i) => ({ name: `n${i}`, podCIDR: `10.9.${i}.0/24`, internalIP: `192.0.2.${i + 1}` })),
        pods: Array.from({ length: nodes * 2 }, (_, i) => ({ namespace: 'shop', name: `p${i}`, node: `n${i % nodes}`, ip: `10.9.${i % nodes}.${10 + i}`, labels: { app: i % 2 ? 'a' : 'b' } })),
      }),
      { name: 'policies.yaml', text: POLICIES },
    ],
    { keepPlans: true },
  );
  expect(result.ok).toBe(true);
  return result;
}

const route = (cidr: string, key: string, c = featureCookie('PodConnectivity')): Flow => ({
  table: 'L3Forwarding',
  priority: 200,
  match: { proto: 'ip', nwDst: parseCidr(cidr)! },
  actions: [{ kind: 'setMac', field: 'eth_src', mac: LOCAL_GATEWAY_MAC }, goto('L3DecTTL')],
  cookie: c,
  origin: { feature: 'PodConnectivity', kind: 'Node', name: key },
});

describe('flow families', () => {
  test('every Node of a compile: the families merged with its own flows are the text sorted from scratch', () => {
    const result = compiled();
    const cache = createSpellingCache();
    // The alone rule's peer clause is a family on the Nodes of its Pods.
    expect(result.plans!.some((p) => p.families.some((u) => u.family.name.startsWith('rule ')))).toBe(true);
    // k8s-one and k8s-two share a table and priority and both have app a's Pods as peers: one family leaves those
    // lines out, the other extends them.
    expect(result.plans!.some((p) => p.families.some((u) => u.dropped?.size) && p.families.some((u) => u.extra?.size))).toBe(true);
    for (const plan of result.plans!) {
      const flows = allFlows(plan);
      // Its own line is left out of each peer family: one ARP answer and one route fewer than there are Nodes.
      expect(flows.filter((f) => f.table === 'ARPResponder' && f.origin.kind === 'Node' && f.origin.name !== plan.node.name)).toHaveLength(4);
      expect(flows.some((f) => f.table === 'ARPResponder' && f.match.arpTpa && f.origin.name === plan.node.name)).toBe(false);
      const text = renderFlows(plan.flows, plan.tables, cache, plan.families, plan.ports.gateway.mac, plan.sharedFlows);
      expect(text).toBe(sortedAlone(flows, plan.tables));
      expect(text).not.toContain(LOCAL_GATEWAY_MAC);
      expect(text).toMatch(/conjunction/);
      expect(result.bundles.find((b) => b.node === plan.node.name)!.files.get('openflow/flows.txt')).toBe(text);
    }
  });

  test('local lines before, between and after family lines, a cookie of their own, the left-out member’s match reused', () => {
    const { tables } = compiled(1).plans![0]!;
    const family: FlowFamily = { name: 'test routes', members: ['10.1.0.0/24', '10.3.0.0/24', '10.5.0.0/24', '10.7.0.0/24'].map((c, i) => ({ key: `k${i}`, flow: route(c, `k${i}`) })) };
    const uses: FamilyUse[] = [{ family, without: 'k1' }];
    const local = [
      route('10.0.0.0/24', 'local'),
      route('10.3.0.0/24', 'local'), // the match of k1, which this Node leaves out
      route('10.4.0.0/24', 'local', cookie(9)),
      route('10.6.0.0/24', 'local'),
      route('10.9.0.0/24', 'local'),
    ].map((f) => ({ ...f, actions: [{ kind: 'setMac' as const, field: 'eth_src' as const, mac: '02:00:00:00:00:01' }, goto('L3DecTTL')] }));
    const mac = '0a:00:00:00:00:02';
    const text = renderFlows(local, tables, createSpellingCache(), uses, mac);
    expect(text).toBe(sortedAlone([...local, ...familyFlows(uses, mac)], tables));
    expect(text.split('\n').filter((l) => l.includes(mac))).toHaveLength(3);
    // Twice through one cache: the family's block is reused, the text the same.
    const cache = createSpellingCache();
    expect(renderFlows(local, tables, cache, uses, mac)).toBe(text);
    expect(renderFlows(local, tables, cache, uses, mac)).toBe(text);
  });

  test('a local flow with the match of a member the Node keeps is refused, as two local flows are', () => {
    const { tables } = compiled(1).plans![0]!;
    const family: FlowFamily = { name: 'test routes', members: [{ key: 'a', flow: route('10.1.0.0/24', 'a') }, { key: 'b', flow: route('10.2.0.0/24', 'b') }] };
    expect(() => renderFlows([route('10.2.0.0/24', 'local')], tables, createSpellingCache(), [{ family, without: 'a' }], 'm')).toThrow(/two flows share/);
    expect(() => renderFlows([], tables, createSpellingCache(), [{ family }, { family }], 'm')).toThrow(/two flow families share/);
  });

  test('families of one cookie each share a table and priority: runs by cookie, local lines placed among them, clashes refused', () => {
    const { tables } = compiled(1).plans![0]!;
    const plain = (f: Flow): Flow => ({ ...f, actions: [goto('L3DecTTL')] });
    const familyOf = (c: bigint, cidrs: string[]): FlowFamily => ({ name: `cookie ${c}`, members: cidrs.map((cidr) => ({ key: cidr, flow: plain(route(cidr, cidr, cookie(2, Number(c)))) })) });
    const uses: FamilyUse[] = [
      { family: familyOf(0x21n, ['10.1.0.0/24', '10.4.0.0/24']), dropped: new Set(['10.4.0.0/24']) },
      { family: familyOf(0x3n, ['10.2.0.0/24', '10.5.0.0/24']), extra: new Map([['10.5.0.0/24', [goto('Output')]]]) },
      { family: familyOf(0x200n, ['10.3.0.0/24']) },
    ];
    const local = [plain(route('10.0.0.0/24', 'local', cookie(2, 0x3))), plain(route('10.9.0.0/24', 'local', cookie(2, 0x1f))), plain(route('10.8.0.0/24', 'local', cookie(0)))];
    const text = renderFlows(local, tables, createSpellingCache(), uses, 'm');
    expect(text).toBe(sortedAlone([...local, ...familyFlows(uses, 'm')], tables));
    expect(text).not.toContain('10.4.0.0/24');
    expect(text).toMatch(/nw_dst=10\.5\.0\.0\/24 actions=goto_table:\d+,goto_table:\d+/);
    expect(() => renderFlows([plain(route('10.3.0.0/24', 'local', cookie(2, 0x3)))], tables, createSpellingCache(), uses, 'm')).toThrow(/two flows share/);
  });

  test('a clause family merges its clauses\' lists in match order, in runs cut wherever another list comes between', () => {
    const { tables } = compiled(1).plans![0]!;
    const src = (cidr: string) => keyed({ proto: 'ip', nwSrc: parseCidr(cidr) });
    const conj = (clause: number) => [{ kind: 'conjunction' as const, id: 7, clause, of: 3 }];
    const family = (lists: string[][]): ClauseFamily => ({
      name: 'rule 7',
      table: 'AntreaPolicyIngressRule',
      priority: 14000,
      cookie: cookie(2, 7),
      origin: { feature: 'NetworkPolicy', kind: 'Test', name: 't' },
      clauses: lists.map((cidrs, i) => ({ matches: cidrs.map(src), actions: conj(i === 0 ? 1 : 3) })),
    });
    // Lists given unsorted, interleaving: runs of one, of two and the rest of a list.
    const interleaved = family([
      ['10.1.0.9/32', '10.1.0.1/32', '10.1.0.2/32', '10.1.0.6/32', '10.1.0.7/32'],
      ['10.1.0.3/32', '10.1.0.8/32', '10.1.0.0/32'],
    ]);
    const uses: FamilyUse[] = [{ family: interleaved, dropped: new Set([src('10.1.0.6/32').key]), extra: new Map([[src('10.1.0.8/32').key, conj(2)]]) }];
    const local = [{ table: 'AntreaPolicyIngressRule' as const, priority: 14000, match: { proto: 'ip' as const, nwSrc: parseCidr('10.1.0.5/32') }, actions: conj(2), cookie: cookie(2, 7), origin: interleaved.origin }];
    const text = renderFlows(local, tables, createSpellingCache(), uses, 'm');
    expect(text).toBe(sortedAlone([...local, ...familyFlows(uses, 'm')], tables));
    expect(text.split('\n').filter((l) => l.includes('nw_src'))).toHaveLength(8);
    // One list alone is one join over it.
    const single = family([['10.1.0.4/32', '10.1.0.2/32']]);
    expect(renderFlows([], tables, createSpellingCache(), [{ family: single }], 'm')).toBe(sortedAlone(familyFlows([{ family: single }], 'm'), tables));
    // A match in two clauses, or twice in one, would be two flows with one match.
    expect(() => renderFlows([], tables, createSpellingCache(), [{ family: family([['10.1.0.1/32'], ['10.1.0.1/32']]) }], 'm')).toThrow(/share table/);
    expect(() => renderFlows([], tables, createSpellingCache(), [{ family: family([['10.1.0.1/32', '10.1.0.1/32']]) }], 'm')).toThrow(/twice/);
  });
});
