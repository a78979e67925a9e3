/**
 * Where dpc does what Antrea does (issue 8, item 4): terminated Pods, missing groups, upstream policy kinds and the
 * controller config, Antrea's cookie layout and start-up meters, IP families per Node, and the summary of what is not
 * compiled. Facts about Antrea are cited where the code makes them; here each one is checked on compiled bundles and,
 * where a packet can show it, on a real Open vSwitch.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './repoRoot.js';
import { compile, type CompileResult } from '../compiler/compile.js';
import { formatDiagnostic, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import type { SourceText } from '../compiler/ingest/documents.js';
import { buildModel } from '../compiler/model/model.js';
import { ingest } from '../compiler/ingest/ingest.js';
import type { NodeBundle } from '../targets/bundle/bundle.js';
import { cleanupAll, requireOvs, startOvs } from './harness/ovs.js';
import { frame } from './harness/packets.js';
import { bundleFile, loadBundle, type LoadedNode } from './harness/bundle.js';
import { clusterSources, nodeText, twoNodes, type ClusterSpec } from './fixtures/clusters.js';
import { tempDir } from './harness/tempDir.js';

const HAVE_OVS = requireOvs();

function compileOk(sources: SourceText[]): CompileResult {
  const r = compile(sources);
  expect(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
  expect(r.ok).toBe(true);
  return r;
}

const bundleOf = (r: CompileResult, node: string): NodeBundle => r.bundles.find((b) => b.node === node)!;
const flowsOf = (b: NodeBundle): string[] => bundleFile(b, 'openflow/flows.txt').trimEnd().split('\n');
const codes = (ds: readonly Diagnostic[], code: string) => ds.filter((d) => d.code === code);

interface RuleEntry {
  id: number;
  policy: { name: string };
  rule?: string;
}
const rulesOf = (b: NodeBundle): RuleEntry[] => (JSON.parse(bundleFile(b, 'visibility/rules.json')) as { rules: RuleEntry[] }).rules;

const acnp = (name: string, spec: string) => `apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: ${name}}
spec:
${spec}`;

afterAll(async () => {
  await cleanupAll();
});

// ---------------------------------------------------------------------------------------------------------------
// Terminated Pods
// ---------------------------------------------------------------------------------------------------------------

/** web/server admits TCP 8080 from app=batch only; the batch Pod has finished and its IP now belongs to web/client. */
const terminated: ClusterSpec = {
  nodes: twoNodes.nodes,
  pods: [
    { namespace: 'web', name: 'client', node: 'alpha', ip: '172.30.9.7' },
    { namespace: 'web', name: 'server', node: 'alpha', ip: '172.30.8.25', labels: { app: 'server' } },
    { namespace: 'web', name: 'batch-x7', node: 'alpha', ip: '172.30.9.7', labels: { app: 'batch' }, phase: 'Succeeded' },
    { namespace: 'web', name: 'crashed', node: 'alpha', ip: '172.30.9.99', labels: { app: 'server' }, phase: 'Failed' },
    { namespace: 'db', name: 'store', node: 'beta', ip: '172.30.20.40' },
  ],
};
const SERVER_FROM_BATCH = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: server-from-batch, namespace: web}
spec:
  podSelector:
    matchLabels: {app: server}
  ingress:
  - from:
    - podSelector:
        matchLabels: {app: batch}
    ports:
    - {protocol: TCP, port: 8080}
