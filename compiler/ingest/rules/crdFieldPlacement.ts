/**
 * crdFieldPlacement: a field may appear only where the kind's CRD schema has it. Kubernetes would silently prune a
 * field from any other place, changing what the policy selects, so dpc refuses it instead. Covers the schema
 * notes of docs/reference/iptables-egress.md §6.1: nodeSelector only in an ACNP's spec.appliedTo and in peers (never in a rule's appliedTo,
 * never in an ANNP's appliedTo); ANNPs have no namespaces / serviceAccount peers and no namespaceSelector /
 * serviceAccount / service appliedTo; an ACNP's toServices entries need a namespace; ingress rules have no `to`
 * or `toServices`, egress rules no `from`.
 */
import type { Diagnostic, FieldPath } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type AntreaPolicyKind, type AntreaPolicyView, type PolicyRule } from './context.js';
import { antreaRules, rulePeers, toServicesOf, type AppliedToScope } from './walk.js';

type Place = 'appliedTo' | 'peer';

/** Fields the superset schema knows that the given kind's CRD lacks at a place. */
const ABSENT: Record<AntreaPolicyKind, Record<Place, Record<AppliedToScope, readonly string[]>>> = {
  ClusterNetworkPolicy: {
    appliedTo: {
      policy: ['externalEntitySelector'],
      ingress: ['externalEntitySelector', 'nodeSelector'],
      // `service` in an egress rule's appliedTo is reported by appliedToServicesIngressOnly.
      egress: ['externalEntitySelector', 'nodeSelector'],
    },
    peer: { policy: [], ingress: ['externalEntitySelector', 'fqdn'], egress: ['externalEntitySelector', 'scope'] },
  },
  NetworkPolicy: {
    appliedTo: {
      policy: ['namespaceSelector', 'serviceAccount', 'service', 'nodeSelector'],
      ingress: ['namespaceSelector', 'externalEntitySelector', 'serviceAccount', 'service', 'nodeSelector'],
      egress: ['namespaceSelector', 'externalEntitySelector', 'serviceAccount', 'service', 'nodeSelector'],
    },
    peer: { policy: [], ingress: ['namespaces', 'serviceAccount', 'fqdn'], egress: ['namespaces', 'serviceAccount', 'scope'] },
  },
};

const KIND_TEXT: Record<AntreaPolicyKind, string> = {
  ClusterNetworkPolicy: 'a ClusterNetworkPolicy',
  NetworkPolicy: 'an Antrea NetworkPolicy',
};

function where(kind: AntreaPolicyKind, place: Place, scope: AppliedToScope): string {
  if (place === 'appliedTo') {
    return scope === 'policy' ? `spec.appliedTo of ${KIND_TEXT[kind]}` : `the appliedTo of an ${scope} rule of ${KIND_TEXT[kind]}`;
  }
  return `a peer of an ${scope} rule of ${KIND_TEXT[kind]}`;
}

function checkFields(
  view: AntreaPolicyView,
  value: object,
  path: FieldPath,
  place: Place,
  scope: AppliedToScope,
  out: Diagnostic[],
): void {
  const v = value as Record<string, unknown>;
  for (const f of ABSENT[view.kind][place][scope]) {
    if (v[f] !== undefined && v[f] !== null) {
      out.push(report(view.src, view.ref, [...path, f], Msg.fieldNotAllowedHere(f, where(view.kind, place, scope))));
    }
  }
}

export const crdFieldPlacement: PolicyRule = {
  name: 'crdFieldPlacement',
  reference: '§6.1 (schema)',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const view of ctx.antreaPolicies) {
      (view.src.obj.spec.appliedTo ?? []).forEach((e, i) => checkFields(view, e, ['spec', 'appliedTo', i], 'appliedTo', 'policy', out));
      for (const site of antreaRules(view)) {
        (site.rule.appliedTo ?? []).forEach((e, i) =>
          checkFields(view, e, [...site.path, 'appliedTo', i], 'appliedTo', site.direction, out),
        );
        for (const { peer, path } of rulePeers(site)) checkFields(view, peer, path, 'peer', site.direction, out);
        const raw = site.rule as Record<string, unknown>;
        const foreign = site.direction === 'ingress' ? ['to', 'toServices'] : ['from'];
        for (const f of foreign) {
          if (raw[f] !== undefined && raw[f] !== null) {
            out.push(report(view.src, view.ref, [...site.path, f], Msg.fieldNotAllowedHere(f, `an ${site.direction} rule`)));
          }
        }
        if (view.kind === 'ClusterNetworkPolicy') {
          (toServicesOf(site) ?? []).forEach((s, i) => {
            if (s.namespace === undefined) {
              out.push(
                report(view.src, view.ref, [...site.path, 'toServices', i, 'namespace'], Msg.fieldRequiredHere('namespace', 'the toServices of a ClusterNetworkPolicy')),
              );
            }
          });
        }
      }
    }
    return out;
  },
};
