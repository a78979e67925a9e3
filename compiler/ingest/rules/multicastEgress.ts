/**
 * multicastEgress: an egress rule toward a multicast ipBlock cannot Pass or Reject, cannot also target unicast
 * ipBlocks, and its multicast peers select nothing besides the ipBlock (docs/reference/iptables-egress.md §6.1 item 8). Whether the
 * CIDR parses is ipBlocksValid's business.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { cidrAddress, isMulticast } from './syntax.js';
import { antreaRules, fieldsSet, rulePeers } from './walk.js';

const SELECTORS = ['podSelector', 'namespaceSelector', 'namespaces', 'externalEntitySelector', 'serviceAccount', 'nodeSelector'];

export const multicastEgress: PolicyRule = {
  name: 'multicastEgress',
  reference: '§6.1 item 8',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const view of ctx.antreaPolicies) {
      for (const site of antreaRules(view)) {
        if (site.direction !== 'egress') continue;
        let multicast = false;
        let unicast = false;
        let selectors = false;
        for (const { peer } of rulePeers(site)) {
          if (!peer.ipBlock) continue;
          const ip = cidrAddress(peer.ipBlock.cidr);
          if (!ip) continue;
          if (isMulticast(ip)) multicast = true;
          else unicast = true;
          if (fieldsSet(peer, SELECTORS).length > 0) selectors = true;
        }
        if (!multicast) continue;
        const action = site.rule.action;
        if (action === 'Pass' || action === 'Reject') out.push(report(view.src, view.ref, [...site.path, 'action'], Msg.multicastAction(action)));
        if (unicast) out.push(report(view.src, view.ref, [...site.path, 'to'], Msg.multicastWithUnicast()));
        if (selectors) out.push(report(view.src, view.ref, [...site.path, 'to'], Msg.multicastWithSelectors()));
      }
    }
    return out;
  },
};
