/**
 * What every policy admission rule sees: the schema-valid policy objects of the snapshot (and of the previous
 * snapshot, for the rules Antrea applies on update), the agent's feature gates, and which objects earlier rules
 * already refused. Rules read only through this context, return diagnostics, and never throw.
 */
import type { Diagnostic, FieldPath, Located, ObjectLocation, ObjectRef, Severity } from '../../diagnostics/diagnostic.js';
export type { Located } from '../../diagnostics/diagnostic.js';
import { fieldPathText } from '../../diagnostics/diagnostic.js';
import type { MessageText } from '../../diagnostics/messages.js';
import type { NetworkPolicyObject } from '../../../schemas/networkPolicy.js';
import type {
  AntreaNetworkPolicyObject,
  ClusterGroupObject,
  ClusterNetworkPolicyObject,
  GroupObject,
  TierObject,
} from '../../../schemas/antreaPolicy.js';
import type { EgressObject, ExternalIPPoolObject } from '../../../schemas/egress.js';


/** Every policy-related collection of a snapshot. */
export interface PolicyObjects {
  networkPolicies: readonly Located<NetworkPolicyObject>[];
  antreaNetworkPolicies: readonly Located<AntreaNetworkPolicyObject>[];
  clusterNetworkPolicies: readonly Located<ClusterNetworkPolicyObject>[];
  tiers: readonly Located<TierObject>[];
  clusterGroups: readonly Located<ClusterGroupObject>[];
  groups: readonly Located<GroupObject>[];
  egresses: readonly Located<EgressObject>[];
  externalIPPools: readonly Located<ExternalIPPoolObject>[];
}

/** Fresh, empty collections of every policy kind: the one list of them that ingest and the rules share. */
export function emptyPolicyObjects(): { [K in keyof PolicyObjects]: PolicyObjects[K][number][] } {
  return {
    networkPolicies: [],
    antreaNetworkPolicies: [],
    clusterNetworkPolicies: [],
    tiers: [],
    clusterGroups: [],
    groups: [],
    egresses: [],
    externalIPPools: [],
  };
}

export const EMPTY_POLICY_OBJECTS: PolicyObjects = emptyPolicyObjects();

export type AntreaPolicyKind = 'ClusterNetworkPolicy' | 'NetworkPolicy';

/** An ACNP or ANNP, seen the same way: most admission rules apply to both. */
export interface AntreaPolicyView {
  kind: AntreaPolicyKind;
  src: Located<ClusterNetworkPolicyObject | AntreaNetworkPolicyObject>;
  ref: ObjectRef;
  /** The ANNP's Namespace; undefined for an ACNP. */
  namespace?: string;
}

export function locKey(loc: ObjectLocation): string {
  return `${loc.file}\0${loc.doc}\0${loc.path.join('\0')}`;
}

/** The Namespace of a namespaced object, defaulted as kubectl does. */
export function namespaceOf(obj: { metadata: { namespace?: string } }): string {
  return obj.metadata.namespace ?? 'default';
}

export interface RuleContext {
  readonly objects: PolicyObjects;
  /** The snapshot this one replaces, when given (update rules compare against it). */
  readonly previous?: PolicyObjects;
  /** Feature gates set explicitly in the agent config. */
  readonly featureGates: Readonly<Record<string, boolean>>;
  /** Both Antrea policy kinds, ACNPs first. */
  readonly antreaPolicies: readonly AntreaPolicyView[];
  /** True when an earlier rule of the registry refused the object. */
  isRefused(loc: ObjectLocation): boolean;
  /** Current objects by name (Groups by `namespace/name`); copies of one name are all listed. */
  tiersNamed(name: string): readonly Located<TierObject>[];
  clusterGroupsNamed(name: string): readonly Located<ClusterGroupObject>[];
  groupsNamed(namespace: string, name: string): readonly Located<GroupObject>[];
  previousTier(name: string): Located<TierObject> | undefined;
  externalIPPoolsNamed(name: string): readonly Located<ExternalIPPoolObject>[];
  previousExternalIPPool(name: string): Located<ExternalIPPoolObject> | undefined;
  previousEgress(name: string): Located<EgressObject> | undefined;
}

