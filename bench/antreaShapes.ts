/**
 * The shapes of Antrea's own controller benchmarks (pkg/controller/networkpolicy/networkpolicy_controller_perf_test.go),
 * built on the generator's Nodes and placement (bench/generate.ts): the same objects and selectors that benchmark
 * makes, with the Pods spread over `nodes` Nodes instead of random Node names. Deterministic for a seed.
 *
 * - `one-namespace`: 1 Namespace, 10,000 Pods all labelled `app-1: scale-1`, 10,000 NetworkPolicies each applied to
 *   those Pods and admitting them (policyTypes Ingress and Egress): every policy means the same thing.
 * - `policy-per-pod`: 1 Namespace, 10,000 Pods with an `app` label of their own, in pairs; each Pod's policy admits
 *   only its partner.
 * - `large-namespaces`: 100 Namespaces of `default-deny-all` plus 100 apps × 10 Pods, one policy per app admitting
 *   the app's own Pods (10,100 policies, 100,000 Pods).
 * - `cluster-scoped`: 1,000 Namespaces labelled with one of 100 companies, 10 apps × 10 Pods each, one policy per
 *   app admitting that app from every Namespace of the company. Antrea's benchmark writes these as NetworkPolicies
 *   whose peers reach across Namespaces; here they are ClusterNetworkPolicies (applied to the app in its Namespace,
 *   in the application Tier), as issue 13 asks for a cluster-scoped kind: the selectors are the same.
 * The small-Namespace shape is the generator's `antrea-controller` profile (bench/policies.ts).
 *
 * `scale` (0 < scale ≤ 1) shrinks the object counts for quick iterations, keeping each shape's proportions.
 */
import type { SourceText } from '../compiler/ingest/documents.js';
import {
  agentConfigDocs,
  chunked,
  KUBE_ALPHABET,
  layoutNodes,
  namespaceDocs,
  nodeDocs,
  pad,
  podDocs,
  podName,
  Rng,
  toYaml,
  uid,
  type KubeDoc,
  type Labels,
  type SyntheticCluster,
  type SyntheticNamespace,
  type SyntheticPod,
  type SyntheticWorkload,
} from './generate.js';

export const ANTREA_SHAPES = ['one-namespace', 'policy-per-pod', 'large-namespaces', 'cluster-scoped'] as const;
export type AntreaShape = (typeof ANTREA_SHAPES)[number];

export interface AntreaShapeOptions {
  shape: AntreaShape;
  nodes: number;
  /** Shrinks the shape's counts (default 1). */
  scale?: number;
  seed?: number;
}

/** Objects per file, as generateSnapshot writes them. */
const PER_FILE = 5000;

interface NamespacePlan {
  ns: SyntheticNamespace;
  /** Each app: its labels and replica count. */
  apps: { labels: Labels; replicas: number }[];
}

/** Counts of the shape (Namespaces, apps per Namespace, Pods per app) at a scale. */
function counts(shape: AntreaShape, scale: number): { namespaces: number; apps: number; replicas: number } {
  const n = (full: number) => Math.max(1, Math.round(full * scale));
  switch (shape) {
    case 'one-namespace':
      return { namespaces: 1, apps: 1, replicas: n(10_000) };
    case 'policy-per-pod':
      return { namespaces: 1, apps: 2 * n(5_000), replicas: 1 };
    case 'large-namespaces':
      return { namespaces: n(100), apps: 100, replicas: 10 };
    case 'cluster-scoped':
      return { namespaces: n(1_000), apps: 10, replicas: 10 };
  }
}

function plan(shape: AntreaShape, scale: number, rng: Rng): NamespacePlan[] {
  const c = counts(shape, scale);
  const out: NamespacePlan[] = [];
  for (let i = 0; i < c.namespaces; i++) {
    const suffix = rng.chars(8, KUBE_ALPHABET);
    const company = `company-${i % 100}`;
    const name = shape === 'cluster-scoped' ? `${company}-${suffix}` : `scale-${suffix}`;
    const labels: Labels = { 'kubernetes.io/metadata.name': name, ...(shape === 'cluster-scoped' ? { company } : { app: name }) };
    const appLabels = (j: number): Labels => {
      if (shape === 'one-namespace') return { 'app-1': 'scale-1' };
      if (shape === 'policy-per-pod') return { app: `scale-${rng.chars(8, KUBE_ALPHABET)}` };
      return shape === 'large-namespaces' ? { [`app-${j}`]: `scale-${j}` } : { app: `scale-${j}` };
    };
    const apps = Array.from({ length: c.apps }, (_, j) => ({ labels: appLabels(j), replicas: c.replicas }));
    out.push({ ns: { name, labels }, apps });
  }
  return out;
}