`;

describe('terminated Pods (status.phase Succeeded or Failed) are neither appliedTo, peers nor ports', () => {
  const sources = () => [...clusterSources(terminated), { name: 'policy.yaml', text: SERVER_FROM_BATCH }];

  test('the model leaves them out, and a recycled IP is no conflict', () => {
    const { model, diagnostics } = buildModel(ingest(sources()).snapshot);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(model.pods.map((p) => p.key)).toEqual(['db/store', 'web/client', 'web/server']);
    expect(model.podsByNode.get('alpha')!.map((p) => p.key)).toEqual(['web/client', 'web/server']);
  });

  test('no port, no flow and no policy membership for them', () => {
    const alpha = bundleOf(compileOk(sources()), 'alpha');
    const meta = JSON.parse(bundleFile(alpha, 'bundle.json')) as { inventory: { pods: { name: string }[] } };
    expect(meta.inventory.pods.map((p) => p.name).sort()).toEqual(['client', 'server']);
    const flows = flowsOf(alpha);
    expect(flows.filter((f) => f.includes('172.30.9.99'))).toEqual([]);
    // The rule's only peer has terminated: its from clause is empty, so the rule installs nothing but the
    // isolation of web/server.
    expect(flows.filter((f) => /conjunction\(/.test(f))).toEqual([]);
    expect(rulesOf(alpha).map((r) => r.policy.name)).toEqual(['server-from-batch', 'server-from-batch']);
  });

  describe.skipIf(!HAVE_OVS)('on a real OVS', () => {
    let alpha: LoadedNode;
    beforeAll(async () => {
      alpha = loadBundle(await startOvs(), bundleOf(compileOk(sources()), 'alpha'));
    });
    test('a new Pod holding a finished Pod\'s IP does not inherit its access', () => {
      const pod = (name: string) => alpha.meta.inventory.pods.find((p) => p.name === name)!;
      const c = pod('client');
      const s = pod('server');
      const before = alpha.ovs.sent(s.interface).length;
      alpha.ovs.inject(c.interface, frame({ srcMac: c.mac, dstMac: s.mac, srcIp: c.ip, dstIp: s.ip, proto: 'tcp', srcPort: 40100, dstPort: 8080 }));
      expect(alpha.ovs.sent(s.interface).length - before).toBe(0);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Groups missing from the snapshot
// ---------------------------------------------------------------------------------------------------------------

describe('a group missing from the snapshot is empty, with a warning naming the policy and the group', () => {
  const policies = [
    acnp('applied-to-missing', '  priority: 1\n  appliedTo: [{group: no-such-targets}]\n  ingress: [{name: deny, action: Drop}]\n'),
    acnp(
      'peer-missing',
      `  priority: 2
  appliedTo: [{podSelector: {matchLabels: {app: server}}}]
  ingress:
  - name: from-some
    action: Drop
    from:
    - group: no-such-peers
    - podSelector: {matchLabels: {app: client}}
`,
    ),
    `apiVersion: crd.antrea.io/v1beta1
kind: NetworkPolicy
metadata: {name: annp, namespace: web}
spec:
  priority: 3
  appliedTo: [{group: ghosts}]
  egress: [{name: deny, action: Drop}]
