/** Turning peers (from/to entries and Groups) into address sets. */
import type { IPBlock, LabelSelector } from '../../schemas/networkPolicy.js';
import type { GroupSpec } from '../../schemas/antreaPolicy.js';
import type { ClusterModel, PodInfo } from '../model/model.js';
import { cidrDifference, compareCidr, parseCidr, type Cidr } from '../net/ip.js';
import type { Selection } from './selection.js';
import type { PeerSet } from './types.js';

export const MATCH_ALL_CIDRS: readonly Cidr[] = [parseCidr('0.0.0.0/0')!, parseCidr('::/0')!];

export function ipBlockCidrs(block: IPBlock): Cidr[] {
  const cidr = parseCidr(block.cidr);
  if (!cidr) return []; // refused by validation before resolution
  const holes = (block.except ?? []).map((e) => parseCidr(e)).filter((c): c is Cidr => c !== undefined);
  return cidrDifference(cidr, holes);
}

/** Union of peer sets, sorted and without duplicates (every PeerSet this module makes is already both). */
export function mergePeers(sets: readonly PeerSet[]): PeerSet {
  const nonEmpty = sets.filter((s) => s.pods.length > 0 || s.cidrs.length > 0);
  if (nonEmpty.length === 0) return EMPTY_PEERS;
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  const pods = new Map<string, PodInfo>();
  const cidrs = new Map<string, Cidr>();
  for (const s of sets) {
    for (const p of s.pods) pods.set(p.key, p);
    for (const c of s.cidrs) cidrs.set(`${c.family}/${c.base}/${c.prefix}`, c);
  }
  return {
    pods: [...pods.values()].sort((a, b) => (a.key < b.key ? -1 : 1)),
    cidrs: [...cidrs.values()].sort(compareCidr),
  };
}

export const EMPTY_PEERS: PeerSet = { pods: [], cidrs: [] };

/** The addresses of the Nodes a nodeSelector picks, as a sorted set without duplicates. */
export function nodePeers(sel: Selection, selector: LabelSelector): PeerSet {
  const seen = new Map<string, Cidr>();
  for (const n of sel.nodes(selector)) for (const c of sel.nodeAddresses(n)) seen.set(`${c.family}/${c.base}/${c.prefix}`, c);
  return { pods: [], cidrs: [...seen.values()].sort(compareCidr) };
}

/**
 * Members of a ClusterGroup (namespace undefined) or a namespaced Group, children included. Validation has
 * already refused unknown children and nesting deeper than one level.
 */
export function groupMembers(model: ClusterModel, sel: Selection, name: string, namespace?: string, depth = 0): PeerSet | undefined {
  const spec: GroupSpec | undefined =
    namespace === undefined ? model.clusterGroups.get(name)?.obj.spec : model.groups.get(`${namespace}/${name}`)?.obj.spec;
  const exists = namespace === undefined ? model.clusterGroups.has(name) : model.groups.has(`${namespace}/${name}`);
  if (!exists) return undefined;
  if (!spec) return EMPTY_PEERS;
  const parts: PeerSet[] = [];
  if (spec.podSelector || spec.namespaceSelector) {
    parts.push({ pods: sel.pods(spec.podSelector, spec.namespaceSelector, namespace), cidrs: [] });
  }
  if (spec.nodeSelector) {
    parts.push(nodePeers(sel, spec.nodeSelector));
  }
  for (const b of [...(spec.ipBlocks ?? []), ...(spec.ipBlock ? [spec.ipBlock] : [])]) parts.push({ pods: [], cidrs: ipBlockCidrs(b) });
  if (spec.serviceReference?.name) {
    const svcNs = spec.serviceReference.namespace ?? namespace ?? 'default';
    const svc = model.services.get(`${svcNs}/${spec.serviceReference.name}`);
    // A Service without a selector selects no Pods (its Endpoints are managed by hand).
    if (svc?.selector && Object.keys(svc.selector).length > 0) {
      parts.push({ pods: sel.pods({ matchLabels: svc.selector }, undefined, svcNs), cidrs: [] });
    }
  }
  if (depth === 0) {
    for (const child of spec.childGroups ?? []) {
      const m = groupMembers(model, sel, child, namespace, depth + 1);
      if (m) parts.push(m);
    }
  }
  return mergePeers(parts);
}
