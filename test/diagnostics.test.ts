/** Bad input gets a clear error naming file, line, column, object and field; never a crash, never a bundle. */
import { describe, expect, test } from 'vitest';
import { compile } from '../compiler/compile.js';
import { formatDiagnostic } from '../compiler/diagnostics/diagnostic.js';
import { clusterSources, nodeText, podText, twoNodes } from './fixtures/clusters.js';
import { decodeText } from '../compiler/ingest/encoding.js';

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
    expect(errorsOf('a: 1\na: 2\n')[0]).toBe('bad.yaml:2:1: error: cannot parse: duplicate key "a" [DPC1002]');
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

/** Whatever the API server, its NamespaceLifecycle admission or kubectl's decoding refuses never compiles. */
describe('refused as Kubernetes refuses, at the offending line and column', () => {
  const notObject = 'a document must be a Kubernetes object (a mapping with apiVersion and kind) [DPC1003]';

  // [apiVersion, kind, served instead]; Antrea's removed versions: its docs/api.md, "Previously-supported CRDs".
  const NOT_SERVED: [string, string, string][] = [
    ['apps/v1', 'Pod', 'v1'],
    ['extensions/v1beta1', 'NetworkPolicy', 'networking.k8s.io/v1 and crd.antrea.io/v1beta1'],
    ['crd.antrea.io/v1alpha1', 'NetworkPolicy', 'crd.antrea.io/v1beta1'],
    ['crd.antrea.io/v1alpha1', 'ClusterNetworkPolicy', 'crd.antrea.io/v1beta1'],
    ['security.antrea.tanzu.vmware.com/v1alpha1', 'ClusterNetworkPolicy', 'crd.antrea.io/v1beta1'],
    ['crd.antrea.io/v1alpha1', 'Tier', 'crd.antrea.io/v1beta1'],
    ['crd.antrea.io/v1alpha3', 'ClusterGroup', 'crd.antrea.io/v1beta1'],
    ['crd.antrea.io/v1alpha2', 'ClusterGroup', 'crd.antrea.io/v1beta1'],
    ['crd.antrea.io/v1alpha3', 'Group', 'crd.antrea.io/v1beta1'],
    ['crd.antrea.io/v1alpha2', 'Egress', 'crd.antrea.io/v1beta1'],
    ['crd.antrea.io/v1alpha2', 'ExternalIPPool', 'crd.antrea.io/v1beta1'],
    ['crd.antrea.io/v1beta1', 'TrafficControl', 'crd.antrea.io/v1alpha2'],
  ];
  test.each(NOT_SERVED)('%s %s is not served', (apiVersion, kind, served) => {
    const namespaced = ['Pod', 'NetworkPolicy', 'Group'].includes(kind);
    const text = `# ${kind}\napiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: x${namespaced ? ', namespace: web' : ''}}\nspec: {}\n`;
    expect(errorsOf(text)).toEqual([
      `bad.yaml:2:13: error: ${kind} ${namespaced ? 'web/' : ''}x: apiVersion: ${kind} is not served in ${apiVersion}, so the API server refuses it; ${kind} is served in ${served} [DPC1011]`,
    ]);
  });

  test('an object without apiVersion is refused; a kind of ours in a group we do not know is someone else\'s, skipped', () => {
    expect(errorsOf('kind: Pod\nmetadata: {name: x, namespace: web}\n')).toEqual(['bad.yaml:1:1: error: Pod web/x: apiVersion: the object has no apiVersion [DPC1010]']);
    const r = compile([...clusterSources(twoNodes), { name: 'crd.yaml', text: 'apiVersion: example.com/v1\nkind: Pod\nmetadata: {name: x, namespace: web}\n' }]);
    expect(r.ok).toBe(true);
    expect(r.diagnostics.filter((d) => d.code === 'DPC1005').map(formatDiagnostic)).toEqual([
      'crd.yaml:1:1: warning: Pod web/x: unknown kind Pod (apiVersion example.com/v1); skipped [DPC1005]',
    ]);
  });

  test('an object in a Namespace the snapshot does not hold', () => {
    const missing = 'Namespace "shop" is not in the snapshot; the API server refuses objects in a Namespace that does not exist [DPC2010]';
    expect(errorsOf('apiVersion: v1\nkind: Service\nmetadata: {name: x, namespace: shop}\nspec: {}\n')).toEqual([
      `bad.yaml:3:32: error: Service shop/x: metadata.namespace: ${missing}`,
    ]);
    const annp = 'apiVersion: crd.antrea.io/v1beta1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  priority: 1\n  appliedTo: [{podSelector: {}}]\n  ingress: [{action: Drop}]\n';
    expect(errorsOf(annp)).toEqual([`bad.yaml:5:14: error: NetworkPolicy shop/p: metadata.namespace: ${missing}`]);
    // The API server creates these itself: they exist whether or not the snapshot lists them.
    const system = ['default', 'kube-system', 'kube-public', 'kube-node-lease'].map(
      (ns) => `apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: ${ns}}\nspec: {}\n`,
    );
    expect(compile([...clusterSources(twoNodes), { name: 'ok.yaml', text: system.join('---\n') }]).ok).toBe(true);
  });

  test('Node podCIDRs: at most one per IP family, and podCIDR is the first of them', () => {
    const node = (spec: string) =>
      `apiVersion: v1\nkind: Node\nmetadata: {name: gamma}\nspec:\n${spec}status: {addresses: [{type: InternalIP, address: 10.200.0.13}]}\n`;
    expect(errorsOf(node('  podCIDR: 172.30.40.0/24\n  podCIDRs: [172.30.40.0/24, 172.30.41.0/24]\n'))).toEqual([
      'bad.yaml:6:30: error: Node gamma: spec.podCIDRs[1]: spec.podCIDRs may hold at most one CIDR per IP family, and 172.30.40.0/24 and 172.30.41.0/24 are both IPv4 [DPC2023]',
    ]);
    expect(errorsOf(node('  podCIDRs: [fd00:40::/64, 172.30.40.0/24, fd00:41::/64]\n'))).toEqual([
      'bad.yaml:5:44: error: Node gamma: spec.podCIDRs[2]: spec.podCIDRs may hold at most one CIDR per IP family, and fd00:40::/64 and fd00:41::/64 are both IPv6 [DPC2023]',
    ]);
    expect(errorsOf(node('  podCIDR: 172.30.41.0/24\n  podCIDRs: [172.30.40.0/24]\n'))).toEqual([
      'bad.yaml:5:12: error: Node gamma: spec.podCIDR: spec.podCIDR 172.30.41.0/24 is not the first entry of spec.podCIDRs (172.30.40.0/24) [DPC2020]',
    ]);
    // Dual-stack, one CIDR per family, is what the API server allows.
    const dual = compile([...clusterSources(twoNodes), { name: 'ok.yaml', text: node('  podCIDR: 172.30.40.0/24\n  podCIDRs: [172.30.40.0/24, fd00:40::/64]\n') }]);
    expect(dual.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  test('a top-level value that is not an object: a sequence, a scalar, a JSON array', () => {
    expect(errorsOf('apiVersion: v1\nkind: Namespace\nmetadata: {name: ok}\n---\n- just\n- a list\n')).toEqual([`bad.yaml:5:1: error: ${notObject}`]);
    expect(errorsOf('just a string\n')).toEqual([`bad.yaml:1:1: error: ${notObject}`]);
    expect(errorsOf('\n[{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}]', 'bad.json')).toEqual([`bad.json:2:1: error: ${notObject}`]);
  });

  test.each([
    ['a tab as indentation', 'bad.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n\tname: x\n', 'bad.yaml:4:1: error: cannot parse: Tabs are not allowed as indentation'],
    ['a repeated key in a later document', 'bad.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  "name": y\n', 'bad.yaml:9:3: error: cannot parse: duplicate key "name"'],
    ['an alias without anchor', 'bad.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels: *nope\n', 'bad.yaml:5:11: error: cannot parse: alias has no anchor defined before it'],
    ['a sequence as a mapping key', 'bad.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  ? [a, b]\n  : c\n', 'bad.yaml:5:5: error: cannot parse: a mapping key must be a string, number or boolean, not a mapping or sequence'],
    ['a repeated key in JSON', 'bad.json', '{"apiVersion": "v1",\n "kind": "Namespace",\n "metadata": {"name": "x"},\n "kind": "Pod"}', 'bad.json:4:2: error: cannot parse: duplicate key "kind"'],
    ['a repeated nested key in JSON, escaped', 'bad.json', '{"apiVersion": "v1", "kind": "Namespace",\n "metadata": {"name": "x", "labels": {"a\\"b": "1", "a\\u0022b": "2"}}}', 'bad.json:2:52: error: cannot parse: duplicate key "a\\"b"'],
    ['a JSON syntax error', 'bad.json', '{"apiVersion": "v1", "kind": "Node",\n "metadata": {"name": "gamma"},,}', 'bad.json:2:32: error: cannot parse: Expected double-quoted property name'],
  ])('%s', (_what, name, text, expected) => {
    expect(errorsOf(text, name)).toEqual([`${expected} [DPC1002]`]);
  });

  test('enum errors quote the value received', () => {
    expect(errorsOf('apiVersion: v1\nkind: Service\nmetadata: {name: x, namespace: web}\nspec:\n  ports:\n  - {port: 80, protocol: HTTP}\n')).toEqual([
      'bad.yaml:6:26: error: Service web/x: spec.ports[0].protocol: "HTTP" is not one of "TCP", "UDP", "SCTP" [DPC1006]',
    ]);
    const r = compile(clusterSources({ ...twoNodes, agentConfig: 'trafficEncapMode: encap\ntunnelType: ipip' }));
    expect(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([
      'antrea-config.yaml:7:17: error: ConfigMap kube-system/antrea-config: data.antrea-agent.conf.tunnelType: "ipip" is not one of "geneve", "vxlan", "gre", "stt" [DPC1006]',
    ]);
  });
});

describe('text encodings kubectl reads', () => {
  const utf8 = clusterSources(twoNodes);
  const encode = (text: string, encoding: string): Uint8Array => {
    const le = Buffer.from(text, 'utf16le');
    switch (encoding) {
      case 'UTF-8 with BOM':
        return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
      case 'UTF-16 LE with BOM':
        return Buffer.concat([Buffer.from([0xff, 0xfe]), le]);
      case 'UTF-16 BE with BOM':
        return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(le).swap16()]);
      default:
        return Buffer.from(text, 'utf8');
    }
  };

  test.each(['UTF-8', 'UTF-8 with BOM', 'UTF-16 LE with BOM', 'UTF-16 BE with BOM'])('%s gives the bundles UTF-8 gives, and the same positions', (encoding) => {
    const reference = compile(utf8);
    const decoded = utf8.map((s) => ({ name: s.name, text: decodeText(encode(s.text, encoding)) }));
    const r = compile(decoded);
    expect(r.ok).toBe(true);
    expect(r.bundles.map((b) => b.digest)).toEqual(reference.bundles.map((b) => b.digest));
    const bad = 'apiVersion: v1\nkind: Service\nmetadata: {name: x, namespace: shop}\nspec: {}\n';
    const errors = compile([...decoded, { name: 'bad.yaml', text: decodeText(encode(bad, encoding)) }]).diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map(formatDiagnostic)).toEqual([expect.stringMatching(/^bad\.yaml:3:32: error: Service shop\/x: /)]);
  });

  test('a byte order mark left in the text is not part of the document, in YAML or JSON', () => {
    const json = '\uFEFF{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "labels": {"a": 1}}}';
    expect(errorsOf(json, 'bad.json')).toEqual(['bad.json:1:85: error: Namespace x: metadata.labels.a: must be string [DPC1006]']);
    const yaml = '\uFEFFapiVersion: v1\nkind: Namespace\nmetadata: {name: x, labels: {a: 1}}\n';
    expect(errorsOf(yaml)).toEqual(['bad.yaml:3:33: error: Namespace x: metadata.labels.a: must be string [DPC1006]']);
  });
});
