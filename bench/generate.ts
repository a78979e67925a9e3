/**
 * A deterministic synthetic cluster snapshot for the benchmarks (docs/design.md §8): the same options and seed always
 * give byte-identical text. No Math.random, no clock, no environment.
 *
 * Shape, chosen to look like `kubectl get -o yaml` output of a real cluster:
 * - Node i: name `node-<i>`, Pod CIDR carved from 10.0.0.0/8 (then 100.64.0.0/10, then 192.168.0.0/16) in blocks
 *   sized for the busiest Node (a /24 up to 253 Pods per Node), InternalIP 172.16.0.0 + i + 1.
 * - Namespaces: about pods/30 (at least 3), labelled `team` and `env` (plus `kubernetes.io/metadata.name`, as
 *   the API server adds), some with `pci` or `istio-injection`; sizes follow a Zipf-like curve.
 * - Pods: grouped into workloads (Deployments) per Namespace; labels `app`, `tier`, `version`,
 *   `pod-template-hash` drawn from small vocabularies, so selectors of every width can be written against them;
 *   each Pod has 1–2 named container ports; Pods are spread over Nodes with uneven (0.5×–1.5×) capacity.
 *
 * The generator works in two steps so new kinds are easy to add: `buildCluster` makes a plain model
 * (SyntheticCluster), and one `*Docs` function per kind turns it into objects; `generateSnapshot` splits the
 * objects into files. Policies (`policyDocs`, bench/policies.ts) receive the model and their own PRNG stream.
 *
 * Profile `antrea-controller` reshapes the cluster after Antrea's controller benchmark instead: Namespaces of equal
 * size, each with two workloads of equal replicas (4 Pods, 2 apps at 25,000 Namespaces / 100,000 Pods), and the
 * policies that benchmark makes (3 per Namespace).
 */
import type { SourceText } from '../compiler/ingest/documents.js';
import { antreaControllerPolicyDocs, mixedPolicyDocs, type PolicyProfile } from './policies.js';

export type { PolicyProfile } from './policies.js';

// ─── options ────────────────────────────────────────────────────────────────────────────────────────────────

export interface GenerateOptions {
  /** Number of Nodes (≥ 1). */
  nodes: number;
  /** Number of Pods (≥ 0), spread over the Nodes. */
  pods: number;
  /** Number of Namespaces; default max(3, round(pods / 30)) (see defaultNamespaces). */
  namespaces?: number;
  /** Number of network policies (default 0); see `policyDocs` and bench/policies.ts for the mix. */
  policies?: number;
  /**
   * `mixed` (default): the cluster above and the policy mix of bench/policies.ts. `antrea-controller`: equal
   * Namespaces of two equal workloads and Antrea's controller-benchmark policies (3 per Namespace).
   */
  profile?: PolicyProfile;
  /** PRNG seed; default 1. */
  seed?: number;
  /** Objects per pods-N.yaml file; default 5,000. */
  podsPerFile?: number;
}

// ─── PRNG ───────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * A small seeded PRNG (SplitMix32-style mixing of a Weyl sequence): 32-bit state, good enough statistical
 * quality for picking labels, and independent streams per purpose via `fork`.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = (seed ^ 0x9e3779b9) >>> 0;
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** Picks by weight (weights need not sum to 1). */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items[items.length - 1]![0];
  }

  /** A lowercase string of `n` characters from `alphabet`. */
  chars(n: number, alphabet: string): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
    return items;
  }

  /** An independent stream derived from this one and a label, so adding draws in one place moves no other. */
  fork(label: string): Rng {
    let h = this.nextU32();
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
    return new Rng(h);
  }
}

// ─── vocabularies ───────────────────────────────────────────────────────────────────────────────────────────

const TEAMS = ['storefront', 'payments', 'search', 'identity', 'data', 'ml', 'platform', 'sre', 'media', 'ads', 'billing', 'growth'] as const;
const ENVS: readonly (readonly [string, number])[] = [['prod', 5], ['staging', 3], ['dev', 2]];

interface AppProfile {
  app: string;
  tier: string;
  /** The main named port; a second `metrics` port is added to some workloads. */
  port: { name: string; containerPort: number; protocol: 'TCP' | 'UDP' };
  image: string;
  /** Typical replica counts. */
  replicas: readonly number[];
}

