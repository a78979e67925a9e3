/** Ways through the policy objects that several rules share: rules, appliedTo entries, peers, selectors, ipBlocks. */
import type { FieldPath, ObjectRef } from '../../diagnostics/diagnostic.js';
import type { IPBlock, LabelSelector } from '../../../schemas/networkPolicy.js';
import type { AntreaEgressRule, AntreaIngressRule, AntreaRule, AppliedTo, GroupSpec, Peer } from '../../../schemas/antreaPolicy.js';
import { refOf, type AntreaPolicyView, type Located, type PolicyObjects } from './context.js';

/** Which rule list of a policy spec a rule sits in (its JSON key). */
export type RuleList = 'ingress' | 'egress';

export interface RuleSite {
  rule: AntreaRule;
  direction: RuleList;
  index: number;
  path: FieldPath;
}

export function antreaRules(view: AntreaPolicyView): RuleSite[] {
  const spec = view.src.obj.spec;
  const out: RuleSite[] = [];
  (spec.ingress ?? []).forEach((rule, index) => out.push({ rule, direction: 'ingress', index, path: ['spec', 'ingress', index] }));
  (spec.egress ?? []).forEach((rule, index) => out.push({ rule, direction: 'egress', index, path: ['spec', 'egress', index] }));
  return out;
}

/** The peers of a rule: `from` for ingress, `to` for egress. */
export function rulePeers(site: RuleSite): { peer: Peer; path: FieldPath }[] {
  const list =
    site.direction === 'ingress' ? (site.rule as AntreaIngressRule).from : (site.rule as AntreaEgressRule).to;
  const key = site.direction === 'ingress' ? 'from' : 'to';
  return (list ?? []).map((peer, i) => ({ peer, path: [...site.path, key, i] }));
}

export function toServicesOf(site: RuleSite): AntreaEgressRule['toServices'] {
  return site.direction === 'egress' ? (site.rule as AntreaEgressRule).toServices : undefined;
}

export type AppliedToScope = 'policy' | RuleList;

export interface AppliedToSite {
  entries: readonly AppliedTo[];
  path: FieldPath;
  scope: AppliedToScope;
}

/** spec.appliedTo, then every rule's appliedTo (only the lists that are present). */
export function appliedToLists(view: AntreaPolicyView): AppliedToSite[] {
  const out: AppliedToSite[] = [];
  const spec = view.src.obj.spec;
  if (spec.appliedTo) out.push({ entries: spec.appliedTo, path: ['spec', 'appliedTo'], scope: 'policy' });
  for (const site of antreaRules(view)) {
    if (site.rule.appliedTo) out.push({ entries: site.rule.appliedTo, path: [...site.path, 'appliedTo'], scope: site.direction });
  }
  return out;
}

/**
 * The fields of a struct that Go would see as set after decoding: present and not null, strings non-empty.
 * (An empty list `[]` still counts, as a non-nil slice does.) Unknown fields are not counted.
 */
export function fieldsSet(value: object, known: readonly string[]): string[] {
  const v = value as Record<string, unknown>;
  return known.filter((k) => v[k] !== undefined && v[k] !== null && v[k] !== '');
}

export const APPLIED_TO_FIELDS = [
  'podSelector',
  'namespaceSelector',
  'externalEntitySelector',
  'group',
  'serviceAccount',
  'service',
  'nodeSelector',
] as const;

export const PEER_FIELDS = [
  'ipBlock',
  'podSelector',
  'namespaceSelector',
  'namespaces',
  'externalEntitySelector',
  'group',
  'fqdn',
  'serviceAccount',
  'nodeSelector',
  'scope',
] as const;

export const GROUP_SPEC_FIELDS = [
  'podSelector',
  'namespaceSelector',
  'nodeSelector',
  'externalEntitySelector',
  'ipBlocks',
  'ipBlock',
  'serviceReference',
  'childGroups',
] as const;

/** Any object the rules report on, with its identity. */
export interface Subject {
  src: Located<unknown>;
  ref: ObjectRef;
}

