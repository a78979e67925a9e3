/**
 * groupReferencesExist: every `group` an ACNP names (in appliedTo or a peer) is a ClusterGroup of the snapshot, and
 * every `group` an ANNP names is a Group of its Namespace, that no earlier rule refused. Antrea would accept the
 * reference and treat the group as empty until it appears; dpc compiles one snapshot, where a missing group is
 * almost always a mistake that would silently change what a rule selects (dpc, docs/reference/iptables-egress.md §6.1/§6.5 context).
 */
import type { Diagnostic, FieldPath } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { antreaRules, appliedToLists, rulePeers } from './walk.js';

export const groupReferencesExist: PolicyRule = {
  name: 'groupReferencesExist',
  reference: 'dpc (§6.1, §6.5)',
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
        out.push(report(view.src, view.ref, path, Msg.groupNotFound(kind, name, view.namespace, found.length > 0)));
      }
    }
    return out;
  },
};