const APPS: readonly AppProfile[] = [
  { app: 'frontend', tier: 'web', port: { name: 'http', containerPort: 8080, protocol: 'TCP' }, image: 'nginx', replicas: [2, 3, 4, 6] },
  { app: 'web', tier: 'web', port: { name: 'http', containerPort: 80, protocol: 'TCP' }, image: 'nginx', replicas: [2, 3, 4] },
  { app: 'gateway', tier: 'web', port: { name: 'https', containerPort: 8443, protocol: 'TCP' }, image: 'envoy', replicas: [2, 3] },
  { app: 'api', tier: 'api', port: { name: 'http', containerPort: 8080, protocol: 'TCP' }, image: 'api-server', replicas: [2, 3, 5] },
  { app: 'cart', tier: 'api', port: { name: 'grpc', containerPort: 9090, protocol: 'TCP' }, image: 'cart', replicas: [2, 3] },
  { app: 'catalog', tier: 'api', port: { name: 'http', containerPort: 8080, protocol: 'TCP' }, image: 'catalog', replicas: [2, 3] },
  { app: 'checkout', tier: 'api', port: { name: 'grpc', containerPort: 9090, protocol: 'TCP' }, image: 'checkout', replicas: [2, 3] },
  { app: 'auth', tier: 'api', port: { name: 'https', containerPort: 8443, protocol: 'TCP' }, image: 'auth', replicas: [2, 3] },
  { app: 'search', tier: 'api', port: { name: 'http', containerPort: 9200, protocol: 'TCP' }, image: 'search', replicas: [3, 5] },
  { app: 'recommender', tier: 'api', port: { name: 'grpc', containerPort: 50051, protocol: 'TCP' }, image: 'recommender', replicas: [1, 2, 3] },
  { app: 'worker', tier: 'batch', port: { name: 'http-admin', containerPort: 8081, protocol: 'TCP' }, image: 'worker', replicas: [1, 2, 4, 8] },
  { app: 'scheduler', tier: 'batch', port: { name: 'http-admin', containerPort: 8081, protocol: 'TCP' }, image: 'scheduler', replicas: [1, 2] },
  { app: 'redis', tier: 'cache', port: { name: 'redis', containerPort: 6379, protocol: 'TCP' }, image: 'redis', replicas: [1, 3] },
  { app: 'memcached', tier: 'cache', port: { name: 'memcache', containerPort: 11211, protocol: 'TCP' }, image: 'memcached', replicas: [2, 3] },
  { app: 'postgres', tier: 'db', port: { name: 'postgres', containerPort: 5432, protocol: 'TCP' }, image: 'postgres', replicas: [1, 2, 3] },
  { app: 'mysql', tier: 'db', port: { name: 'mysql', containerPort: 3306, protocol: 'TCP' }, image: 'mysql', replicas: [1, 3] },
  { app: 'kafka', tier: 'queue', port: { name: 'kafka', containerPort: 9092, protocol: 'TCP' }, image: 'kafka', replicas: [3] },
  { app: 'rabbitmq', tier: 'queue', port: { name: 'amqp', containerPort: 5672, protocol: 'TCP' }, image: 'rabbitmq', replicas: [1, 3] },
  { app: 'dns-cache', tier: 'infra', port: { name: 'dns', containerPort: 53, protocol: 'UDP' }, image: 'coredns', replicas: [2] },
  { app: 'metrics', tier: 'infra', port: { name: 'http-metrics', containerPort: 9100, protocol: 'TCP' }, image: 'prometheus', replicas: [1, 2] },
];
const VERSIONS: readonly (readonly [string, number])[] = [['v1', 6], ['v2', 3], ['v3', 1]];
/** The alphabet Kubernetes uses for generated name suffixes (no vowels, no confusable digits). */
export const KUBE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

// ─── the model ──────────────────────────────────────────────────────────────────────────────────────────────

export type Labels = Record<string, string>;

export interface SyntheticNode {
  name: string;
  /** Pod CIDR network address as a 32-bit integer, and its prefix length. */
  cidrBase: number;
  prefix: number;
  internalIP: number;
}

export interface SyntheticNamespace {
  name: string;
  labels: Labels;
}

export interface SyntheticPort {
  name: string;
  containerPort: number;
  protocol: 'TCP' | 'UDP';
}

/** A Deployment-like group of Pods that share labels and ports: what a policy selector picks. */
export interface SyntheticWorkload {
  namespace: string;
  app: string;
  tier: string;
  version: string;
  templateHash: string;
  image: string;
  ports: SyntheticPort[];
}

export interface SyntheticPod {
  name: string;
  uid: string;
  workload: SyntheticWorkload;
  labels: Labels;
  node: SyntheticNode;
  ip: number;
}