export interface SelectorSite extends Subject {
  selector: LabelSelector;
  path: FieldPath;
}

function selectorsOfObject(obj: Record<string, unknown>, path: FieldPath, names: readonly string[], out: (s: LabelSelector, p: FieldPath) => void) {
  for (const n of names) {
    const s = obj[n];
    if (s && typeof s === 'object') out(s as LabelSelector, [...path, n]);
  }
}

const SELECTOR_NAMES = ['podSelector', 'namespaceSelector', 'externalEntitySelector', 'nodeSelector'];

/** Every label selector of every policy-related object, with its path. */
export function allSelectors(objects: PolicyObjects, antrea: readonly AntreaPolicyView[]): SelectorSite[] {
  const out: SelectorSite[] = [];
  for (const src of objects.networkPolicies) {
    const ref = refOf('NetworkPolicy', src.obj, true);
    const push = (selector: LabelSelector, path: FieldPath) => out.push({ src, ref, selector, path });
    const spec = src.obj.spec;
    if (spec.podSelector) push(spec.podSelector, ['spec', 'podSelector']);
    (spec.ingress ?? []).forEach((r, i) =>
      (r.from ?? []).forEach((p, j) => selectorsOfObject(p, ['spec', 'ingress', i, 'from', j], SELECTOR_NAMES, push)),
    );
    (spec.egress ?? []).forEach((r, i) =>
      (r.to ?? []).forEach((p, j) => selectorsOfObject(p, ['spec', 'egress', i, 'to', j], SELECTOR_NAMES, push)),
    );
  }
  for (const view of antrea) {
    const push = (selector: LabelSelector, path: FieldPath) => out.push({ src: view.src, ref: view.ref, selector, path });
    for (const list of appliedToLists(view)) {
      list.entries.forEach((e, i) => selectorsOfObject(e, [...list.path, i], SELECTOR_NAMES, push));
    }
    for (const site of antreaRules(view)) {
      for (const { peer, path } of rulePeers(site)) selectorsOfObject(peer, path, SELECTOR_NAMES, push);
    }
  }
  for (const g of groupViews(objects)) {
    if (!g.spec) continue;
    selectorsOfObject(g.spec, ['spec'], SELECTOR_NAMES, (selector, path) => out.push({ src: g.src, ref: g.ref, selector, path }));
  }
  for (const src of objects.egresses) {
    const ref = refOf('Egress', src.obj, false);
    selectorsOfObject(src.obj.spec.appliedTo, ['spec', 'appliedTo'], SELECTOR_NAMES, (selector, path) => out.push({ src, ref, selector, path }));
  }
  for (const src of objects.externalIPPools) {
    out.push({ src, ref: refOf('ExternalIPPool', src.obj, false), selector: src.obj.spec.nodeSelector, path: ['spec', 'nodeSelector'] });
  }
  return out;
}

export interface IPBlockSite extends Subject {
  block: IPBlock;
  path: FieldPath;
}

/** Every ipBlock of every policy-related object. */
export function allIPBlocks(objects: PolicyObjects, antrea: readonly AntreaPolicyView[]): IPBlockSite[] {
  const out: IPBlockSite[] = [];
  for (const src of objects.networkPolicies) {
    const ref = refOf('NetworkPolicy', src.obj, true);
    const spec = src.obj.spec;
    (spec.ingress ?? []).forEach((r, i) =>
      (r.from ?? []).forEach((p, j) => {
        if (p.ipBlock) out.push({ src, ref, block: p.ipBlock, path: ['spec', 'ingress', i, 'from', j, 'ipBlock'] });
      }),
    );
    (spec.egress ?? []).forEach((r, i) =>
      (r.to ?? []).forEach((p, j) => {
        if (p.ipBlock) out.push({ src, ref, block: p.ipBlock, path: ['spec', 'egress', i, 'to', j, 'ipBlock'] });
      }),
    );
  }
  for (const view of antrea) {
    for (const site of antreaRules(view)) {
      for (const { peer, path } of rulePeers(site)) {
        if (peer.ipBlock) out.push({ src: view.src, ref: view.ref, block: peer.ipBlock, path: [...path, 'ipBlock'] });
      }
    }
  }
  for (const g of groupViews(objects)) {
    for (const { block, path } of groupIPBlocks(g.spec)) out.push({ src: g.src, ref: g.ref, block, path });
  }
  return out;
}

