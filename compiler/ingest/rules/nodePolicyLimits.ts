/**
 * nodePolicyLimits (dpc's decision on limits Antrea documents but does not check; docs/reference/iptables-egress.md §6.1, after item 12):
 * a ClusterNetworkPolicy applied to Nodes (a nodeSelector, or a ClusterGroup selecting Nodes, in any appliedTo)
 * applies to Nodes only, and uses nothing iptables on the Node cannot enforce as written: FQDN peers, l7Protocols,
 * toServices, Namespace-relative peers (`namespaces`: a Node has no Namespace), named ports (Antrea would hand the
 * name to iptables, which resolves it from the Node's /etc/services) and IGMP (Antrea's rule would match every
 * protocol). That only ACNPs target Nodes is crdFieldPlacement's business.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule, type RuleContext } from './context.js';
import { antreaRules, appliedToLists, appliesToNodes, isNodePolicy, rulePeers, toServicesOf } from './walk.js';

export const groupSelectsNodes = (ctx: RuleContext) => (name: string): boolean =>
  ctx.clusterGroupsNamed(name).some((g) => g.obj.spec?.nodeSelector !== undefined && g.obj.spec?.nodeSelector !== null);

export const nodePolicyLimits: PolicyRule = {
  name: 'nodePolicyLimits',
  reference: '§6.1 (documented Node limits; dpc)',
  check(ctx) {
    const out: Diagnostic[] = [];
    const selectsNodes = groupSelectsNodes(ctx);
    for (const view of ctx.antreaPolicies) {
      if (!isNodePolicy(view, selectsNodes)) continue;
      const bad = (path: readonly (string | number)[], what: string) => out.push(report(view.src, view.ref, path, Msg.nodePolicyUnsupported(what)));
      for (const site of appliedToLists(view)) {
        site.entries.forEach((a, i) => {
          if (!appliesToNodes(a, selectsNodes)) out.push(report(view.src, view.ref, [...site.path, i], Msg.nodeAppliedToMixed()));
        });
      }
      for (const site of antreaRules(view)) {
        for (const { peer, path } of rulePeers(site)) {
          if (peer.fqdn) bad([...path, 'fqdn'], 'fqdn');
          if (peer.namespaces) bad([...path, 'namespaces'], 'a namespaces peer');
        }
        if ((site.rule.l7Protocols ?? []).length > 0) bad([...site.path, 'l7Protocols'], 'l7Protocols');
        if (toServicesOf(site) !== undefined) bad([...site.path, 'toServices'], 'toServices');
        (site.rule.ports ?? []).forEach((p, i) => {
          if (typeof p.port === 'string') bad([...site.path, 'ports', i, 'port'], 'a named port');
        });
        (site.rule.protocols ?? []).forEach((p, i) => {
          if (p.igmp) bad([...site.path, 'protocols', i, 'igmp'], 'igmp');
        });
      }
    }
    return out;
  },
};