export interface SyntheticCluster {
  nodes: SyntheticNode[];
  namespaces: SyntheticNamespace[];
  workloads: SyntheticWorkload[];
  pods: SyntheticPod[];
}

/** A Kubernetes object as plain data, ready to be written as a YAML document. */
export type KubeDoc = Record<string, unknown>;

// ─── address plan ───────────────────────────────────────────────────────────────────────────────────────────

const ip = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
export const formatIPv4 = (v: number): string => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;

/** Pools the Pod CIDRs are carved from, in order (none overlaps the InternalIP range 172.16.0.0/12). */
const POD_POOLS: readonly { base: number; prefix: number }[] = [
  { base: ip(10, 0, 0, 0), prefix: 8 },
  { base: ip(100, 64, 0, 0), prefix: 10 },
  { base: ip(192, 168, 0, 0), prefix: 16 },
];
const INTERNAL_IP_BASE = ip(172, 16, 0, 0);
const INTERNAL_IP_MAX = (1 << 20) - 2; // the size of 172.16.0.0/12, less its network and broadcast addresses

/** The longest prefix (at most /24) whose block holds `pods` Pods besides network, gateway and broadcast. */
function podPrefixFor(pods: number): number {
  let prefix = 24;
  while (prefix > 8 && 2 ** (32 - prefix) - 3 < pods) prefix--;
  return prefix;
}

function carvePodCIDRs(count: number, prefix: number): number[] {
  const out: number[] = [];
  const block = 2 ** (32 - prefix);
  for (const pool of POD_POOLS) {
    if (pool.prefix > prefix) continue;
    const blocks = 2 ** (prefix - pool.prefix);
    for (let i = 0; i < blocks && out.length < count; i++) out.push((pool.base + i * block) >>> 0);
    if (out.length === count) return out;
  }
  throw new Error(`cannot carve ${count} Pod CIDRs of /${prefix} from ${POD_POOLS.map((p) => `${formatIPv4(p.base)}/${p.prefix}`).join(', ')}`);
}

// ─── building the model ─────────────────────────────────────────────────────────────────────────────────────

export const pad = (i: number, width: number): string => String(i).padStart(width, '0');

/** A UUID-shaped identifier drawn from the PRNG. */
export function uid(rng: Rng): string {
  const h = (n: number) => rng.chars(n, '0123456789abcdef');
  return `${h(8)}-${h(4)}-4${h(3)}-${'89ab'[rng.int(4)]}${h(3)}-${h(12)}`;
}

/** Splits `total` over `weights` proportionally, with the largest remainders rounded up (deterministic). */
function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k]!.i]!++;
  return counts;
}

function buildNamespaces(count: number, rng: Rng): SyntheticNamespace[] {
  const width = Math.max(3, String(count).length);
  const out: SyntheticNamespace[] = [];
  for (let i = 0; i < count; i++) {
    const team = TEAMS[i % TEAMS.length]!;
    const env = rng.weighted(ENVS);
    const name = `${team}-${env}-${pad(i, width)}`;
    const labels: Labels = { 'kubernetes.io/metadata.name': name, team, env };
    if (team === 'payments' || team === 'billing') labels['pci'] = 'true';
    if (rng.chance(0.25)) labels['istio-injection'] = 'enabled';
    out.push({ name, labels });
  }
  return out;
}

/**
 * Workloads of one Namespace, with replica counts summing to exactly `pods`. `halves`: two workloads of distinct
 * apps sharing the Pods equally (the antrea-controller profile); otherwise typical replica counts per app.
 */
function buildWorkloads(namespace: string, pods: number, rng: Rng, halves = false): { workload: SyntheticWorkload; replicas: number }[] {
  const out: { workload: SyntheticWorkload; replicas: number }[] = [];
  const used = new Map<string, number>();
  let left = pods;
  const first = halves ? rng.int(APPS.length) : 0;
  const second = halves ? (first + 1 + rng.int(APPS.length - 1)) % APPS.length : 0;
  while (left > 0) {
    const profile = halves ? APPS[out.length === 0 ? first : second]! : rng.pick(APPS);
    const n = used.get(profile.app) ?? 0;
    used.set(profile.app, n + 1);
    const version = rng.weighted(VERSIONS);
    // A second Deployment of the same app in one Namespace gets its own name, as `-canary`, `-2`, …
    const app = n === 0 ? profile.app : n === 1 ? `${profile.app}-canary` : `${profile.app}-${n}`;
    const ports: SyntheticPort[] = [{ ...profile.port }];
    if (profile.port.name !== 'http-metrics' && rng.chance(0.4)) ports.push({ name: 'metrics', containerPort: 9102, protocol: 'TCP' });
    const replicas = halves ? (out.length === 0 ? Math.ceil(pods / 2) : left) : Math.min(left, rng.pick(profile.replicas));
    left -= replicas;
    out.push({
      workload: {
        namespace,
        app,
        tier: profile.tier,
        version,
        templateHash: rng.chars(10, KUBE_ALPHABET),
        image: `registry.example/${profile.image}:${version === 'v1' ? '1.0' : version === 'v2' ? '2.0' : '3.0'}`,
        ports,
      },
      replicas,
    });
  }
  return out;
}