export function groupIPBlocks(spec: GroupSpec | undefined): { block: IPBlock; path: FieldPath }[] {
  const out: { block: IPBlock; path: FieldPath }[] = [];
  if (!spec) return out;
  (spec.ipBlocks ?? []).forEach((block, i) => out.push({ block, path: ['spec', 'ipBlocks', i] }));
  if (spec.ipBlock) out.push({ block: spec.ipBlock, path: ['spec', 'ipBlock'] });
  return out;
}

export type GroupKind = 'ClusterGroup' | 'Group';

export interface GroupView extends Subject {
  kind: GroupKind;
  name: string;
  /** The Group's Namespace; undefined for a ClusterGroup. */
  namespace?: string;
  spec: GroupSpec | undefined;
}

export function groupViews(objects: PolicyObjects): GroupView[] {
  return [
    ...objects.clusterGroups.map(
      (src): GroupView => ({
        kind: 'ClusterGroup',
        src,
        ref: refOf('ClusterGroup', src.obj, false),
        name: src.obj.metadata.name,
        spec: src.obj.spec,
      }),
    ),
    ...objects.groups.map((src): GroupView => {
      const ref = refOf('Group', src.obj, true);
      return { kind: 'Group', src, ref, name: src.obj.metadata.name, namespace: ref.namespace!, spec: src.obj.spec };
    }),
  ];
}

/** Stable order for choosing among objects: by kind, namespace, name, then input position. */
export function compareSubjects(a: Subject, b: Subject): number {
  const ka = `${a.ref.kind}\0${a.ref.namespace ?? ''}\0${a.ref.name ?? ''}`;
  const kb = `${b.ref.kind}\0${b.ref.namespace ?? ''}\0${b.ref.name ?? ''}`;
  if (ka !== kb) return ka < kb ? -1 : 1;
  const la = `${a.src.loc.file}\0${a.src.loc.doc}\0${a.src.loc.path.join('/')}`;
  const lb = `${b.src.loc.file}\0${b.src.loc.doc}\0${b.src.loc.path.join('/')}`;
  return la < lb ? -1 : la > lb ? 1 : 0;
}

/**
 * Whether an appliedTo entry picks Nodes: a nodeSelector, or a ClusterGroup that selects Nodes. `groupSelectsNodes`
 * answers for a ClusterGroup name (false for an unknown one, which groupReferencesExist reports).
 */
export function appliesToNodes(entry: AppliedTo, groupSelectsNodes: (name: string) => boolean): boolean {
  return entry.nodeSelector !== undefined || (entry.group !== undefined && groupSelectsNodes(entry.group));
}

/** A ClusterNetworkPolicy is a Node policy when any of its appliedTo entries, policy or rule level, picks Nodes. */
export function isNodePolicy(view: AntreaPolicyView, groupSelectsNodes: (name: string) => boolean): boolean {
  return view.kind === 'ClusterNetworkPolicy' && specAppliesToNodes(view.src.obj.spec, groupSelectsNodes);
}

export function specAppliesToNodes(
  spec: { appliedTo?: readonly AppliedTo[]; ingress?: readonly AntreaRule[]; egress?: readonly AntreaRule[] },
  groupSelectsNodes: (name: string) => boolean,
): boolean {
  const lists = [spec.appliedTo ?? [], ...[...(spec.ingress ?? []), ...(spec.egress ?? [])].map((r) => r.appliedTo ?? [])];
  return lists.some((l) => l.some((e) => appliesToNodes(e, groupSelectsNodes)));
}
