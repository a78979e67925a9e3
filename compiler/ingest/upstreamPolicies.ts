/**
 * The upstream policy kinds of the network-policy-api project (policy.networking.k8s.io) that Antrea enforces when
 * its controller's feature gate for them is on (pkg/features/antrea_features.go): AdminNetworkPolicy and
 * BaselineAdminNetworkPolicy (v1alpha1, gate AdminNetworkPolicy, deprecated) and ClusterNetworkPolicy (v1alpha2,
 * gate ClusterNetworkPolicy). Both gates are controller gates, off by default. dpc does not compile these kinds.
 */
import type { ObjectLocation } from '../diagnostics/diagnostic.js';

export const UPSTREAM_POLICY_GROUP = 'policy.networking.k8s.io';

/** Kind → the controller feature gate that makes Antrea enforce it. */
export const UPSTREAM_POLICY_GATES: Readonly<Record<string, string>> = {
  AdminNetworkPolicy: 'AdminNetworkPolicy',
  BaselineAdminNetworkPolicy: 'AdminNetworkPolicy',
  ClusterNetworkPolicy: 'ClusterNetworkPolicy',
};

export interface LocatedUpstreamPolicy {
  obj: Record<string, unknown>;
  loc: ObjectLocation;
  kind: string;
}

/** The gate of an upstream policy kind, by its group (any version: serving versions is the API server's check). */
export function upstreamPolicyKind(apiVersion: string, kind: string): string | undefined {
  if (apiVersion.split('/')[0] !== UPSTREAM_POLICY_GROUP || !apiVersion.includes('/')) return undefined;
  return UPSTREAM_POLICY_GATES[kind];
}