`,
  ].join('---\n');

  test('compiles; each missing reference is a warning at its field', () => {
    const r = compileOk([...clusterSources(twoNodes), { name: 'policies.yaml', text: policies }]);
    const warnings = codes(r.diagnostics, 'DPC1165').map(formatDiagnostic);
    expect(warnings).toEqual([
      expect.stringMatching(/^policies\.yaml:6:23: warning: ClusterNetworkPolicy applied-to-missing: spec\.appliedTo\[0\]\.group: ClusterGroup "no-such-targets" does not exist in the snapshot; the policy is compiled with it empty/),
      expect.stringMatching(/^policies\.yaml:\d+:\d+: warning: ClusterNetworkPolicy peer-missing: spec\.ingress\[0\]\.from\[0\]\.group: ClusterGroup "no-such-peers" does not exist/),
      expect.stringMatching(/^policies\.yaml:\d+:\d+: warning: NetworkPolicy web\/annp: spec\.appliedTo\[0\]\.group: Group "ghosts" does not exist in the snapshot \(in Namespace web\)/),
    ]);
    const alpha = bundleOf(r, 'alpha');
    const rules = rulesOf(alpha);
    // An empty appliedTo protects no Pod: the rule has no flows anywhere.
    expect(rules.map((x) => x.policy.name)).toEqual(['peer-missing']);
    // The other peer of the rule still counts: web/client's address is its from clause.
    const id = rules[0]!.id;
    const clause = flowsOf(alpha).filter((f) => f.includes(`conjunction(${id},1/2)`));
    expect(clause).toEqual([expect.stringContaining('nw_src=172.30.9.7')]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Upstream policy kinds and the controller config
// ---------------------------------------------------------------------------------------------------------------

const ANP = `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: cluster-deny}
spec:
  priority: 10
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]
`;
const BANP = `apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]
`;
const UPSTREAM_CNP = `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: admin-deny}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]
`;
const upstream = { name: 'upstream.yaml', text: [ANP, BANP, UPSTREAM_CNP].join('---\n') };

/** The antrea-config ConfigMap holding both components' configs, as Antrea's manifest has it. */
function antreaConfigMap(agent: string, controller: string): string {
  const indent = (t: string) => t.trim().split('\n').map((l) => `    ${l}`).join('\n');
  return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: antrea-config, namespace: kube-system}\ndata:\n  antrea-agent.conf: |\n${indent(agent)}\n  antrea-controller.conf: |\n${indent(controller)}\n`;
}