function buildShapeCluster(options: AntreaShapeOptions, namespaces: NamespacePlan[], root: Rng): SyntheticCluster {
  const podCount = namespaces.reduce((n, p) => n + p.apps.reduce((m, a) => m + a.replicas, 0), 0);
  const rng = { nodes: root.fork('nodes'), placement: root.fork('placement'), pods: root.fork('pods') };
  const { nodes, place } = layoutNodes(options.nodes, podCount, rng);
  const workloads: SyntheticWorkload[] = [];
  const pods: SyntheticPod[] = [];
  for (const { ns, apps } of namespaces) {
    const names = new Set<string>();
    apps.forEach((a, j) => {
      const workload: SyntheticWorkload = {
        namespace: ns.name,
        app: `app-${j}`,
        tier: 'web',
        version: 'v1',
        templateHash: rng.pods.chars(10, KUBE_ALPHABET),
        image: 'registry.example/nginx:1.0',
        ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
      };
      workloads.push(workload);
      for (let r = 0; r < a.replicas; r++) pods.push({ name: podName(workload, names, rng.pods), uid: uid(rng.pods), workload, labels: a.labels, ...place() });
    });
  }
  return { nodes, namespaces: namespaces.map((p) => p.ns), workloads, pods };
}

const k8sPolicy = (namespace: string, name: string, rng: Rng, spec: KubeDoc): KubeDoc => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace, uid: uid(rng) },
  spec,
});

/** A policy as Antrea's benchmark's newNetworkPolicy makes it: both policyTypes, at most one ingress rule. */
const isolating = (appliedTo: Labels, from?: KubeDoc): KubeDoc => ({
  podSelector: { matchLabels: appliedTo },
  policyTypes: ['Ingress', 'Egress'],
  ...(from ? { ingress: [{ from: [from] }] } : {}),
});

function policies(shape: AntreaShape, namespaces: NamespacePlan[], rng: Rng): KubeDoc[] {
  const out: KubeDoc[] = [];
  for (const { ns, apps } of namespaces) {
    switch (shape) {
      case 'one-namespace': {
        const width = String(apps[0]!.replicas).length;
        for (let i = 0; i < apps[0]!.replicas; i++) {
          out.push(k8sPolicy(ns.name, `np-${pad(i, width)}`, rng, isolating(apps[0]!.labels, { podSelector: { matchLabels: apps[0]!.labels } })));
        }
        break;
      }
      case 'policy-per-pod': {
        const width = String(apps.length).length;
        apps.forEach((a, i) => {
          const partner = apps[i ^ 1]!;
          out.push(k8sPolicy(ns.name, `np-${pad(i, width)}`, rng, isolating(a.labels, { podSelector: { matchLabels: partner.labels } })));
        });
        break;
      }
      case 'large-namespaces':
        out.push(k8sPolicy(ns.name, 'default-deny-all', rng, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }));
        apps.forEach((a, i) => out.push(k8sPolicy(ns.name, `np-${i}`, rng, isolating(a.labels, { podSelector: { matchLabels: a.labels } }))));
        break;
      case 'cluster-scoped':
        apps.forEach((a, i) =>
          out.push({
            apiVersion: 'crd.antrea.io/v1beta1',
            kind: 'ClusterNetworkPolicy',
            metadata: { name: `${ns.name}-np-${i}`, uid: uid(rng) },
            spec: {
              priority: 5,
              tier: 'application',
              appliedTo: [{ podSelector: { matchLabels: a.labels }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns.name } } }],
              ingress: [{ action: 'Allow', from: [{ podSelector: { matchLabels: a.labels }, namespaceSelector: { matchLabels: { company: ns.labels['company']! } } }] }],
            },
          }),
        );
        break;
    }
  }
  return out;
}

export function generateAntreaShape(options: AntreaShapeOptions): SourceText[] {
  const scale = options.scale ?? 1;
  if (!(scale > 0 && scale <= 1)) throw new Error(`scale must be in (0, 1], not ${scale}`);
  const root = new Rng(options.seed ?? 1);
  const namespaces = plan(options.shape, scale, root.fork('namespaces'));
  const cluster = buildShapeCluster(options, namespaces, root);
  const policyDocs = policies(options.shape, namespaces, root.fork('policies'));
  return [
    { name: 'antrea-config.yaml', text: toYaml(agentConfigDocs()) },
    { name: 'nodes.yaml', text: toYaml(nodeDocs(cluster)) },
    { name: 'namespaces.yaml', text: toYaml(namespaceDocs(cluster)) },
    ...chunked('pods', podDocs(cluster), PER_FILE),
    ...chunked('policies', policyDocs, PER_FILE),
  ];
}

/** Pods and policies of a shape at a scale, for the bench's tables. */
export function antreaShapeCounts(shape: AntreaShape, scale = 1): { namespaces: number; pods: number; policies: number } {
  const c = counts(shape, scale);
  const pods = c.namespaces * c.apps * c.replicas;
  const policies = shape === 'one-namespace' ? c.replicas : shape === 'large-namespaces' ? c.namespaces * (c.apps + 1) : c.namespaces * c.apps;
  return { namespaces: c.namespaces, pods, policies };
}
