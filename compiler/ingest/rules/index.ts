/**
 * The policy admission rules, in the order they run, and the runner. Sections refer to
 * docs/reference/iptables-egress.md §6. Order matters where a rule looks objects up: a Tier or group refused by an
 * earlier rule does not exist for a later one, as it would not in a cluster whose admission refused it.
 *
 * An object named by an error is refused: it is left out of the snapshot, so later stages only see objects that
 * Antrea (and the API server, for Kubernetes NetworkPolicies) would have admitted.
 */
import type { Diagnostic, ObjectRef } from '../../diagnostics/diagnostic.js';
import { createContext, locKey, refOf, type Located, type PolicyObjects, type PolicyRule } from './context.js';
import { policyObjectsUnique } from './policyObjectsUnique.js'; // dpc
import { unknownSpecFields } from './unknownSpecFields.js'; // dpc (warning)
import { protocolEntriesSingle } from './protocolEntriesSingle.js'; // §6.1 schema
import { crdFieldPlacement } from './crdFieldPlacement.js'; // §6.1 schema
import { tierPriorityReserved } from './tierPriorityReserved.js'; // §6.4 create
import { tierPriorityImmutable } from './tierPriorityImmutable.js'; // §6.4 update
import { tierPriorityUnique } from './tierPriorityUnique.js'; // §6.4 create
import { tierCountLimit } from './tierCountLimit.js'; // §6.4 create
import { tierDeletionUnreferenced } from './tierDeletionUnreferenced.js'; // §6.4 delete
import { groupSelectorsExclusive } from './groupSelectorsExclusive.js'; // §6.5
import { labelSelectorsValid } from './labelSelectorsValid.js'; // §6.1 items 4–5, §6.5, Kubernetes API
import { ipBlocksValid } from './ipBlocksValid.js'; // §6.1 item 5, §6.5, Kubernetes API
import { groupIpBlocksNotMixed } from './groupIpBlocksNotMixed.js'; // §6.5
import { childGroupNotSelf } from './childGroupNotSelf.js'; // §6.5
import { childGroupsOneLevel } from './childGroupsOneLevel.js'; // §6.5
import { childGroupsExist } from './childGroupsExist.js'; // §6.5 (warning)
import { policyTierExists } from './policyTierExists.js'; // §6.1 item 1
import { passNotInBaselineTier } from './passNotInBaselineTier.js'; // §6.1 item 2
import { ruleNamesUnique } from './ruleNamesUnique.js'; // §6.1 item 3
import { appliedToInSpecOrRules } from './appliedToInSpecOrRules.js'; // §6.1 item 4
import { appliedToExclusive } from './appliedToExclusive.js'; // §6.1 item 4
import { appliedToServicesIngressOnly } from './appliedToServicesIngressOnly.js'; // §6.1 item 4
import { peerNamespacesValid } from './peerNamespacesValid.js'; // §6.1 item 5
import { peerExclusive } from './peerExclusive.js'; // §6.1 item 5
import { toServicesAlone } from './toServicesAlone.js'; // §6.1 item 5
import { serviceAppliedToIpBlockPeers } from './serviceAppliedToIpBlockPeers.js'; // §6.1 item 6
import { fqdnCharacters } from './fqdnCharacters.js'; // §6.1 item 7
import { multicastEgress } from './multicastEgress.js'; // §6.1 item 8
import { igmpProtocolValid } from './igmpProtocolValid.js'; // §6.1 item 9
import { l7ProtocolsValid } from './l7ProtocolsValid.js'; // §6.1 item 10
import { portRangesOrdered } from './portRangesOrdered.js'; // §6.1 item 11, Kubernetes API
import { portNumbersInRange } from './portNumbersInRange.js'; // Kubernetes API; dpc for Antrea
import { nodePolicyLogLabel } from './nodePolicyLogLabel.js'; // §6.1 item 12 (warning)
import { nodePolicyLimits } from './nodePolicyLimits.js'; // §6.1 documented Node limits (dpc)
import { groupReferencesExist } from './groupReferencesExist.js'; // dpc
import { k8sPeerShape } from './k8sPeerShape.js'; // Kubernetes API
import { k8sPortNamesValid } from './k8sPortNamesValid.js'; // Kubernetes API
import { ipRangeShape } from './ipRangeShape.js'; // §6.3 schema
import { ipPoolSubnetInfoValid } from './ipPoolSubnetInfoValid.js'; // §6.3 webhook 1
import { ipRangesValid } from './ipRangesValid.js'; // §6.3 webhook 2
import { ipRangesInSubnet } from './ipRangesInSubnet.js'; // §6.3 webhook 3
import { ipRangesDisjoint } from './ipRangesDisjoint.js'; // §6.3 webhook 4
import { ipRangesDisjointAcrossPools } from './ipRangesDisjointAcrossPools.js'; // §6.3 webhook 5
import { ipRangesImmutable } from './ipRangesImmutable.js'; // §6.3 webhook 6
import { egressIPSource } from './egressIPSource.js'; // §6.2 schema
import { egressIPFormat } from './egressIPFormat.js'; // §6.2 schema
import { egressIPsNotSupported } from './egressIPsNotSupported.js'; // §6.2 webhook 1
import { egressExternalIPPoolsNotSupported } from './egressExternalIPPoolsNotSupported.js'; // §6.2 webhook 2
import { egressBandwidthQuantity } from './egressBandwidthQuantity.js'; // §6.2 webhook 3
import { egressIPInPool } from './egressIPInPool.js'; // §6.2 webhook 4
import { appendAll } from '../../util/append.js';

export type { PolicyObjects, PolicyRule, RuleContext } from './context.js';
export { EMPTY_POLICY_OBJECTS } from './context.js';