describe('upstream policy kinds Antrea enforces are refused when the controller enables them, skipped otherwise', () => {
  const withoutAgentConfig = () => clusterSources(twoNodes).filter((s) => s.name !== 'antrea-config.yaml');

  test('no controller config: Antrea\'s defaults leave both gates off, so each object is skipped with a warning', () => {
    const r = compileOk([...clusterSources(twoNodes), upstream]);
    expect(codes(r.diagnostics, 'DPC3007').map(formatDiagnostic)).toEqual([
      expect.stringMatching(/^upstream\.yaml:1:1: warning: AdminNetworkPolicy cluster-deny: .*AdminNetworkPolicy feature gate, which is off by default \(give antrea-controller\.conf/),
      expect.stringMatching(/^upstream\.yaml:9:1: warning: BaselineAdminNetworkPolicy default: .*controller's AdminNetworkPolicy feature gate/),
      expect.stringMatching(/^upstream\.yaml:16:1: warning: ClusterNetworkPolicy admin-deny: .*controller's ClusterNetworkPolicy feature gate/),
    ]);
  });

  test('a standalone antrea-controller.conf enabling AdminNetworkPolicy refuses ANP and BANP, not the upstream ClusterNetworkPolicy', () => {
    const conf = { name: 'antrea-controller.conf', text: 'featureGates:\n  AdminNetworkPolicy: true\n' };
    const r = compile([...clusterSources(twoNodes), upstream, conf]);
    expect(r.ok).toBe(false);
    expect(r.bundles).toEqual([]);
    expect(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([
      expect.stringMatching(/^upstream\.yaml:1:1: error: AdminNetworkPolicy cluster-deny: AdminNetworkPolicy \(policy\.networking\.k8s\.io\) is enforced by this cluster, whose controller config enables the AdminNetworkPolicy feature gate, but dpc does not compile it.*\[DPC3006\]$/),
      expect.stringMatching(/^upstream\.yaml:9:1: error: BaselineAdminNetworkPolicy default: .*AdminNetworkPolicy feature gate/),
    ]);
    expect(codes(r.diagnostics, 'DPC3007').map(formatDiagnostic)).toEqual([
      expect.stringMatching(/ClusterNetworkPolicy admin-deny: .*ClusterNetworkPolicy feature gate, which the controller config leaves off/),
    ]);
  });

  test('inside the antrea-config ConfigMap, the ClusterNetworkPolicy gate refuses the upstream ClusterNetworkPolicy', () => {
    const cm = { name: 'antrea-config.yaml', text: antreaConfigMap('tunnelType: geneve', 'featureGates:\n  ClusterNetworkPolicy: true\nselfSignedCert: true') };
    const r = compile([...withoutAgentConfig(), cm, upstream]);
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.object?.kind} ${d.object?.name} ${d.code}`)).toEqual([
      'ClusterNetworkPolicy admin-deny DPC3006',
    ]);
    // The agent half of the same ConfigMap is still read.
    expect(codes(r.diagnostics, 'DPC3004')).toEqual([]);
  });

  test('an upstream kind in a version Antrea does not read is refused as the API server would', () => {
    const r = compile([...clusterSources(twoNodes), { name: 'anp.yaml', text: ANP.replace('v1alpha1', 'v1alpha2') }]);
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.object?.kind} ${d.field} ${d.code}`)).toEqual(['AdminNetworkPolicy apiVersion DPC1011']);
  });

  test('read from stdin, a controller config is recognised by the keys only it has', () => {
    const conf = { name: '<stdin>', text: 'featureGates: {AdminNetworkPolicy: true}\nselfSignedCert: true\nnodeIPAM: {enableNodeIPAM: false}\n' };
    const r = compile([...clusterSources(twoNodes), conf, { name: 'anp.yaml', text: ANP }]);
    expect(codes(r.diagnostics, 'DPC3006')).toHaveLength(1);
    // It is not taken for a second agent config.
    expect(codes(r.diagnostics, 'DPC2017')).toEqual([]);
  });

  test('the controller\'s gates are the ones Antrea\'s webhook checks: Tier priority 220 is reserved with ClusterNetworkPolicy on', () => {
    const tier = { name: 'tier.yaml', text: 'apiVersion: crd.antrea.io/v1beta1\nkind: Tier\nmetadata: {name: t220}\nspec: {priority: 220}\n' };
    const conf = { name: 'antrea-controller.conf', text: 'featureGates: {ClusterNetworkPolicy: true}\n' };
    expect(codes(compile([...clusterSources(twoNodes), tier, conf]).diagnostics, 'DPC1101')).toHaveLength(1);
    expect(codes(compile([...clusterSources(twoNodes), tier]).diagnostics, 'DPC1101')).toEqual([]);
  });

  test('the CLI reads antrea-controller.conf from a directory, and validate refuses as compile does', () => {
    const dir = tempDir('dpc-upstream-');
    for (const s of clusterSources(twoNodes)) writeFileSync(join(dir, s.name), s.text);
    writeFileSync(join(dir, 'anp.yaml'), ANP);
    writeFileSync(join(dir, 'antrea-controller.conf'), 'featureGates:\n  AdminNetworkPolicy: true\n');
    for (const command of ['validate', 'compile']) {
      const r = spawnSync(process.execPath, [join(REPO_ROOT, 'dist', 'cli', 'dpc.js'), command, dir, ...(command === 'compile' ? ['-o', join(dir, 'out')] : [])], {
        encoding: 'utf8',
      });
      expect(r.status, command).toBe(1);
      expect(r.stderr).toMatch(/anp\.yaml:1:1: error: AdminNetworkPolicy cluster-deny: .*\[DPC3006\]/);
    }
  });

  test('like antrea-controller, a config enabling an upstream kind without AntreaPolicy is refused', () => {
    const conf = { name: 'antrea-controller.conf', text: 'featureGates:\n  AntreaPolicy: false\n  ClusterNetworkPolicy: true\n' };
    expect(codes(compile([...clusterSources(twoNodes), conf]).diagnostics, 'DPC3008').map(formatDiagnostic)).toEqual([
      expect.stringMatching(/^antrea-controller\.conf:2:3: error: ControllerConfig: featureGates\.ClusterNetworkPolicy: the ClusterNetworkPolicy feature gate needs the AntreaPolicy feature gate/),
    ]);
  });

  test('two controller configs and unknown controller gates are reported', () => {
    const a = { name: 'antrea-controller.conf', text: 'featureGates: {NoSuchGate: true}\n' };
    const b = { name: 'more/antrea-controller.conf.yaml', text: 'featureGates: {}\n' };
    const r = compile([...clusterSources(twoNodes), a, b]);
    expect(codes(r.diagnostics, 'DPC2024').map(formatDiagnostic)).toEqual([expect.stringMatching(/^more\/antrea-controller\.conf\.yaml:1:1: error: /)]);
    expect(codes(r.diagnostics, 'DPC3005').map(formatDiagnostic)).toEqual([expect.stringMatching(/^antrea-controller\.conf:1:\d+: warning: .*unknown feature gate NoSuchGate/)]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Cookies
// ---------------------------------------------------------------------------------------------------------------

/** Antrea's cookie categories (pkg/agent/openflow/cookie/allocator.go, in declaration order). */
const ANTREA_CATEGORY = { Default: 0, PodConnectivity: 1, NetworkPolicy: 2, Service: 3, Egress: 4 } as const;
const cookieOf = (line: string) => BigInt(/^cookie=(0x[0-9a-f]+)/.exec(line)?.[1] ?? '0');
const categoryOf = (c: bigint) => Number((c >> 40n) & 0xffn);

describe("flow cookies follow Antrea's layout: round in bits 48-63, category in 40-47, dpc's rule ID in 0-31", () => {
  const policy = acnp(
    'logged-deny',
    `  priority: 1
  appliedTo: [{podSelector: {matchLabels: {app: server}}}]
  ingress:
  - {name: deny-client, action: Drop, enableLogging: true, from: [{podSelector: {matchLabels: {app: client}}}]}
`,
  );
  const spec: ClusterSpec = {
    ...twoNodes,
    pods: twoNodes.pods.map((p) => (p.name === 'server' ? { ...p, labels: { app: 'server' } } : p.name === 'client' ? { ...p, labels: { app: 'client' } } : p)),
  };
  const sources = () => [...clusterSources(spec), { name: 'policy.yaml', text: policy }];

  test('every flow has round 1, nothing in the reserved byte, and the category of the Antrea feature that owns it', () => {
    const alpha = bundleOf(compileOk(sources()), 'alpha');
    const tables = (JSON.parse(bundleFile(alpha, 'bundle.json')) as { tables: Record<string, number> }).tables;
    const inTable = (name: string) => (l: string) => (tables[name] === 0 ? !/ table=/.test(l) : l.includes(` table=${tables[name]},`));
    const flows = flowsOf(alpha);
    for (const line of flows) {
      const c = cookieOf(line);
      expect(c >> 48n, line).toBe(1n);
      expect((c >> 32n) & 0xffn, line).toBe(0n);
    }
    const cats = (table: string, match = '') =>
      new Set(flows.filter(inTable(table)).filter((l) => l.includes(match)).map((l) => categoryOf(cookieOf(l))));
    // Table-miss flows are the pipeline's (Antrea's `Default`), feature flows their feature's.
    expect(cats('L2ForwardingMAC' in tables ? 'L2ForwardingMAC' : 'Classifier', 'priority=0 ')).toEqual(new Set([ANTREA_CATEGORY.Default]));
    expect(cats('Classifier', 'priority=200')).toEqual(new Set([ANTREA_CATEGORY.PodConnectivity]));
    expect(cats('IngressSecurityClassifier', 'priority=200')).toEqual(new Set([ANTREA_CATEGORY.NetworkPolicy]));
    expect(cats('PreRoutingClassifier', 'priority=200')).toEqual(new Set([ANTREA_CATEGORY.Service]));
    expect(cats('SessionAffinity')).toEqual(new Set([ANTREA_CATEGORY.Service]));
    expect(cats('UnSNAT', 'priority=200')).toEqual(new Set([ANTREA_CATEGORY.Service]));
    expect(cats('L3Forwarding', `goto_table:${tables['EgressMark']}`)).toEqual(new Set([ANTREA_CATEGORY.Egress]));
    expect(cats('AntreaPolicyIngressRule', 'priority=0 ')).toEqual(new Set([ANTREA_CATEGORY.Default]));
    expect(new Set(flows.filter(inTable('AntreaPolicyIngressRule')).filter((l) => !l.includes('priority=0 ')).map((l) => categoryOf(cookieOf(l))))).toEqual(
      new Set([ANTREA_CATEGORY.NetworkPolicy]),
    );
    // The rule's flows carry its ID, the same ID rules.json, reg3 and the conjunction use.
    const [rule] = rulesOf(alpha);
    const ruleFlows = flows.filter((l) => (cookieOf(l) & 0xffffffffn) === BigInt(rule!.id));
    expect(ruleFlows.some((l) => l.includes(`conj_id=${rule!.id}`) && l.includes(`set_field:0x${rule!.id.toString(16)}->reg3`))).toBe(true);
    expect(ruleFlows.every((l) => categoryOf(cookieOf(l)) === ANTREA_CATEGORY.NetworkPolicy)).toBe(true);
  });

  describe.skipIf(!HAVE_OVS)('on a real OVS', () => {
    test("Antrea's category filter (cookie=2<<40/0xff<<40) selects exactly the bundle's NetworkPolicy flows", async () => {
      const bundle = bundleOf(compileOk(sources()), 'alpha');
      const ovs = await startOvs();
      try {
        loadBundle(ovs, bundle);
        const filter = `cookie=0x${(BigInt(ANTREA_CATEGORY.NetworkPolicy) << 40n).toString(16)}/0x${(0xffn << 40n).toString(16)}`;
        const dumped = ovs.ofctl('--no-names', '--no-stats', 'dump-flows', 'br-int', filter).split('\n').map((l) => l.trim()).filter(Boolean);
        const expected = flowsOf(bundle).filter((l) => categoryOf(cookieOf(l)) === ANTREA_CATEGORY.NetworkPolicy);
        expect(expected.length).toBeGreaterThan(10);
        expect(dumped.sort()).toEqual([...expected].sort());
      } finally {
        await ovs.stop();
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Meters
// ---------------------------------------------------------------------------------------------------------------

describe("the packet-in meters Antrea installs at start (256 NetworkPolicy, 257 Traceflow, 258 DNS) are all there", () => {
  test('with packetInRate, whatever the feature gates', () => {
    for (const conf of ['packetInRate: 300', 'packetInRate: 300\nfeatureGates: {AntreaPolicy: false, Traceflow: false}']) {
      const r = compileOk(clusterSources({ ...twoNodes, agentConfig: conf }));
      for (const b of r.bundles) {
        expect(bundleFile(b, 'openflow/meters.txt')).toBe(
          [256, 257, 258].map((id) => `meter=${id},pktps,burst,bands=type=drop,rate=300,burst_size=600\n`).join(''),
        );
      }
    }
  });

  test("Antrea's default rate is 5000 packets per second, burst 10000", () => {
    const r = compileOk(clusterSources(twoNodes));
    expect(bundleFile(r.bundles[0]!, 'openflow/meters.txt')).toContain('meter=258,pktps,burst,bands=type=drop,rate=5000,burst_size=10000');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// IP families
// ---------------------------------------------------------------------------------------------------------------

describe('a Node gets policy flows for the IP families it runs only', () => {
  const dual = (name: string, v4: string, v6: string, ip4: string, ip6: string) =>
    nodeText({ name, podCIDR: v4, internalIP: ip4 })
      .replace(`podCIDRs: [${v4}]`, `podCIDRs: [${v4}, "${v6}"]`)
      .replace(/(status:\n  addresses:\n)/, `$1  - {type: InternalIP, address: "${ip6}"}\n`);
  const policy = acnp(
    'v6-egress',
    `  priority: 1
  appliedTo: [{podSelector: {}}]
  egress:
  - name: v6-only
    action: Drop
    to: [{ipBlock: {cidr: "2001:db8::/48"}}]
    ports: [{protocol: TCP, port: 443}]
  - name: any
    action: Drop
    ports: [{protocol: TCP, port: 25}]
`,
  );

  function compileDualBeta(): CompileResult {
    const sources = clusterSources(twoNodes).map((s) =>
      s.name === 'nodes.yaml' ? { ...s, text: [nodeText(twoNodes.nodes[0]!), dual('beta', '172.30.20.0/24', 'fd00:20::/64', '10.200.0.12', 'fd00::12')].join('---\n') } : s,
    );
    return compileOk([...sources, { name: 'policy.yaml', text: policy }]);
  }

  test('no ipv6 or tcp6 flow on an IPv4-only Node, even for an IPv6 ipBlock or an any-address peer', () => {
    const r = compileDualBeta();
    const alpha = flowsOf(bundleOf(r, 'alpha'));
    expect(alpha.filter((l) => /\b(ipv6|tcp6|udp6|sctp6|icmp6)\b/.test(l))).toEqual([]);
    // The IPv4 half of the any-address rule is there.
    const anyRule = rulesOf(bundleOf(r, 'alpha')).find((x) => x.rule === 'any')!;
    expect(alpha.some((l) => l.includes(`conjunction(${anyRule.id},`) && l.includes('tcp,tp_dst=25'))).toBe(true);
  });

  test('a dual-stack Node keeps both families', () => {
    const r = compileDualBeta();
    expect(codes(r.diagnostics, 'DPC2021').map((d) => d.object?.name)).toEqual(['beta']);
    const beta = flowsOf(bundleOf(r, 'beta'));
    expect(beta.some((l) => l.includes('ipv6_dst=2001:db8::/48'))).toBe(true);
    expect(beta.some((l) => l.includes('tcp6,tp_dst=443'))).toBe(true);
    expect(beta.some((l) => l.includes('tcp6,tp_dst=25'))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// What is not compiled
// ---------------------------------------------------------------------------------------------------------------

describe('the summary of enabled features not compiled says what the bundles lack', () => {
  const summary = (conf: string) => codes(compileOk(clusterSources({ ...twoNodes, agentConfig: conf })).diagnostics, 'DPC3003').map((d) => d.message);

  test("Antrea's defaults", () => {
    const [m] = summary('tunnelType: geneve');
    expect(m).toMatch(/AntreaProxy: Services are not load-balanced \(no ServiceLB, EndpointDNAT or Endpoint group entries/);
    expect(m).toMatch(/AntreaPolicy: the DNS response interception flows Antrea installs at start \(conjunction 1/);
    expect(m).toMatch(/Egress: IPv6 Egress IPs get no flows, SNAT rule or address/);
    expect(m).not.toMatch(/Multicast|FlowExporter|proxyAll|L7/);
  });

  test('each enabled feature names its gap; nothing enabled, nothing said', () => {
    const [m] = summary('antreaProxy: {proxyAll: true}\nmulticast: {enable: true}\nflowExporter: {enable: true}\nfeatureGates: {TrafficControl: true, L7NetworkPolicy: true, EgressTrafficShaping: true, FlowExporter: true}');
    for (const phrase of [
      'proxyAll: NodePort, LoadBalancer and external-IP traffic is not handled',
      'L7NetworkPolicy: rules with l7Protocols are refused',
      'Multicast: no multicast forwarding or IGMP flows',
      'FlowExporter: records are exported by `dpc agent` over TCP or UDP only',
    ]) {
      expect(m).toContain(phrase);
    }
    expect(m).not.toMatch(/EgressTrafficShaping/);
    expect(summary('antreaProxy: {enable: false}\nfeatureGates: {AntreaPolicy: false, Egress: false}')).toEqual([]);
  });
});