function index<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = out.get(k);
    if (list) list.push(it);
    else out.set(k, [it]);
  }
  return out;
}

export function antreaPolicyViews(objects: PolicyObjects): AntreaPolicyView[] {
  return [
    ...objects.clusterNetworkPolicies.map(
      (src): AntreaPolicyView => ({ kind: 'ClusterNetworkPolicy', src, ref: { kind: 'ClusterNetworkPolicy', name: src.obj.metadata.name } }),
    ),
    ...objects.antreaNetworkPolicies.map((src): AntreaPolicyView => {
      const namespace = namespaceOf(src.obj);
      return { kind: 'NetworkPolicy', src, namespace, ref: { kind: 'NetworkPolicy', namespace, name: src.obj.metadata.name } };
    }),
  ];
}

/** A context whose refused set the runner grows between rules. */
export function createContext(
  objects: PolicyObjects,
  previous: PolicyObjects | undefined,
  featureGates: Readonly<Record<string, boolean>>,
  refused: ReadonlySet<string>,
): RuleContext {
  const tiers = index(objects.tiers, (t) => t.obj.metadata.name);
  const cgs = index(objects.clusterGroups, (g) => g.obj.metadata.name);
  const groups = index(objects.groups, (g) => `${namespaceOf(g.obj)}/${g.obj.metadata.name}`);
  const prevTiers = new Map((previous?.tiers ?? []).map((t) => [t.obj.metadata.name, t]));
  const pools = index(objects.externalIPPools, (p) => p.obj.metadata.name);
  const prevPools = new Map((previous?.externalIPPools ?? []).map((p) => [p.obj.metadata.name, p]));
  const prevEgresses = new Map((previous?.egresses ?? []).map((e) => [e.obj.metadata.name, e]));
  const ctx: RuleContext = {
    objects,
    featureGates,
    antreaPolicies: antreaPolicyViews(objects),
    isRefused: (loc) => refused.has(locKey(loc)),
    tiersNamed: (name) => tiers.get(name) ?? [],
    clusterGroupsNamed: (name) => cgs.get(name) ?? [],
    groupsNamed: (namespace, name) => groups.get(`${namespace}/${name}`) ?? [],
    previousTier: (name) => prevTiers.get(name),
    externalIPPoolsNamed: (name) => pools.get(name) ?? [],
    previousExternalIPPool: (name) => prevPools.get(name),
    previousEgress: (name) => prevEgresses.get(name),
  };
  if (previous) (ctx as { previous?: PolicyObjects }).previous = previous;
  return ctx;
}

/** Builds one diagnostic about `src`, pointing at `field` inside it. */
export function report(
  src: Located<unknown>,
  object: ObjectRef,
  field: FieldPath,
  msg: MessageText,
  extra: { severity?: Severity; related?: Diagnostic['related'] } = {},
): Diagnostic {
  const d: Diagnostic = {
    severity: extra.severity ?? 'error',
    ...msg,
    object,
    at: { loc: src.loc, field: [...field] },
  };
  if (field.length > 0) d.field = fieldPathText(field);
  if (extra.related && extra.related.length > 0) d.related = extra.related;
  return d;
}

export function refOf(kind: string, obj: { metadata: { name: string; namespace?: string } }, namespaced: boolean): ObjectRef {
  return namespaced ? { kind, namespace: namespaceOf(obj), name: obj.metadata.name } : { kind, name: obj.metadata.name };
}

/** A rule of the registry: named for what it asserts, citing the Antrea rule it mirrors. */
export interface PolicyRule {
  /** The module's name, e.g. `tierPriorityUnique`. */
  readonly name: string;
  /** Where the rule comes from: a section of docs/reference/iptables-egress.md, or `dpc` for dpc's own. */
  readonly reference: string;
  check(ctx: RuleContext): Diagnostic[];
}
