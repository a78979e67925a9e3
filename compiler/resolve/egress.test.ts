import { describe, expect, test } from 'vitest';
import { ingest } from '../ingest/ingest.js';
import { buildModel } from '../model/model.js';
import { formatIP } from '../net/ip.js';
import { ConsistentHash, resolveEgress } from './egress.js';

const node = (name: string, ip: string, cidr: string, extra = '') => `apiVersion: v1
kind: Node
metadata: {name: ${name}, labels: {kubernetes.io/hostname: ${name}, kubernetes.io/os: linux}${extra}}
spec: {podCIDR: ${cidr}}
status: {addresses: [{type: InternalIP, address: ${ip}}]}
`;
const pod = (ns: string, name: string, n: string, ip: string, labels = '{app: web}') =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${ns}, labels: ${labels}}\nspec: {nodeName: ${n}, containers: [{name: c, image: i}]}\nstatus: {podIP: ${ip}}\n`;
const pool = (name: string, ranges: string, selector = '{}') =>
  `apiVersion: crd.antrea.io/v1beta1\nkind: ExternalIPPool\nmetadata: {name: ${name}}\nspec: {ipRanges: ${ranges}, nodeSelector: ${selector}}\n`;
const egress = (name: string, spec: string, meta = '') =>
  `apiVersion: crd.antrea.io/v1beta1\nkind: Egress\nmetadata: {name: ${name}${meta}}\nspec: {appliedTo: {podSelector: {matchLabels: {app: web}}}, ${spec}}\n`;
// The Namespaces the tests' Pods live in: the API server refuses objects in a Namespace that does not exist.
const NAMESPACES = ['x', 'y', 'z'].map((n) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${n}}\n`);
const NODES = [
  node('n1', '10.0.0.1', '10.10.1.0/24'),
  node('n2', '10.0.0.2', '10.10.2.0/24'),
  node('n3', '10.0.0.3', '10.10.3.0/24'),
  ...NAMESPACES,
];

function resolve(...docs: string[]) {
  const { snapshot, diagnostics } = ingest([{ name: 'in.yaml', text: [...NODES, ...docs].join('---\n') }]);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return resolveEgress(buildModel(snapshot).model);
}
const summary = (r: ReturnType<typeof resolve>) =>
  Object.fromEntries(r.egresses.map((d) => [d.name, { ip: d.ip && formatIP(d.ip), node: d.node, unplaced: d.unplaced }]));

