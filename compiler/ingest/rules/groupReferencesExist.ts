/**
 * groupReferencesExist (warning): every `group` an ACNP names (in appliedTo or a peer) should be a ClusterGroup of the
 * snapshot, and every `group` an ANNP names a Group of its Namespace, that no earlier rule refused. Antrea admits
 * the reference and treats the group as empty until it appears (pkg/controller/networkpolicy/crd_utils.go
 * createAppliedToGroupForGroup: a group not in the internal group store yields nothing), so dpc compiles the
 * policy the same way and says so, naming the policy and the group: in a snapshot a missing group is often a
 * mistake, and an empty appliedTo or peer silently changes what the rule does (docs/reference/iptables-egress.md
 * §6.1/§6.5 context).
 */
import type { Diagnostic, FieldPath } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { antreaRules, appliedToLists, rulePeers } from './walk.js';

export const groupReferencesExist: PolicyRule = {
  name: 'groupReferencesExist',
  reference: 'dpc (§6.1, §6.5; warning)',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const view of ctx.antreaPolicies) {
      const refs: { name: string; path: FieldPath }[] = [];
      for (const list of appliedToLists(view)) {
        list.entries.forEach((e, i) => {
          if (e.group) refs.push({ name: e.group, path: [...list.path, i, 'group'] });
        });
      }
      for (const site of antreaRules(view)) {
        for (const { peer, path } of rulePeers(site)) if (peer.group) refs.push({ name: peer.group, path: [...path, 'group'] });
      }
      for (const { name, path } of refs) {
        const found =
          view.kind === 'ClusterNetworkPolicy' ? ctx.clusterGroupsNamed(name) : ctx.groupsNamed(view.namespace!, name);
        if (found.some((g) => !ctx.isRefused(g.loc))) continue;
        const kind = view.kind === 'ClusterNetworkPolicy' ? 'ClusterGroup' : 'Group';
        out.push(report(view.src, view.ref, path, Msg.groupNotFound(kind, name, view.namespace, found.length > 0), { severity: 'warning' }));
      }
    }
    return out;
  },
};
