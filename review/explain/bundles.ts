/**
 * A compiled output as the explainer reads it: per Node, the bundle's own files (bundle.json, flows, groups,
 * meters, rules.json, iptables, routes), parsed lazily so that tracing one packet through a 1,000-Node output reads
 * only the Nodes the packet visits. Built from a compile in memory or from files a caller read from disk.
 */
import type { CompileResult } from '../../compiler/compile.js';
import type { SourceText } from '../../compiler/ingest/documents.js';
import { createPositionResolver } from '../../compiler/ingest/positions.js';
import { parseFlows, parseGroups, parseMeters } from '../openflow/parse.js';
import { Pipeline } from '../openflow/interp.js';

export interface BundleMeta {
  node: { name: string; internalIP: string; podCIDR: string; gatewayIP: string };
  bridge: string;
  tables: Record<string, number>;
  inventory: {
    gateway: { name: string; ofport: number; mac: string };
    tunnel?: { name: string; ofport: number };
    pods: { namespace: string; name: string; interface: string; ofport: number; mac: string; ip: string }[];
    trafficControlPorts?: { name: string; ofport: number }[];
  };
}

export interface RuleEntry {
  id: number;
  policy: { type: string; namespace?: string; name: string };
  rule?: string;
  direction?: string;
  action?: string;
  table?: string;
  priority?: number;
  key?: string;
  /** Keys of the identical rules of other policies that share this rule's ID (compiled once). */
  sharedWith?: string[];
}

export interface NodeView {
  readonly name: string;
  readonly meta: BundleMeta;
  readonly tableNames: ReadonlyMap<number, string>;
  /** visibility/rules.json by rule ID. */
  readonly rules: ReadonlyMap<number, RuleEntry>;
  readonly pipeline: () => Pipeline;
  readonly file: (path: string) => string | undefined;
  /** Read without parsing bundle.json, so that indexing 1,000 Nodes by address costs nothing. */
  readonly internalIP: string;
}

export interface Bundles {
  readonly nodes: ReadonlyMap<string, NodeView>;
  /** Node by InternalIP: where a tunnel's tun_dst leads. */
  readonly byIP: ReadonlyMap<string, NodeView>;
  /** Egress names by egress IP, when the compile that made the bundles is at hand (as Antrea's agent knows them). */
  readonly egressNames: ReadonlyMap<string, string>;
  /** Host-network Pods (`ns/name` → Node), when the compile is at hand: they are their Node's processes. */
  readonly hostPods: ReadonlyMap<string, string>;
  /** YAML position of a policy, when the compile's sources are at hand. */
  readonly position: (policy: RuleEntry['policy']) => string | undefined;
}

/** Per Node, relative path → file content (what `dpc compile -o DIR` writes below DIR/<node>/). */
export type BundleFiles = ReadonlyMap<string, ReadonlyMap<string, string>>;

/** A Node's bundle, each file parsed the first time it is needed: a trace reads only the Nodes it visits. */
function nodeView(name: string, files: ReadonlyMap<string, string>): NodeView {
  const json = files.get('bundle.json');
  if (json === undefined) throw new Error(`the bundle of ${name} has no bundle.json`);
  let meta: BundleMeta | undefined;
  let tableNames: Map<number, string> | undefined;
  let rules: Map<number, RuleEntry> | undefined;
  let pipeline: Pipeline | undefined;
  return {
    name,
    get meta() {
      return (meta ??= JSON.parse(json) as BundleMeta);
    },
    get tableNames() {
      return (tableNames ??= new Map(Object.entries(this.meta.tables).map(([n, id]) => [id, n])));
    },
    get rules() {
      if (!rules) {
        rules = new Map();
        const text = files.get('visibility/rules.json');
        if (text) for (const r of (JSON.parse(text) as { rules?: RuleEntry[] }).rules ?? []) rules.set(r.id, r);
      }
      return rules;
    },
    pipeline: () =>
      (pipeline ??= new Pipeline(parseFlows(files.get('openflow/flows.txt') ?? ''), parseGroups(files.get('openflow/groups.txt') ?? ''), parseMeters(files.get('openflow/meters.txt') ?? ''))),
    file: (path) => files.get(path),
    internalIP: /"internalIP":\s*"([^"]+)"/.exec(json)?.[1] ?? '',
  };
}

export function isCompileResult(x: unknown): x is CompileResult {
  return typeof x === 'object' && x !== null && Array.isArray((x as CompileResult).bundles) && typeof (x as CompileResult).manifest === 'string';
}

/** The bundles of a compile (with its sources, origins get YAML positions) or of files read from an output. */
export function loadBundles(input: CompileResult | BundleFiles, opts: { sources?: readonly SourceText[] } = {}): Bundles {
  const nodes = new Map<string, NodeView>();
  const egressNames = new Map<string, string>();
  const hostPods = new Map<string, string>();
  let position: Bundles['position'] = () => undefined;
  if (isCompileResult(input)) {
    if (!input.ok) throw new Error('the compile failed: there are no bundles to explain');
    for (const b of input.bundles) nodes.set(b.node, nodeView(b.node, b.files));
    for (const e of input.egress?.egresses ?? []) if (e.ip) egressNames.set(e.ip, e.name);
    const model = input.model;
    for (const p of model?.pods ?? []) if (p.hostNetwork) hostPods.set(p.key, p.nodeName);
    if (model && opts.sources) {
      const resolve = createPositionResolver(opts.sources);
      const lists: Record<string, readonly { obj: { metadata: { name: string; namespace?: string } }; loc: Parameters<typeof resolve>[0]['loc'] }[]> = {
        K8sNetworkPolicy: model.k8sNetworkPolicies,
        AntreaNetworkPolicy: model.antreaNetworkPolicies,
        AntreaClusterNetworkPolicy: model.clusterNetworkPolicies,
      };
      position = (policy) => {
        const hit = lists[policy.type]?.find((p) => p.obj.metadata.name === policy.name && (p.obj.metadata.namespace ?? undefined) === (policy.namespace ?? undefined));
        if (!hit) return undefined;
        const pos = resolve({ loc: hit.loc });
        return `${pos.file}:${pos.line}`;
      };
    }
  } else {
    for (const [node, files] of [...input.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) nodes.set(node, nodeView(node, files));
  }
  const byIP = new Map<string, NodeView>();
  for (const n of nodes.values()) byIP.set(n.internalIP, n);
  return { nodes, byIP, egressNames, hostPods, position };
}
