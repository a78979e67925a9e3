/**
 * Selecting Pods, Namespaces and Nodes by label, for every resolver. Results are memoized per selector for
 * the length of one compile: large clusters repeat the same selectors across thousands of policies.
 */
import type { LabelSelector } from '../../schemas/networkPolicy.js';
import type { ClusterModel, NamespaceInfo, NodeInfo, PodInfo } from '../model/model.js';
import { matchesSelector } from '../model/selectors.js';
import { firstHost, hostCidr, type Cidr } from '../net/ip.js';

export interface Selection {
  /**
   * Pods (never host-network ones) matching both selectors. An absent podSelector matches every Pod of the
   * selected Namespaces; an absent namespaceSelector means `namespace` when given, else every Namespace.
   */
  pods(podSelector: LabelSelector | undefined, namespaceSelector: LabelSelector | undefined, namespace?: string): readonly PodInfo[];
  namespaces(selector: LabelSelector): readonly NamespaceInfo[];
  nodes(selector: LabelSelector): readonly NodeInfo[];
  /**
   * Addresses a Node peer stands for (docs/reference/iptables-egress.md §1.5): its first InternalIP of each family, the
   * gateway IP of its Pod CIDR, and the addresses of its transport-address annotation.
   */
  nodeAddresses(node: NodeInfo): Cidr[];
}

/**
 * A cache key per selector meaning. Most selectors are one label (`app: x`): keyed without building and sorting
 * arrays (one key per policy and peer at 10^5 small Namespaces); the `=` prefix keeps those apart from the general
 * form, a JSON array.
 */
const canonical = (s: LabelSelector | undefined): string => {
  if (s === undefined) return '-';
  if (s.matchExpressions === undefined || s.matchExpressions.length === 0) {
    const labels = s.matchLabels ?? {};
    let one: string | undefined;
    let count = 0;
    for (const k in labels) {
      if (!Object.prototype.hasOwnProperty.call(labels, k)) continue;
      if (++count > 1) break;
      one = `=${JSON.stringify(k)}:${JSON.stringify(labels[k])}`;
    }
    if (count === 0) return '=';
    if (count === 1) return one!;
  }
  return JSON.stringify([
    Object.entries(s.matchLabels ?? {}).sort(),
    (s.matchExpressions ?? []).map((e) => [e.key, e.operator, [...(e.values ?? [])].sort()]).sort(),
  ]);
};

/** Namespaces with fewer Pods are scanned whole: an index would cost more than it saves. */
const INDEX_FROM = 32;

export function createSelection(model: ClusterModel): Selection {
  const podsByNamespace = new Map<string, PodInfo[]>();
  for (const p of model.pods) {
    if (p.hostNetwork) continue;
    const list = podsByNamespace.get(p.namespace) ?? [];
    list.push(p);
    podsByNamespace.set(p.namespace, list);
  }
  // Per Namespace, its Pods by label (key and value), built on the first selector with matchLabels that scans it:
  // such a selector then reads only the Pods carrying its rarest label, not every Pod of the Namespace (one
  // Namespace of 10,000 Pods and 10,000 policies each selecting one Pod is 10^8 label checks without it).
  const podsByLabel = new Map<string, Map<string, PodInfo[]>>();
  const labelKey = (k: string, v: string) => `${k}\u0000${v}`;
  const candidates = (ns: string, selector: LabelSelector | undefined): readonly PodInfo[] => {
    const all = podsByNamespace.get(ns) ?? [];
    const wanted = selector?.matchLabels;
    if (!wanted || all.length < INDEX_FROM) return all;
    let index = podsByLabel.get(ns);
    if (!index) {
      podsByLabel.set(ns, (index = new Map()));
      for (const p of all) {
        for (const [k, v] of Object.entries(p.labels)) {
          const key = labelKey(k, v);
          const list = index.get(key);
          if (list) list.push(p);
          else index.set(key, [p]);
        }
      }
    }
    let fewest = all;
    for (const [k, v] of Object.entries(wanted)) {
      const list = index.get(labelKey(k, v)) ?? [];
      if (list.length < fewest.length) fewest = list;
    }
    return fewest;
  };
  const namespaceList = [...model.namespaces.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const nsCache = new Map<string, NamespaceInfo[]>();
  const podCache = new Map<string, PodInfo[]>();
  const nodeCache = new Map<string, NodeInfo[]>();

  const namespaces = (selector: LabelSelector): NamespaceInfo[] => {
    const key = canonical(selector);
    let hit = nsCache.get(key);
    if (!hit) {
      hit = namespaceList.filter((n) => matchesSelector(selector, n.labels));
      nsCache.set(key, hit);
    }
    return hit;
  };

  return {
    pods(podSelector, namespaceSelector, namespace) {
      const key = `${canonical(podSelector)}|${canonical(namespaceSelector)}|${namespaceSelector ? '' : namespace ?? '*'}`;
      let hit = podCache.get(key);
      if (hit) return hit;
      const scopes = namespaceSelector
        ? namespaces(namespaceSelector).map((n) => n.name)
        : namespace !== undefined
          ? [namespace]
          : namespaceList.map((n) => n.name);
      hit = [];
      for (const ns of scopes) {
        for (const p of candidates(ns, podSelector)) if (!podSelector || matchesSelector(podSelector, p.labels)) hit.push(p);
      }
      hit.sort((a, b) => (a.key < b.key ? -1 : 1));
      podCache.set(key, hit);
      return hit;
    },
    namespaces,
    nodes(selector) {
      const key = canonical(selector);
      let hit = nodeCache.get(key);
      if (!hit) {
        hit = model.nodes.filter((n) => matchesSelector(selector, n.labels));
        nodeCache.set(key, hit);
      }
      return hit;
    },
    nodeAddresses(node) {
      const v6 = node.addresses.find((a) => a.family === 6);
      return [node.internalIP, ...(v6 ? [v6] : []), firstHost(node.podCIDR), ...node.transportAddresses].map(hostCidr);
    },
  };
}
