/**
 * tierDeletionUnreferenced (update): a Tier the previous snapshot held cannot disappear while an ACNP or ANNP of
 * this snapshot still names it (docs/reference/iptables-egress.md §6.4, Delete). The error names the Tier and points at the first policy
 * that uses it; those policies are refused separately by policyTierExists, since their Tier is gone.
 * System Tiers always exist in dpc's view, so the rule that they cannot be deleted has nothing to catch.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { type AntreaPolicyView, type PolicyRule } from './context.js';
import { compareSubjects } from './walk.js';
import { effectiveTierName, isSystemTier } from '../../../schemas/tiers.js';

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export const tierDeletionUnreferenced: PolicyRule = {
  name: 'tierDeletionUnreferenced',
  reference: '§6.4 (delete)',
  check(ctx) {
    const out: Diagnostic[] = [];
    if (!ctx.previous) return out;
    const users = new Map<string, AntreaPolicyView[]>();
    for (const view of ctx.antreaPolicies) {
      const name = effectiveTierName(view.src.obj.spec.tier);
      const list = users.get(name);
      if (list) list.push(view);
      else users.set(name, [view]);
    }
    const gone = new Set<string>();
    for (const t of ctx.previous.tiers) {
      const name = t.obj.metadata.name;
      if (!isSystemTier(name) && ctx.tiersNamed(name).length === 0) gone.add(name);
    }
    for (const name of [...gone].sort()) {
      const list = (users.get(name) ?? []).sort(compareSubjects);
      const first = list[0];
      if (!first) continue;
      const acnps = list.filter((v) => v.kind === 'ClusterNetworkPolicy').length;
      const annps = list.length - acnps;
      const parts: string[] = [];
      if (acnps > 0) parts.push(plural(acnps, 'ClusterNetworkPolicy', 'ClusterNetworkPolicies'));
      if (annps > 0) parts.push(plural(annps, 'Antrea NetworkPolicy', 'Antrea NetworkPolicies'));
      out.push({
        severity: 'error',
        ...Msg.tierStillReferenced(name, parts.join(' and ')),
        object: { kind: 'Tier', name },
        at: { loc: first.src.loc, field: ['spec', 'tier'] },
        related: list.map((v) => ({
          at: { loc: v.src.loc, field: ['spec', 'tier'] },
          message: `${v.kind} ${v.namespace ? `${v.namespace}/` : ''}${v.src.obj.metadata.name} uses Tier ${name} here`,
        })),
      });
    }
    return out;
  },
};