/** Namespaces when not given: one per 30 Pods, at least 3. */
export const defaultNamespaces = (pods: number): number => Math.max(3, Math.round(pods / 30));

/**
 * Nodes of uneven capacity (0.5×–1.5×, as in a cluster of mixed machine sizes) sized for `podCount` Pods, and the
 * scheduler's placement: `place()` gives the next Pod its Node and address, in a deterministic shuffled order.
 * Every generated shape lays its Nodes out and places its Pods so.
 */
export function layoutNodes(
  nodeCount: number,
  podCount: number,
  rng: { nodes: Rng; placement: Rng },
): { nodes: SyntheticNode[]; place(): { node: SyntheticNode; ip: number } } {
  if (!Number.isInteger(nodeCount) || nodeCount < 1) throw new Error(`nodes must be a positive integer, not ${nodeCount}`);
  if (!Number.isInteger(podCount) || podCount < 0) throw new Error(`pods must be a non-negative integer, not ${podCount}`);
  if (nodeCount > INTERNAL_IP_MAX) throw new Error(`at most ${INTERNAL_IP_MAX} Nodes fit in 172.16.0.0/12`);
  const capacity = Array.from({ length: nodeCount }, () => 0.5 + rng.nodes.next());
  const podsPerNode = apportion(podCount, capacity);
  const prefix = podPrefixFor(Math.max(0, ...podsPerNode));
  const cidrs = carvePodCIDRs(nodeCount, prefix);
  const nodeWidth = Math.max(4, String(nodeCount - 1).length);
  const nodes: SyntheticNode[] = cidrs.map((cidrBase, i) => ({
    name: `node-${pad(i, nodeWidth)}`,
    cidrBase,
    prefix,
    internalIP: (INTERNAL_IP_BASE + i + 1) >>> 0,
  }));
  const slots: number[] = [];
  podsPerNode.forEach((n, i) => {
    for (let k = 0; k < n; k++) slots.push(i);
  });
  rng.placement.shuffle(slots);
  const nextHost = new Array<number>(nodeCount).fill(2); // .1 is the gateway
  let placed = 0;
  return {
    nodes,
    place() {
      const nodeIndex = slots[placed++];
      if (nodeIndex === undefined) throw new Error(`more than the ${podCount} Pods the layout was sized for`);
      const node = nodes[nodeIndex]!;
      return { node, ip: (node.cidrBase + nextHost[nodeIndex]!++) >>> 0 };
    },
  };
}

/** A fresh Pod name for a workload: `<app>-<template hash>-<5 characters>`, unique in `taken`. */
export function podName(workload: SyntheticWorkload, taken: Set<string>, rng: Rng): string {
  let name: string;
  do name = `${workload.app}-${workload.templateHash}-${rng.chars(5, KUBE_ALPHABET)}`;
  while (taken.has(name));
  taken.add(name);
  return name;
}