/** Every rule, in the order it runs. */
export const POLICY_RULES: readonly PolicyRule[] = Object.freeze([
  policyObjectsUnique,
  unknownSpecFields,
  protocolEntriesSingle,
  crdFieldPlacement,
  // Tiers first: policies look them up.
  tierPriorityReserved,
  tierPriorityImmutable,
  tierPriorityUnique,
  tierCountLimit,
  tierDeletionUnreferenced,
  // Groups next: policies and other groups look them up.
  groupSelectorsExclusive,
  labelSelectorsValid,
  ipBlocksValid,
  groupIpBlocksNotMixed,
  childGroupNotSelf,
  childGroupsOneLevel,
  childGroupsExist,
  // Antrea policies, in the order of Antrea's validating webhook.
  policyTierExists,
  passNotInBaselineTier,
  ruleNamesUnique,
  appliedToInSpecOrRules,
  appliedToExclusive,
  appliedToServicesIngressOnly,
  peerNamespacesValid,
  peerExclusive,
  toServicesAlone,
  serviceAppliedToIpBlockPeers,
  fqdnCharacters,
  multicastEgress,
  igmpProtocolValid,
  l7ProtocolsValid,
  portRangesOrdered,
  portNumbersInRange,
  nodePolicyLogLabel,
  nodePolicyLimits,
  groupReferencesExist,
  // Kubernetes NetworkPolicies (selectors, ipBlocks and ports are checked above with the Antrea kinds).
  k8sPeerShape,
  k8sPortNamesValid,
  // ExternalIPPools before Egresses, which look them up; each in the order of Antrea's webhook.
  ipRangeShape,
  ipPoolSubnetInfoValid,
  ipRangesValid,
  ipRangesInSubnet,
  ipRangesDisjoint,
  ipRangesDisjointAcrossPools,
  ipRangesImmutable,
  egressIPSource,
  egressIPFormat,
  egressIPsNotSupported,
  egressExternalIPPoolsNotSupported,
  egressBandwidthQuantity,
  egressIPInPool,
]);

/** Identity of every object of the collections, by location. */
function identities(objects: PolicyObjects): Map<string, ObjectRef> {
  const out = new Map<string, ObjectRef>();
  const add = (list: readonly Located<{ metadata: { name: string; namespace?: string } }>[], kind: string, namespaced: boolean) => {
    for (const s of list) out.set(locKey(s.loc), refOf(kind, s.obj, namespaced));
  };
  add(objects.networkPolicies, 'NetworkPolicy', true);
  add(objects.antreaNetworkPolicies, 'NetworkPolicy', true);
  add(objects.clusterNetworkPolicies, 'ClusterNetworkPolicy', false);
  add(objects.tiers, 'Tier', false);
  add(objects.clusterGroups, 'ClusterGroup', false);
  add(objects.groups, 'Group', true);
  add(objects.egresses, 'Egress', false);
  add(objects.externalIPPools, 'ExternalIPPool', false);
  return out;
}

function sameRef(a: ObjectRef, b: ObjectRef | undefined): boolean {
  return !!b && a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '');
}

/**
 * The objects the diagnostics refuse, as location keys (see `locKey`): every object that an error names and points
 * into. An error about one object that points into another (a Tier whose deletion a policy blocks) refuses neither.
 */
export function refusedObjects(diagnostics: readonly Diagnostic[], objects: PolicyObjects): Set<string> {
  return refusedAmong(diagnostics, identities(objects));
}

function refusedAmong(diagnostics: readonly Diagnostic[], ids: ReadonlyMap<string, ObjectRef>): Set<string> {
  const out = new Set<string>();
  for (const d of diagnostics) {
    if (d.severity !== 'error' || !d.object || !d.at) continue;
    const key = locKey(d.at.loc);
    if (sameRef(d.object, ids.get(key))) out.add(key);
  }
  return out;
}

/** The collections without the refused objects. */
export function withoutRefused(objects: PolicyObjects, refused: ReadonlySet<string>): PolicyObjects {
  const keep = <T>(list: readonly Located<T>[]) => list.filter((s) => !refused.has(locKey(s.loc)));
  return {
    networkPolicies: keep(objects.networkPolicies),
    antreaNetworkPolicies: keep(objects.antreaNetworkPolicies),
    clusterNetworkPolicies: keep(objects.clusterNetworkPolicies),
    tiers: keep(objects.tiers),
    clusterGroups: keep(objects.clusterGroups),
    groups: keep(objects.groups),
    egresses: keep(objects.egresses),
    externalIPPools: keep(objects.externalIPPools),
  };
}

export interface PolicyValidation {
  diagnostics: Diagnostic[];
  /** Location keys of the refused objects. */
  refused: Set<string>;
  /** The objects that passed every rule. */
  accepted: PolicyObjects;
}

/**
 * Runs every rule over the snapshot's policy objects. `previous` is the snapshot this one replaces (already
 * validated); `featureGates` are the agent config's explicit gates.
 */
export function validatePolicies(
  objects: PolicyObjects,
  previous?: PolicyObjects,
  featureGates: Readonly<Record<string, boolean>> = {},
  rules: readonly PolicyRule[] = POLICY_RULES,
): PolicyValidation {
  const refused = new Set<string>();
  const ctx = createContext(objects, previous, featureGates, refused);
  const ids = identities(objects);
  const diagnostics: Diagnostic[] = [];
  for (const rule of rules) {
    const found = rule.check(ctx);
    appendAll(diagnostics, found);
    for (const key of refusedAmong(found, ids)) refused.add(key);
  }
  return { diagnostics, refused, accepted: withoutRefused(objects, refused) };
}
