/**
 * Which apiVersions the API server serves for the kinds dpc reads. An object of such a kind written with another
 * apiVersion of a group we know is refused, as the API server refuses it ("no matches for kind"), instead of being
 * skipped as an unknown kind. Antrea's served CRD versions are those of Antrea's docs/api.md ("Currently-supported";
 * the v1alpha* versions of its policy kinds, Egress and ExternalIPPool were removed in v2.0.0) and its CRD
 * manifests (build/charts/antrea/crds/*.yaml, `served: true`).
 */

const SERVED: readonly { kind: string; apiVersions: readonly string[] }[] = [
  { kind: 'Node', apiVersions: ['v1'] },
  { kind: 'Namespace', apiVersions: ['v1'] },
  { kind: 'Pod', apiVersions: ['v1'] },
  { kind: 'Service', apiVersions: ['v1'] },
  { kind: 'ConfigMap', apiVersions: ['v1'] },
  { kind: 'NetworkPolicy', apiVersions: ['networking.k8s.io/v1', 'crd.antrea.io/v1beta1'] },
  { kind: 'ClusterNetworkPolicy', apiVersions: ['crd.antrea.io/v1beta1'] },
  { kind: 'Tier', apiVersions: ['crd.antrea.io/v1beta1'] },
  { kind: 'ClusterGroup', apiVersions: ['crd.antrea.io/v1beta1'] },
  { kind: 'Group', apiVersions: ['crd.antrea.io/v1beta1'] },
  { kind: 'Egress', apiVersions: ['crd.antrea.io/v1beta1'] },
  { kind: 'ExternalIPPool', apiVersions: ['crd.antrea.io/v1beta1'] },
  { kind: 'TrafficControl', apiVersions: ['crd.antrea.io/v1alpha2'] },
  { kind: 'NodeInventory', apiVersions: ['dpc/v1alpha1'] },
];

const BY_KIND = new Map(SERVED.map((s) => [s.kind, s.apiVersions]));

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * Groups whose kinds we know: Kubernetes' own (the core group, *.k8s.io and the historical unsuffixed ones),
 * Antrea's (current and pre-1.0) and dpc's. A kind of ours in any other group may be someone's custom resource.
 */
function isKnownGroup(group: string): boolean {
  return (
    group === '' ||
    group.endsWith('.k8s.io') ||
    ['apps', 'batch', 'autoscaling', 'policy', 'extensions'].includes(group) ||
    group.endsWith('antrea.io') ||
    group.endsWith('antrea.tanzu.vmware.com') ||
    group === 'dpc'
  );
}

/**
 * For a kind dpc reads written with an apiVersion that is not served for it: the apiVersions that are (those of
 * the same group first). Undefined when the pair is served, or the kind or group is not one we know.
 */
export function servedInstead(apiVersion: string, kind: string): readonly string[] | undefined {
  const served = BY_KIND.get(kind);
  if (!served || served.includes(apiVersion) || !isKnownGroup(groupOf(apiVersion))) return undefined;
  const group = groupOf(apiVersion);
  const sameGroup = served.filter((v) => groupOf(v) === group);
  return sameGroup.length > 0 ? sameGroup : served;
}