export function buildCluster(options: GenerateOptions): SyntheticCluster {
  const { nodes: nodeCount, pods: podCount } = options;
  const nsCount = options.namespaces ?? defaultNamespaces(podCount);
  if (!Number.isInteger(nsCount) || nsCount < 1) throw new Error(`namespaces must be a positive integer, not ${nsCount}`);
  const root = new Rng(options.seed ?? 1);
  // Forked in this order: each stream depends on the forks before it.
  const rng = {
    nodes: root.fork('nodes'),
    namespaces: root.fork('namespaces'),
    workloads: root.fork('workloads'),
    placement: root.fork('placement'),
    pods: root.fork('pods'),
  };
  const { nodes, place } = layoutNodes(nodeCount, podCount, rng);

  // Pods per Namespace: a Zipf-like curve (exponent 0.7) over a shuffled order, so sizes vary widely.
  const namespaces = buildNamespaces(nsCount, rng.namespaces);
  const rank = rng.namespaces.shuffle(namespaces.map((_, i) => i));
  const uniform = options.profile === 'antrea-controller';
  const podsPerNs = apportion(podCount, rank.map((r) => (uniform ? 1 : 1 / (r + 1) ** 0.7)));

  const workloads: SyntheticWorkload[] = [];
  const pods: SyntheticPod[] = [];
  namespaces.forEach((ns, nsIndex) => {
    const names = new Set<string>();
    for (const { workload, replicas } of buildWorkloads(ns.name, podsPerNs[nsIndex]!, rng.workloads, uniform)) {
      workloads.push(workload);
      for (let r = 0; r < replicas; r++) {
        const name = podName(workload, names, rng.pods);
        pods.push({
          name,
          uid: uid(rng.pods),
          workload,
          labels: { app: workload.app, tier: workload.tier, version: workload.version, 'pod-template-hash': workload.templateHash },
          ...place(),
        });
      }
    }
  });
  return { nodes, namespaces, workloads, pods };
}

// ─── one function per kind: model → objects ─────────────────────────────────────────────────────────────────

export function nodeDocs(cluster: SyntheticCluster): KubeDoc[] {
  return cluster.nodes.map((n) => {
    const cidr = `${formatIPv4(n.cidrBase)}/${n.prefix}`;
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: n.name,
        labels: {
          'kubernetes.io/arch': 'amd64',
          'kubernetes.io/hostname': n.name,
          'kubernetes.io/os': 'linux',
        },
      },
      spec: { podCIDR: cidr, podCIDRs: [cidr] },
      status: {
        addresses: [
          { type: 'InternalIP', address: formatIPv4(n.internalIP) },
          { type: 'Hostname', address: n.name },
        ],
      },
    };
  });
}

export function namespaceDocs(cluster: SyntheticCluster): KubeDoc[] {
  return cluster.namespaces.map((ns) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns.name, labels: ns.labels },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  }));
}

