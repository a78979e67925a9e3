/** Bad input gets a clear error naming file, line, column, object and field; never a crash, never a bundle. */
import { describe, expect, test } from 'vitest';
import { compile } from '../compiler/compile.js';
import { formatDiagnostic } from '../compiler/diagnostics/diagnostic.js';
import { clusterSources, nodeText, podText, twoNodes } from './fixtures/clusters.js';

function errorsOf(extra: string, name = 'bad.yaml'): string[] {
  const r = compile([...clusterSources(twoNodes), { name, text: extra }]);
  expect(r.ok).toBe(false);
  expect(r.bundles).toEqual([]);
  return r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
}

describe('semantic checks', () => {
  test('duplicate objects point at both definitions', () => {
    const [e] = errorsOf(podText({ namespace: 'web', name: 'client', node: 'alpha', ip: '172.30.9.8' }));
    expect(e).toMatch(/^bad\.yaml:1:1: error: Pod web\/client: duplicate object: defined more than once \[DPC2001\]\n  pods\.yaml:\d+:1: note: first defined here$/);
  });

  test('a Pod on an unknown Node', () => {
    expect(errorsOf(podText({ namespace: 'web', name: 'x', node: 'nowhere', ip: '172.30.9.8' }))[0]).toMatch(
      /^bad\.yaml:5:13: error: Pod web\/x: spec\.nodeName: Pod is scheduled on Node "nowhere"/,
    );
  });

  test('a Pod IP outside its Node\'s Pod CIDR', () => {
    expect(errorsOf(podText({ namespace: 'web', name: 'x', node: 'beta', ip: '172.30.9.8' }))[0]).toMatch(
      /^bad\.yaml:\d+:\d+: error: Pod web\/x: status\.podIPs\[0\]\.ip: Pod IP 172\.30\.9\.8 is outside Node beta's Pod CIDR 172\.30\.20\.0\/24/,
    );
  });

  test('a duplicate Pod IP', () => {
    expect(errorsOf(podText({ namespace: 'web', name: 'twin', node: 'alpha', ip: '172.30.9.7' }))[0]).toMatch(/IP 172\.30\.9\.7 is already used by Pod web\/client/);
  });

  test('overlapping Pod CIDRs', () => {
    expect(errorsOf(nodeText({ name: 'gamma', podCIDR: '172.30.9.0/24', internalIP: '10.200.0.13' })).join('\n')).toMatch(
      /error: Node gamma: spec\.podCIDR: Pod CIDR 172\.30\.9\.0\/24 overlaps Pod CIDR 172\.30\.8\.0\/23 of Node alpha/,
    );
  });

  test('malformed IPs and CIDRs', () => {
    expect(errorsOf(nodeText({ name: 'gamma', podCIDR: '172.30.300.0/24', internalIP: '10.200.0.13' }))[0]).toMatch(/Node gamma: spec\.podCIDRs\[0\]: "172\.30\.300\.0\/24" is not a valid CIDR/);
    expect(errorsOf(nodeText({ name: 'gamma', podCIDR: '172.30.30.0/24', internalIP: '10.200.0.1300' }))[0]).toMatch(/Node gamma: status\.addresses\[0\]\.address: "10\.200\.0\.1300" is not a valid IP address/);
    expect(errorsOf(podText({ namespace: 'web', name: 'x', node: 'alpha', ip: '172.30.9.x' }))[0]).toMatch(/Pod web\/x: status\.podIPs\[0\]\.ip: "172\.30\.9\.x" is not a valid IP address/);
  });

  test('a Node without Pod CIDR or InternalIP', () => {
    const noCidr = 'apiVersion: v1\nkind: Node\nmetadata: {name: gamma}\nstatus: {addresses: [{type: InternalIP, address: 10.200.0.13}]}\n';
    expect(errorsOf(noCidr)[0]).toMatch(/^bad\.yaml:1:1: error: Node gamma: spec\.podCIDR: Node has no Pod CIDR/);
    const noIP = 'apiVersion: v1\nkind: Node\nmetadata: {name: gamma}\nspec: {podCIDR: 172.30.40.0/24}\n';
    expect(errorsOf(noIP)[0]).toMatch(/Node gamma: status\.addresses: Node has no InternalIP/);
  });

  test('schema errors name the field', () => {
    const bad = 'apiVersion: v1\nkind: Pod\nmetadata: {name: x, namespace: web}\nspec:\n  nodeName: alpha\n  containers:\n  - name: c\n    ports: [{containerPort: "80"}]\nstatus: {podIP: 172.30.9.8}\n';
    expect(errorsOf(bad)[0]).toMatch(/^bad\.yaml:8:29: error: Pod web\/x: spec\.containers\[0\]\.ports\[0\]\.containerPort: must be integer/);
  });

  test('YAML and JSON syntax errors have positions', () => {
    expect(errorsOf('apiVersion: v1\nkind: Node\nmetadata: {name: gamma\n')[0]).toMatch(/^bad\.yaml:\d+:\d+: error: cannot parse: /);
    expect(errorsOf('{"apiVersion": "v1", "kind": "Node",\n "metadata": {"name": "gamma"},,}', 'bad.json')[0]).toMatch(/^bad\.json:2:\d+: error: cannot parse: /);
    expect(errorsOf('a: 1\na: 2\n')[0]).toMatch(/cannot parse: Map keys must be unique/);
  });

  test('hostile names never reach a path or an artifact', () => {
    expect(errorsOf(nodeText({ name: '../../etc', podCIDR: '172.30.40.0/24', internalIP: '10.200.0.13' }))[0]).toMatch(
      /Node \.\.\/\.\.\/etc: metadata\.name: must be a lowercase RFC 1123 subdomain name/,
    );
    const label = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: evil, labels: {team: "a\\"b\\nc"}}\n';
    expect(errorsOf(label)[0]).toMatch(/Namespace evil: metadata\.labels\.team: must be a label value/);
  });

  test('an alias bomb is refused, not expanded', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    expect(errorsOf(bomb.join('\n'))[0]).toMatch(/cannot parse: .*alias/i);
  });

  test('a document that is not an object', () => {
    expect(errorsOf('- just\n- a list\n')[0]).toMatch(/a document must be a Kubernetes object/);
  });

  test('unsupported agent config is refused with its position inside the ConfigMap', () => {
    const r = compile(clusterSources({ ...twoNodes, agentConfig: 'featureGates: {Egress: true}\ntrafficEncapMode: noEncap' }));
    expect(r.ok).toBe(false);
    expect(formatDiagnostic(r.diagnostics.find((d) => d.severity === 'error')!)).toMatch(
      /^antrea-config\.yaml:7:23: error: ConfigMap antrea-config: trafficEncapMode: trafficEncapMode noEncap is not supported/,
    );
  });

  test('no input at all', () => {
    const r = compile([{ name: 'empty.yaml', text: '# nothing\n' }]);
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => d.code)).toContain('DPC1009');
  });
});

describe('policy rules dpc cannot honour are refused, never dropped', () => {
  const refused = (rule: string) =>
    errorsOf(`apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: unsupported}
spec:
  priority: 1
  appliedTo:
  - podSelector: {}
  egress:
${rule}`);
  test.each([
    ['an fqdn peer', '  - name: to-fqdn\n    action: Allow\n    to:\n    - fqdn: "*.example.com"\n', /spec\.egress\[0\]\.to\[0\]\.fqdn: an fqdn peer is not compiled/],
    ['a toServices peer', '  - name: to-svc\n    action: Allow\n    toServices:\n    - {name: db, namespace: web}\n', /spec\.egress\[0\]\.toServices: a toServices peer is not compiled/],
    ['an L7 rule', '  - name: l7\n    action: Allow\n    l7Protocols:\n    - http: {path: /}\n', /(l7Protocols|L7NetworkPolicy)/],
  ])('%s', (_name, rule, message) => {
    const errors = refused(rule);
    expect(errors.join('\n')).toMatch(message);
    expect(errors.join('\n')).toMatch(/ClusterNetworkPolicy unsupported/);
  });
});
