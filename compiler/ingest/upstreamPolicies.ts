/**
 * The upstream policy kinds of the network-policy-api project (policy.networking.k8s.io) that Antrea enforces when
 * its controller's feature gate for them is on (pkg/features/antrea_features.go): AdminNetworkPolicy and
 * BaselineAdminNetworkPolicy (v1alpha1, gate AdminNetworkPolicy, deprecated) and ClusterNetworkPolicy (v1alpha2,
 * gate ClusterNetworkPolicy). Both gates are controller gates, off by default. dpc does not compile these kinds.
 */
import type { ObjectLocation } from '../diagnostics/diagnostic.js';

export const UPSTREAM_POLICY_GROUP = 'policy.networking.k8s.io';

/** Kind → the controller feature gate that makes Antrea enforce it, and the one apiVersion Antrea reads it in. */
export const UPSTREAM_POLICIES: Readonly<Record<string, { gate: string; apiVersion: string }>> = {
  AdminNetworkPolicy: { gate: 'AdminNetworkPolicy', apiVersion: `${UPSTREAM_POLICY_GROUP}/v1alpha1` },
  BaselineAdminNetworkPolicy: { gate: 'AdminNetworkPolicy', apiVersion: `${UPSTREAM_POLICY_GROUP}/v1alpha1` },
  ClusterNetworkPolicy: { gate: 'ClusterNetworkPolicy', apiVersion: `${UPSTREAM_POLICY_GROUP}/v1alpha2` },
};

export interface LocatedUpstreamPolicy {
  obj: Record<string, unknown>;
  loc: ObjectLocation;
  kind: string;
}

/** The upstream kind an object of this group is, whatever its version (the caller checks the version). */
export function upstreamPolicyKind(apiVersion: string, kind: string): { gate: string; apiVersion: string } | undefined {
  const slash = apiVersion.indexOf('/');
  if (slash < 0 || apiVersion.slice(0, slash) !== UPSTREAM_POLICY_GROUP) return undefined;
  return UPSTREAM_POLICIES[kind];
}
