/**
 * Node-policy benchmark (issue 9): a synthetic cluster of 1,000 Nodes with 200 ClusterNetworkPolicies applied to
 * Nodes, mixed appliedTo selectors (all Nodes, a zone, a role, one Node, a ClusterGroup) and peers of 10 to 5,000
 * addresses (Node selectors, Namespace selectors over Pods, ipBlock lists). It reports the compile time with and
 * without those policies, iptables lines and ipset members per Node, and the time to load the busiest Node's files
 * into a fresh network namespace with `ipset restore` and `iptables-restore --noflush` (root only).
 *
 *   node dist/bench/nodePolicies.js [--nodes N] [--pods N] [--policies N] [--seed N] [--json]
 */
import { performance } from 'node:perf_hooks';
import { compile, type CompileResult } from '../compiler/compile.js';
import type { SourceText } from '../compiler/ingest/documents.js';
import { buildCluster, formatIPv4, namespaceDocs, nodeDocs, podDocs, Rng, toYaml, type KubeDoc, type SyntheticCluster } from './generate.js';
import { createNetns, loadHostArtifacts, netnsUnavailable } from '../test/harness/netns.js';

interface Args {
  nodes: number;
  pods: number;
  policies: number;
  seed: number;
  json: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { nodes: 1000, pods: 10000, policies: 200, seed: 1, json: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--json') {
      a.json = true;
      continue;
    }
    const key = flag.replace(/^--/, '') as 'nodes' | 'pods' | 'policies' | 'seed';
    if (!['nodes', 'pods', 'policies', 'seed'].includes(key)) throw new Error(`unknown option ${flag}`);
    a[key] = Number(argv[++i]);
    if (!Number.isInteger(a[key]) || a[key] < 0) throw new Error(`${flag} needs a whole number`);
  }
  return a;
}

const ZONES = 5;
const ROLES = ['worker', 'edge', 'infra'];

function labelledNodes(cluster: SyntheticCluster): KubeDoc[] {
  return nodeDocs(cluster).map((doc, i) => {
    const meta = doc['metadata'] as { labels: Record<string, string> };
    meta.labels['topology.kubernetes.io/zone'] = `zone-${i % ZONES}`;
    meta.labels['role'] = ROLES[i % ROLES.length]!;
    return doc;
  });
}

const AGENT_CONF = ['featureGates:', '  AntreaPolicy: true', '  NodeNetworkPolicy: true', 'trafficEncapMode: encap', 'tunnelType: geneve', ''].join('\n');

/** Log-uniform in [lo, hi]: as many small peer sets as large ones per decade. */
const logUniform = (rng: Rng, lo: number, hi: number): number => Math.round(Math.exp(Math.log(lo) + rng.next() * (Math.log(hi) - Math.log(lo))));