export function podDocs(cluster: SyntheticCluster): KubeDoc[] {
  return cluster.pods.map((p) => {
    const w = p.workload;
    const podIP = formatIPv4(p.ip);
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: p.name,
        namespace: w.namespace,
        uid: p.uid,
        labels: p.labels,
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${w.app}-${w.templateHash}`, controller: true },
        ],
      },
      spec: {
        nodeName: p.node.name,
        serviceAccountName: 'default',
        restartPolicy: 'Always',
        containers: [
          {
            name: w.app,
            image: w.image,
            ports: w.ports.map((port) => ({ name: port.name, containerPort: port.containerPort, protocol: port.protocol })),
            resources: { requests: { cpu: '100m', memory: '128Mi' } },
          },
        ],
      },
      status: {
        phase: 'Running',
        hostIP: formatIPv4(p.node.internalIP),
        podIP,
        podIPs: [{ ip: podIP }],
      },
    };
  });
}

/** Antrea's shipped defaults, as the antrea-config ConfigMap carries them. */
export function agentConfigDocs(): KubeDoc[] {
  const conf = [
    'featureGates:',
    '  AntreaProxy: true',
    '  AntreaPolicy: true',
    '  Egress: true',
    'ovsBridge: br-int',
    'hostGateway: antrea-gw0',
    'trafficEncapMode: encap',
    'tunnelType: geneve',
    'antreaProxy:',
    '  proxyAll: false',
    '',
  ].join('\n');
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'antrea-config', namespace: 'kube-system' },
      data: { 'antrea-agent.conf': conf },
    },
  ];
}

/**
 * Network policies against the model (and the ClusterGroups they name, not counted): bench/policies.ts describes
 * both profiles. `rng` is their own stream, so the rest of the snapshot does not depend on them.
 */
export function policyDocs(cluster: SyntheticCluster, count: number, rng: Rng, profile: PolicyProfile = 'mixed'): KubeDoc[] {
  if (count === 0) return [];
  return profile === 'antrea-controller' ? antreaControllerPolicyDocs(cluster, count, rng) : mixedPolicyDocs(cluster, count, rng);
}

// ─── YAML text ──────────────────────────────────────────────────────────────────────────────────────────────

/** Plain words YAML 1.1 or 1.2 would read as something other than a string: booleans, null, numbers, dates. */
const YAML_SPECIAL = new RegExp(
  [
    '^(?:true|false|yes|no|on|off|y|n|null|~)$',
    '^[-+]?(?:\\.inf|\\.nan)$',
    '^[-+]?(?:[0-9][0-9_]*)?\\.?[0-9_]*(?:[eE][-+]?[0-9]+)?$', // ints and floats (also 1_000, 1., .5)
    '^[-+]?0[xob][0-9a-fA-F_]+$',
    '^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\\.[0-9_]*)?$', // YAML 1.1 sexagesimal
    '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}', // timestamps
  ].join('|'),
  'i',
);
const PLAIN_SAFE = /^[A-Za-z0-9](?:[A-Za-z0-9._/-]|:(?=[A-Za-z0-9._/-]))*$/;

function scalar(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  const s = String(v);
  return PLAIN_SAFE.test(s) && !YAML_SPECIAL.test(s) ? s : JSON.stringify(s);
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isEmpty = (v: unknown): boolean => (Array.isArray(v) ? v.length === 0 : isMap(v) && Object.keys(v).length === 0);

/** Block-style YAML in kubectl's layout: nested maps indented by two, list items at the parent's indent. */
function emit(value: unknown, indent: string, out: string[]): void {
  if (isMap(value)) {
    for (const [k, v] of Object.entries(value)) {
      const key = `${indent}${scalar(k)}:`;
      if (isEmpty(v)) out.push(`${key} ${Array.isArray(v) ? '[]' : '{}'}`);
      else if (isMap(v)) {
        out.push(key);
        emit(v, `${indent}  `, out);
      } else if (Array.isArray(v)) {
        out.push(key);
        emit(v, indent, out);
      } else if (typeof v === 'string' && v.includes('\n')) {
        out.push(`${key} |${v.endsWith('\n') ? '' : '-'}`);
        for (const line of v.replace(/\n$/, '').split('\n')) out.push(line === '' ? '' : `${indent}  ${line}`);
      } else out.push(`${key} ${scalar(v)}`);
    }
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isMap(item) && !isEmpty(item)) {
        // The first key goes on the dash line; the rest align under it.
        const lines: string[] = [];
        emit(item, `${indent}  `, lines);
        lines[0] = `${indent}- ${lines[0]!.slice(indent.length + 2)}`;
        out.push(...lines);
      } else if (Array.isArray(item) && !isEmpty(item)) {
        out.push(`${indent}-`);
        emit(item, `${indent}  `, out);
      } else out.push(`${indent}- ${isEmpty(item) ? (Array.isArray(item) ? '[]' : '{}') : scalar(item)}`);
    }
    return;
  }
  out.push(`${indent}${scalar(value)}`);
}

/** Documents as one multi-document YAML text, `---` between them. */
export function toYaml(docs: readonly KubeDoc[]): string {
  const out: string[] = [];
  docs.forEach((d, i) => {
    if (i > 0) out.push('---');
    emit(d, '', out);
  });
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

// ─── the snapshot ───────────────────────────────────────────────────────────────────────────────────────────

/** Splits a list into files named `<stem>-<n>.yaml` of at most `size` documents each. */
export function chunked(stem: string, docs: readonly KubeDoc[], size: number): SourceText[] {
  const out: SourceText[] = [];
  const width = Math.max(2, String(Math.ceil(docs.length / size)).length);
  for (let i = 0; i < docs.length; i += size) {
    out.push({ name: `${stem}-${pad(i / size + 1, width)}.yaml`, text: toYaml(docs.slice(i, i + size)) });
  }
  return out;
}

/** The whole snapshot as files, like a `kubectl get -o yaml` dump split by kind. */
export function generateSnapshot(options: GenerateOptions): SourceText[] {
  const policies = options.policies ?? 0;
  if (!Number.isInteger(policies) || policies < 0) throw new Error(`policies must be a non-negative integer, not ${policies}`);
  const perFile = options.podsPerFile ?? 5000;
  if (!Number.isInteger(perFile) || perFile < 1) throw new Error(`podsPerFile must be a positive integer, not ${perFile}`);
  const cluster = buildCluster(options);
  const policy = policyDocs(cluster, policies, new Rng(options.seed ?? 1).fork('policies'), options.profile);
  return [
    { name: 'antrea-config.yaml', text: toYaml(agentConfigDocs()) },
    { name: 'nodes.yaml', text: toYaml(nodeDocs(cluster)) },
    { name: 'namespaces.yaml', text: toYaml(namespaceDocs(cluster)) },
    ...chunked('pods', podDocs(cluster), perFile),
    ...chunked('policies', policy, perFile),
  ];
}