describe("Egress decisions as Antrea's controller and agents make them", () => {
  test("the ring gives the conformance cases' Nodes (crc32, 50 replicas)", () => {
    const ring = new ConsistentHash(['node-1', 'node-2']);
    expect(ring.get('169.254.101.10')).toBe('node-1');
    expect(ring.get('169.254.100.1')).toBe('node-2');
    expect(ring.get('169.254.100.1', (n) => n !== 'node-2')).toBe('node-1');
    expect(ring.get('169.254.100.1', () => false)).toBeUndefined();
    expect(new ConsistentHash([]).get('x')).toBeUndefined();
  });

  test('explicit IPs are reserved first, then the lowest free address of the first range with room, in creation order', () => {
    const r = resolve(
      pool('p', '[{cidr: 10.1.0.0/30}, {start: 10.1.1.5, end: 10.1.1.6}]'),
      egress('b-second', 'externalIPPool: p', ', creationTimestamp: "2024-01-02T00:00:00Z"'),
      egress('a-third', 'externalIPPool: p', ', creationTimestamp: "2024-01-03T00:00:00Z"'),
      egress('z-first', 'externalIPPool: p', ', creationTimestamp: "2024-01-01T00:00:00Z"'),
      egress('explicit', 'externalIPPool: p, egressIP: 10.1.0.1', ', creationTimestamp: "2024-01-09T00:00:00Z"'),
      egress('none-left', 'externalIPPool: p', ', creationTimestamp: "2024-01-04T00:00:00Z"'),
    );
    const s = summary(r);
    // /30: .1 and .2 usable (.3 is the reserved broadcast); .1 is taken by the explicit IP.
    expect(s['explicit']!.ip).toBe('10.1.0.1');
    expect(s['z-first']!.ip).toBe('10.1.0.2');
    expect(s['b-second']!.ip).toBe('10.1.1.5');
    expect(s['a-third']!.ip).toBe('10.1.1.6');
    expect(s['none-left']).toMatchObject({ ip: undefined, unplaced: 'ExternalIPPool p has no free IP' });
    expect(r.pools).toEqual([{ name: 'p', total: 4, used: 4 }]);
  });

  test('the capacity filter skips a full Node to the next one on the ring; no eligible Node is reported', () => {
    const ring = new ConsistentHash(['n1', 'n2', 'n3']);
    const first = ring.get('10.1.0.1')!;
    const r = resolve(
      node('n4', '10.0.0.4', '10.10.4.0/24', ', annotations: {node.antrea.io/max-egress-ips: "0"}').replace('kubernetes.io/os: linux', 'kubernetes.io/os: windows'),
      pool('p', '[{cidr: 10.1.0.0/29}]', `{matchLabels: {kubernetes.io/hostname: ${first}}}`),
      pool('q', '[{cidr: 10.2.0.0/29}]', '{matchLabels: {kubernetes.io/hostname: n4}}'),
      egress('e1', 'externalIPPool: p, egressIP: 10.1.0.1', ', creationTimestamp: "2024-01-01T00:00:00Z"'),
      egress('e2', 'externalIPPool: q'),
    );
    expect(summary(r)['e1']).toMatchObject({ node: first });
    expect(summary(r)['e2']!.unplaced).toMatch(/no Node available: no Ready Linux Node/);
  });

  test('a Node annotated with max-egress-ips 1 takes one IP; the next Egress goes elsewhere', () => {
    const ring = new ConsistentHash(['n1', 'n2', 'n3']);
    // Two IPs that hash to the same first Node.
    const ips = Array.from({ length: 60 }, (_, i) => `10.1.0.${i + 1}`);
    const target = ring.get(ips[0]!)!;
    const second = ips.find((ip, i) => i > 0 && ring.get(ip) === target)!;
    const annotated = NODES.map((t) => (t.includes(`name: ${target},`) ? t.replace('}}\nspec', `}, annotations: {node.antrea.io/max-egress-ips: "1"}}\nspec`) : t));
    const { snapshot } = ingest([
      {
        name: 'in.yaml',
        text: [
          ...annotated,
          pool('p', '[{cidr: 10.1.0.0/24}]'),
          egress('e1', `externalIPPool: p, egressIP: ${ips[0]}`, ', creationTimestamp: "2024-01-01T00:00:00Z"'),
          egress('e2', `externalIPPool: p, egressIP: ${second}`, ', creationTimestamp: "2024-01-02T00:00:00Z"'),
        ].join('---\n'),
      },
    ]);
    const r = resolveEgress(buildModel(snapshot).model);
    expect(r.egresses.find((d) => d.name === 'e1')!.node).toBe(target);
    expect(r.egresses.find((d) => d.name === 'e2')!.node).toBe(ring.get(second, (n) => n !== target));
  });

  test("a static IP belongs to the Node that has it; the snapshot's status wins and the difference is reported", () => {
    const r = resolve(
      pod('x', 'a', 'n1', '10.10.1.5'),
      pool('p', '[{cidr: 10.1.0.0/29}]'),
      egress('static', 'egressIP: 10.0.0.2', ', creationTimestamp: "2024-01-01T00:00:00Z"'),
      egress('live', 'externalIPPool: p, egressIP: 10.1.0.1', ', creationTimestamp: "2024-01-02T00:00:00Z"').replace(
        '}\n',
        '}\nstatus: {egressNode: n3, egressIP: 10.1.0.1}\n',
      ),
    );
    expect(summary(r)['static']).toMatchObject({ ip: '10.0.0.2', node: 'n2' });
    expect(r.egresses.find((d) => d.name === 'live')).toMatchObject({ node: 'n3', placedBy: 'status' });
    const mine = new ConsistentHash(['n1', 'n2', 'n3']).get('10.1.0.1');
    expect(r.diagnostics.some((d) => d.code === 'DPC3312') ).toBe(mine !== 'n3');
    // Both select x/a: the older one is effective, the other is reported.
    expect(r.podEgress.get('x/a')).toBe('static');
    expect(r.egresses.find((d) => d.name === 'live')!.shadowedPods).toEqual(['x/a']);
    expect(r.diagnostics.map((d) => d.code)).toContain('DPC3314');
  });

  test('an unplaceable Egress binds no Pod, so a later placeable one is effective', () => {
    const r = resolve(
      pod('x', 'a', 'n1', '10.10.1.5'),
      egress('gone', 'externalIPPool: missing', ', creationTimestamp: "2024-01-01T00:00:00Z"'),
      egress('works', 'egressIP: 10.0.0.3', ', creationTimestamp: "2024-01-02T00:00:00Z"'),
    );
    expect(summary(r)['gone']!.unplaced).toBe('ExternalIPPool missing does not exist');
    expect(r.podEgress.get('x/a')).toBe('works');
  });
});