function nodePolicyDocs(cluster: SyntheticCluster, count: number, rng: Rng): KubeDoc[] {
  const docs: KubeDoc[] = [
    { apiVersion: 'crd.antrea.io/v1beta1', kind: 'ClusterGroup', metadata: { name: 'edge-nodes' }, spec: { nodeSelector: { matchLabels: { role: 'edge' } } } },
  ];
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rng.next() * list.length)]!;
  const tiers = ['emergency', 'securityops', 'networkops', 'platform', 'application', 'baseline'];
  for (let p = 0; p < count; p++) {
    const kind = p % 5;
    const appliedTo =
      kind === 0 ? [{ nodeSelector: {} }]
      : kind === 1 ? [{ nodeSelector: { matchLabels: { 'topology.kubernetes.io/zone': `zone-${p % ZONES}` } } }]
      : kind === 2 ? [{ nodeSelector: { matchLabels: { role: pick(ROLES) } } }]
      : kind === 3 ? [{ nodeSelector: { matchLabels: { 'kubernetes.io/hostname': pick(cluster.nodes).name } } }]
      : [{ group: 'edge-nodes' }];
    const rules: Record<string, unknown>[] = [];
    const nRules = 1 + Math.floor(rng.next() * 3);
    for (let r = 0; r < nRules; r++) {
      const size = logUniform(rng, 10, 5000);
      const peerKind = rng.next();
      let peers: unknown[];
      if (peerKind < 0.3) {
        // About size/2 Nodes: each stands for its InternalIP and gateway IP.
        peers = [{ nodeSelector: { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: Array.from({ length: Math.max(1, Math.round(size / 2)) }, () => pick(cluster.nodes).name) }] } }];
      } else if (peerKind < 0.5) {
        const nss = Array.from({ length: Math.max(1, Math.round(size / 30)) }, () => pick(cluster.namespaces).name);
        peers = [{ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [...new Set(nss)] } ] } }];
      } else {
        const base = (0x0b000000 + Math.floor(rng.next() * 0x00ff0000)) >>> 0;
        peers = Array.from({ length: size }, (_, k) => ({ ipBlock: { cidr: `${formatIPv4((base + k * 4) >>> 0)}/${k % 7 === 0 ? 30 : 32}` } }));
      }
      const ports = rng.next() < 0.3
        ? [{ protocol: 'TCP', port: 10250 }, { protocol: 'TCP', port: 30000, endPort: 32767 }, { protocol: 'UDP', port: 53, sourcePort: 1024, sourceEndPort: 65535 }]
        : [{ protocol: pick(['TCP', 'UDP', 'SCTP']), port: 1 + Math.floor(rng.next() * 1000) }];
      const action = pick(['Allow', 'Drop', 'Reject', 'Allow']);
      const rule: Record<string, unknown> = { name: `r${r}`, action, ports, [r % 2 === 0 ? 'from' : 'to']: peers };
      if (rng.next() < 0.2) Object.assign(rule, { enableLogging: true, logLabel: `p${p}r${r}` });
      rules.push(rule);
    }
    docs.push({
      apiVersion: 'crd.antrea.io/v1beta1',
      kind: 'ClusterNetworkPolicy',
      metadata: { name: `node-policy-${p}` },
      spec: {
        tier: tiers[p % tiers.length],
        priority: 1 + (p % 50),
        appliedTo,
        ingress: rules.filter((r) => 'from' in r),
        egress: rules.filter((r) => 'to' in r),
      },
    });
  }
  return docs;
}

function snapshot(args: Args, withPolicies: boolean): SourceText[] {
  const cluster = buildCluster({ nodes: args.nodes, pods: args.pods, seed: args.seed });
  const config: KubeDoc = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'antrea-config', namespace: 'kube-system' }, data: { 'antrea-agent.conf': AGENT_CONF } };
  const sources: SourceText[] = [
    { name: 'config.yaml', text: toYaml([config]) },
    { name: 'nodes.yaml', text: toYaml(labelledNodes(cluster)) },
    { name: 'namespaces.yaml', text: toYaml(namespaceDocs(cluster)) },
    { name: 'pods.yaml', text: toYaml(podDocs(cluster)) },
  ];
  if (withPolicies) sources.push({ name: 'node-policies.yaml', text: toYaml(nodePolicyDocs(cluster, args.policies, new Rng(args.seed + 9))) });
  return sources;
}

function timedCompile(sources: SourceText[]): { result: CompileResult; ms: number } {
  globalThis.gc?.();
  const t0 = performance.now();
  const result = compile(sources);
  const ms = performance.now() - t0;
  if (!result.ok) throw new Error(`compile failed: ${result.diagnostics.filter((d) => d.severity === 'error').slice(0, 5).map((d) => d.message).join('; ')}`);
  return { result, ms };
}

const count = (text: string | undefined, prefix: string): number => (text ?? '').split('\n').filter((l) => l.startsWith(prefix)).length;

