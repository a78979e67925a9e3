/**
 * policyObjectsUnique (dpc): one policy-related (or Egress) object per kind, Namespace and name. Kubernetes cannot hold two
 * objects with one name, so a snapshot that does is ambiguous; every copy is refused, each pointing at the others.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { refOf, report, type PolicyRule } from './context.js';
import { compareSubjects, type Subject } from './walk.js';

export const policyObjectsUnique: PolicyRule = {
  name: 'policyObjectsUnique',
  reference: 'dpc',
  check(ctx) {
    const o = ctx.objects;
    const subjects: (Subject & { group: string })[] = [
      ...o.networkPolicies.map((src) => ({ src, ref: refOf('NetworkPolicy', src.obj, true), group: 'networking.k8s.io' })),
      ...o.antreaNetworkPolicies.map((src) => ({ src, ref: refOf('NetworkPolicy', src.obj, true), group: 'crd.antrea.io' })),
      ...o.clusterNetworkPolicies.map((src) => ({ src, ref: refOf('ClusterNetworkPolicy', src.obj, false), group: '' })),
      ...o.tiers.map((src) => ({ src, ref: refOf('Tier', src.obj, false), group: '' })),
      ...o.clusterGroups.map((src) => ({ src, ref: refOf('ClusterGroup', src.obj, false), group: '' })),
      ...o.groups.map((src) => ({ src, ref: refOf('Group', src.obj, true), group: '' })),
      ...o.egresses.map((src) => ({ src, ref: refOf('Egress', src.obj, false), group: '' })),
      ...o.externalIPPools.map((src) => ({ src, ref: refOf('ExternalIPPool', src.obj, false), group: '' })),
    ];
    const byKey = new Map<string, Subject[]>();
    for (const s of subjects) {
      const key = `${s.group}\0${s.ref.kind}\0${s.ref.namespace ?? ''}\0${s.ref.name ?? ''}`;
      const list = byKey.get(key);
      if (list) list.push(s);
      else byKey.set(key, [s]);
    }
    const out: Diagnostic[] = [];
    for (const list of byKey.values()) {
      if (list.length < 2) continue;
      list.sort(compareSubjects);
      for (const s of list) {
        const related = list.filter((x) => x !== s).map((x) => ({ at: { loc: x.src.loc }, message: 'another definition is here' }));
        out.push(report(s.src, s.ref, [], Msg.duplicatePolicyObject(), { related }));
      }
    }
    return out;
  },
};
