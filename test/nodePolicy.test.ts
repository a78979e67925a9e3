/**
 * Node policies from snapshot to iptables and ipset text: the gate, admission, peers as Antrea expands them,
 * services, actions, logging, chain order, stable IDs, and the separation from Pod-level policies (no iptables
 * lines for those, no OpenFlow flows for these). The real-kernel behaviour of these files is proven in the
 * node conformance cases (test/conformanceNode.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, type CompileResult } from '../compiler/compile.js';
import { REPO_ROOT } from './repoRoot.js';
import { caseSources, readExpected } from './golden/golden.js';

const fixture = (gate: boolean): string =>
  readFileSync(join(REPO_ROOT, 'conformance', 'fixtures', 'antrea-node-1.yaml'), 'utf8').replace('NodeNetworkPolicy: true', `NodeNetworkPolicy: ${gate}`);

function run(policies: string, gate = true, extra = ''): CompileResult {
  return compile([
    { name: 'fixture.yaml', text: fixture(gate) + extra },
    { name: 'policies.yaml', text: policies },
  ]);
}

const file = (r: CompileResult, node: string, path: string): string | undefined => r.bundles.find((b) => b.node === node)?.files.get(path);
const lines = (text: string | undefined, chain: string): string[] => (text ?? '').split('\n').filter((l) => l.startsWith(`-A ${chain} `));

const acnp = (name: string, body: string, opts: { tier?: string; priority?: number } = {}): string => `
apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: ${name}}
spec:
  priority: ${opts.priority ?? 1}
${opts.tier ? `  tier: ${opts.tier}\n` : ''}  appliedTo:
  - nodeSelector: {matchLabels: {kubernetes.io/hostname: node-1}}
${body}
---`;

describe('node policies: input', () => {
  it('with the gate off: a warning naming the policy, and no node-policy chain or set in the host files', () => {
    const r = run(acnp('p', '  ingress:\n  - {action: Drop, from: [{ipBlock: {cidr: 10.0.0.0/8}}]}'), false);
    expect(r.ok).toBe(true);
    const w = r.diagnostics.find((d) => d.code === 'DPC3190');
    expect(w?.severity).toBe('warning');
    expect(w?.object).toMatchObject({ kind: 'ClusterNetworkPolicy', name: 'p' });
    // The host files hold only the Pod masquerade every Node has (nat ANTREA-POSTROUTING, ANTREA-POD-IP).
    for (const b of r.bundles) {
      for (const [k, text] of b.files) if (k.startsWith('iptables/') || k.startsWith('ipset/')) expect(text).not.toMatch(/ANTREA-POL|filter/);
    }
  });

  it('refuses what iptables cannot enforce as written, naming the field', () => {
    const cases: [string, string][] = [
      ['  ingress:\n  - {action: Drop, ports: [{port: http}]}', 'ports[0].port'],
      ['  ingress:\n  - {action: Drop, from: [{namespaces: {match: Self}}]}', 'from[0].namespaces'],
    ];
    for (const [body, field] of cases) {
      const r = run(acnp('bad', body));
      expect(r.ok).toBe(false);
      expect(r.diagnostics.some((d) => d.severity === 'error' && d.object?.name === 'bad' && d.field?.includes(field))).toBe(true);
    }
    const mixed = run(`
apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: mixed}
spec:
  priority: 1
  appliedTo:
  - nodeSelector: {matchLabels: {kubernetes.io/hostname: node-1}}
  - podSelector: {}
  ingress: [{action: Drop}]
`);
    expect(mixed.diagnostics.some((d) => d.code === 'DPC1163' && d.object?.name === 'mixed')).toBe(true);
  });

  it('refuses a rule whose iptables comment would pass 255 bytes', () => {
    const r = run(acnp('long', `  ingress:\n  - {action: Drop, name: ${'r'.repeat(250)}}`));
    expect(r.diagnostics.some((d) => d.code === 'DPC3191' && d.object?.name === 'long')).toBe(true);
    expect(r.bundles).toEqual([]);
  });
});

describe('node policies: rules', () => {
  it('expands peers as Antrea does: Node InternalIP, gateway and transport address; ipBlock minus except; Pod IPs', () => {
    const annotated = `
apiVersion: v1
kind: Node
metadata:
  name: node-3
  labels: {kubernetes.io/hostname: node-3, role: peer}
  annotations: {node.antrea.io/transport-addresses: "172.16.0.9,172.16.0.3"}
spec: {podCIDR: 10.10.3.0/24}
status: {addresses: [{type: InternalIP, address: 192.168.77.103}]}
---
`;
    const r = run(
      acnp('peers', `  ingress:
  - name: from-node
    action: Drop
    from: [{nodeSelector: {matchLabels: {role: peer}}}]
  - name: from-block
    action: Drop
    from: [{ipBlock: {cidr: 10.20.0.0/16, except: [10.20.128.0/17]}}]
  - name: from-pods
    action: Drop
    from: [{namespaceSelector: {matchLabels: {ns: z}}}]`),
      true,
      `\n---\n${annotated}`,
    );
    expect(r.ok).toBe(true);
    const sets = file(r, 'node-1', 'ipset/ipsets.txt')!;
    const members = (needle: string) => {
      const name = sets.split('\n').find((l) => l.startsWith('add ') && l.endsWith(` ${needle}`))?.split(' ')[1];
      return sets.split('\n').filter((l) => l.startsWith(`add ${name} `)).map((l) => l.split(' ')[2]).sort();
    };
    // InternalIP, gateway of the Pod CIDR (network + 1), and the last transport address given.
    expect(members('192.168.77.103')).toEqual(['10.10.3.1', '172.16.0.3', '192.168.77.103']);
    const rules = lines(file(r, 'node-1', 'iptables/ipv4.rules'), 'ANTREA-POL-INGRESS-RULES');
    // One address left after except: no set, a plain -s.
    expect(rules.some((l) => l.includes('-s 10.20.0.0/17 ') && l.includes('rule from-block,'))).toBe(true);
    // A host-network Pod's address is its Node's: only z/a (a normal Pod) is a Pod peer.
    expect(rules.some((l) => l.includes('-s 10.10.1.14/32 ') && l.includes('rule from-pods,'))).toBe(true);
  });

  it('writes services, actions and logging as Antrea does', () => {
    const r = run(acnp('svc', `  ingress:
  - name: multi
    action: Reject
    enableLogging: true
    logLabel: a-very-long-label
    from: [{ipBlock: {cidr: 10.30.0.0/16}}]
    ports: [{protocol: TCP, port: 30000, endPort: 32767}, {protocol: UDP, port: 53, sourcePort: 1000, sourceEndPort: 2000}]
    protocols: [{icmp: {icmpType: 3, icmpCode: 1}}]
  egress:
  - name: pass-any
    action: Pass
    ports: [{protocol: SCTP, port: 80}]`));
    expect(r.ok).toBe(true);
    const text = file(r, 'node-1', 'iptables/ipv4.rules')!;
    const core = lines(text, 'ANTREA-POL-INGRESS-RULES');
    expect(core).toHaveLength(1);
    const chain = /-j (ANTREA-POL-[0-9A-F]{16})$/.exec(core[0]!)?.[1];
    expect(chain).toBeDefined();
    expect(core[0]).toContain('-s 10.30.0.0/16 ');
    const svc = lines(text, chain!);
    // One LOG line before each service's action line; the label cut to 12 characters.
    expect(svc).toHaveLength(6);
    expect(svc[0]).toContain('--dport 30000:32767 -j LOG --log-prefix "Antrea:I:Reject:a-very-long-:"');
    expect(svc[1]).toMatch(/-p tcp -m tcp --dport 30000:32767 -j REJECT --reject-with icmp-port-unreachable$/);
    expect(svc[3]).toContain('-p udp -m udp --sport 1000:2000 --dport 53 -j REJECT');
    expect(svc[5]).toContain('-p icmp -m icmp --icmp-type 3/1 -j REJECT');
    const egress = lines(text, 'ANTREA-POL-EGRESS-RULES');
    // Pass: Antrea writes no target. No peers: any address, no address match at all.
    expect(egress).toEqual(['-A ANTREA-POL-EGRESS-RULES -p sctp -m sctp --dport 80 -m comment --comment "Antrea: for rule pass-any, policy AntreaClusterNetworkPolicy:svc"']);
  });

  it('orders rules by tier priority, then policy priority, then rule position, whatever the input order', () => {
    const p1 = acnp('app-2', '  ingress:\n  - {name: a0, action: Drop}\n  - {name: a1, action: Drop}', { priority: 2 });
    const p2 = acnp('app-1', '  ingress:\n  - {name: b0, action: Allow}', { priority: 1 });
    const p3 = acnp('sec', '  ingress:\n  - {name: c0, action: Allow}', { tier: 'securityops', priority: 50 });
    const order = (r: CompileResult) => lines(file(r, 'node-1', 'iptables/ipv4.rules'), 'ANTREA-POL-INGRESS-RULES').map((l) => /rule (\w+),/.exec(l)?.[1]);
    const a = run([p1, p2, p3].join('\n'));
    const b = run([p3, p1, p2].reverse().join('\n'));
    expect(order(a)).toEqual(['c0', 'b0', 'a0', 'a1']);
    expect(file(b, 'node-1', 'iptables/ipv4.rules')).toBe(file(a, 'node-1', 'iptables/ipv4.rules'));
  });

  it('keeps rule IDs when other rules change; a changed rule changes only its own lines and set', () => {
    const base = acnp('keep', '  egress:\n  - {name: k, action: Drop, to: [{ipBlock: {cidr: 10.1.0.0/16}}, {ipBlock: {cidr: 10.2.0.0/16}}]}');
    const other = (cidr: string) => acnp('other', `  egress:\n  - {name: o, action: Drop, to: [{ipBlock: {cidr: ${cidr}}}, {ipBlock: {cidr: 10.9.0.0/16}}]}`);
    const a = run(base + other('10.3.0.0/16'));
    const b = run(base + other('10.4.0.0/16'));
    const diff = (x: string, y: string) => {
      const xs = new Set(x.split('\n'));
      return y.split('\n').filter((l) => !xs.has(l));
    };
    const rulesDiff = diff(file(a, 'node-1', 'iptables/ipv4.rules')!, file(b, 'node-1', 'iptables/ipv4.rules')!);
    expect(rulesDiff).toEqual([]); // the rule's set name is its ID: no iptables line moves
    const setsDiff = diff(file(a, 'node-1', 'ipset/ipsets.txt')!, file(b, 'node-1', 'ipset/ipsets.txt')!);
    expect(setsDiff).toHaveLength(1);
    expect(setsDiff[0]).toMatch(/^add ANTREA-POL-[0-9A-F]{16}-4 10\.4\.0\.0\/16$/);
  });

  it('Pod-level policies write no iptables lines; node-level ones add no OpenFlow flow', () => {
    const podPolicy = `
apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: pods}
spec:
  priority: 1
  appliedTo: [{podSelector: {}}]
  ingress: [{action: Drop, from: [{ipBlock: {cidr: 10.0.0.0/8}}]}]
---`;
    const nodePolicy = acnp('nodes', '  ingress:\n  - {action: Drop, from: [{ipBlock: {cidr: 10.0.0.0/8}}]}');
    const none = run('');
    const pods = run(podPolicy);
    const both = run(podPolicy + nodePolicy);
    for (const node of ['node-1', 'node-2']) {
      expect(file(pods, node, 'iptables/ipv4.rules')).toBe(file(none, node, 'iptables/ipv4.rules'));
      expect(file(both, node, 'openflow/flows.txt')).toBe(file(pods, node, 'openflow/flows.txt'));
    }
    expect(file(pods, 'node-1', 'openflow/flows.txt')).not.toBe(file(none, 'node-1', 'openflow/flows.txt'));
    expect(file(both, 'node-1', 'iptables/ipv4.rules')).not.toBe(file(pods, 'node-1', 'iptables/ipv4.rules'));
  });
});

describe('golden/node-policies', () => {
  const dir = join(REPO_ROOT, 'golden', 'node-policies');
  it('one changed rule changes only its own lines and set', () => {
    const sources = caseSources(dir);
    const policies = sources.find((s) => s.name === 'policies.yaml')!;
    const edited = policies.text.replace('- ipBlock: {cidr: 10.10.0.0/24}', '- ipBlock: {cidr: 10.10.9.0/24}');
    expect(edited).not.toBe(policies.text);
    const r = compile(sources.map((s) => (s === policies ? { ...s, text: edited } : s)));
    expect(r.ok).toBe(true);
    const expected = readExpected(dir);
    const rulesV4 = expected.get('cp-1/iptables/ipv4.rules')!;
    const set = /--match-set (ANTREA-POL-[0-9A-F]{16}-4) dst .*rule drop-22,/.exec(rulesV4)?.[1];
    expect(set).toBeDefined();
    const changed: string[] = [];
    for (const b of r.bundles) {
      for (const [path, text] of b.files) {
        if (path === 'bundle.json') continue; // digests of the files below
        const before = new Set((expected.get(`${b.node}/${path}`) ?? '').split('\n'));
        const after = new Set(text.split('\n'));
        for (const l of after) if (!before.has(l)) changed.push(`${b.node}/${path}: + ${l}`);
        for (const l of before) if (!after.has(l)) changed.push(`${b.node}/${path}: - ${l}`);
      }
    }
    expect(changed.sort()).toEqual([`cp-1/ipset/ipsets.txt: + add ${set} 10.10.9.0/24`, `cp-1/ipset/ipsets.txt: - add ${set} 10.10.0.0/24`]);
  });
});