function stats(values: number[]): { min: number; median: number; p90: number; max: number; total: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { min: s[0] ?? 0, median: at(0.5), p90: at(0.9), max: s[s.length - 1] ?? 0, total: s.reduce((a, b) => a + b, 0) };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const log = (s: string) => process.stderr.write(`${s}\n`);
  log(`generating ${args.nodes} Nodes, ${args.pods} Pods, ${args.policies} node policies (seed ${args.seed})`);
  const withPolicies = snapshot(args, true);
  const without = snapshot(args, false);
  const bytes = withPolicies.find((s) => s.name === 'node-policies.yaml')!.text.length;
  log('compiling without node policies');
  const base = timedCompile(without);
  log('compiling with node policies');
  const full = timedCompile(withPolicies);
  const perNode = full.result.bundles.map((b) => ({
    node: b.node,
    lines: count(b.files.get('iptables/ipv4.rules'), '-A ') + count(b.files.get('iptables/ipv6.rules'), '-A '),
    sets: count(b.files.get('ipset/ipsets.txt'), 'create '),
    members: count(b.files.get('ipset/ipsets.txt'), 'add '),
    files: b.files,
  }));
  const busiest = [...perNode].sort((a, b) => b.members + b.lines - (a.members + a.lines))[0]!;
  const report: Record<string, unknown> = {
    shape: { nodes: args.nodes, pods: args.pods, policies: args.policies, policyYamlBytes: bytes },
    compileMs: { withoutNodePolicies: Math.round(base.ms), withNodePolicies: Math.round(full.ms) },
    iptablesLinesPerNode: stats(perNode.map((n) => n.lines)),
    ipsetsPerNode: stats(perNode.map((n) => n.sets)),
    ipsetMembersPerNode: stats(perNode.map((n) => n.members)),
    busiestNode: { node: busiest.node, lines: busiest.lines, sets: busiest.sets, members: busiest.members },
  };
  const why = netnsUnavailable();
  if (why) report['load'] = `not measured: ${why}`;
  else {
    const ns = createNetns('bench');
    try {
      const t0 = performance.now();
      loadHostArtifacts(ns, { ipsets: busiest.files.get('ipset/ipsets.txt') });
      const t1 = performance.now();
      loadHostArtifacts(ns, { ipv4: busiest.files.get('iptables/ipv4.rules'), ipv6: busiest.files.get('iptables/ipv6.rules') });
      const t2 = performance.now();
      // A second restore of the same rules: what a periodic resync costs once the chains exist.
      loadHostArtifacts(ns, { ipv4: busiest.files.get('iptables/ipv4.rules'), ipv6: busiest.files.get('iptables/ipv6.rules') });
      const t3 = performance.now();
      report['loadMs'] = { ipsetRestore: Math.round(t1 - t0), iptablesRestore: Math.round(t2 - t1), iptablesRestoreAgain: Math.round(t3 - t2) };
    } finally {
      ns.delete();
    }
  }
  if (args.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const s = (k: string) => {
    const v = report[k] as ReturnType<typeof stats>;
    return `min ${v.min}, median ${v.median}, p90 ${v.p90}, max ${v.max} (total ${v.total})`;
  };
  const out = [
    `node policies: ${args.nodes} Nodes, ${args.pods} Pods, ${args.policies} ClusterNetworkPolicies applied to Nodes (${(bytes / 1e6).toFixed(1)} MB of YAML)`,
    `  compile (in memory): ${(base.ms / 1000).toFixed(1)} s without them, ${(full.ms / 1000).toFixed(1)} s with them`,
    `  iptables lines per Node: ${s('iptablesLinesPerNode')}`,
    `  ipsets per Node:         ${s('ipsetsPerNode')}`,
    `  ipset members per Node:  ${s('ipsetMembersPerNode')}`,
    `  busiest Node ${busiest.node}: ${busiest.lines} lines, ${busiest.sets} sets, ${busiest.members} members`,
    `  load into a network namespace: ${report['loadMs'] ? Object.entries(report['loadMs'] as Record<string, number>).map(([k, v]) => `${k} ${v} ms`).join(', ') : String(report['load'])}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
