/**
 * NamespaceLifecycle admission: the API server refuses an object in a Namespace that does not exist, so a
 * snapshot that holds one is not a cluster's state. The Namespaces the API server itself creates, and recreates
 * when deleted (default, kube-system, kube-public, kube-node-lease), exist without being in the snapshot.
 */
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { Msg } from '../diagnostics/messages.js';
import type { Located } from '../diagnostics/diagnostic.js';
import type { Snapshot } from './ingest.js';

export const SYSTEM_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

type Namespaced = Located<{ kind: string; metadata: { name: string; namespace?: string } }>;

export function checkNamespacesExist(snapshot: Snapshot): Diagnostic[] {
  const existing = new Set([...SYSTEM_NAMESPACES, ...snapshot.namespaces.map((n) => n.obj.metadata.name)]);
  const namespaced: readonly (readonly Namespaced[])[] = [
    snapshot.pods,
    snapshot.services,
    snapshot.networkPolicies,
    snapshot.antreaNetworkPolicies,
    snapshot.groups,
  ];
  const out: Diagnostic[] = [];
  for (const { obj, loc } of namespaced.flat()) {
    const { name, namespace } = obj.metadata;
    const ns = namespace ?? 'default';
    if (existing.has(ns)) continue;
    out.push({
      severity: 'error',
      ...Msg.unknownNamespace(ns),
      object: { kind: obj.kind, namespace: ns, name },
      field: 'metadata.namespace',
      at: { loc, field: ['metadata', 'namespace'] },
    });
  }
  return out;
}
