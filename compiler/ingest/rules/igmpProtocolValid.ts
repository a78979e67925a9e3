/**
 * igmpProtocolValid: an IGMP protocol entry names a multicast groupAddress (when it names one), its rule neither
 * Passes nor Rejects, and the rule matches nothing else — no ports, toServices, from/to peers or ICMP
 * (docs/reference/iptables-egress.md §6.1 item 9; the CRD's ipv4/ipv6 format for groupAddress).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { parseIP } from '../../net/ip.js';
import { report, type PolicyRule } from './context.js';
import { isMulticast } from './syntax.js';
import { antreaRules, rulePeers, toServicesOf } from './walk.js';

export const igmpProtocolValid: PolicyRule = {
  name: 'igmpProtocolValid',
  reference: '§6.1 item 9',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const view of ctx.antreaPolicies) {
      for (const site of antreaRules(view)) {
        const protocols = site.rule.protocols ?? [];
        if (!protocols.some((p) => p.igmp !== undefined)) continue;
        protocols.forEach((p, i) => {
          const address = p.igmp?.groupAddress;
          if (!address) return;
          const at = [...site.path, 'protocols', i, 'igmp', 'groupAddress'];
          const ip = parseIP(address);
          if (!ip) out.push(report(view.src, view.ref, at, Msg.groupAddressInvalid(address)));
          else if (!isMulticast(ip)) out.push(report(view.src, view.ref, at, Msg.igmpGroupNotMulticast(address)));
        });
        const action = site.rule.action;
        if (action === 'Pass' || action === 'Reject') out.push(report(view.src, view.ref, [...site.path, 'action'], Msg.igmpAction(action)));
        const peersField = site.direction === 'ingress' ? 'from' : 'to';
        const others: [string, boolean][] = [
          ['ports', (site.rule.ports ?? []).length > 0],
          ['toServices', (toServicesOf(site) ?? []).length > 0],
          [peersField, rulePeers(site).length > 0],
        ];
        for (const [field, present] of others) {
          if (present) out.push(report(view.src, view.ref, [...site.path, field], Msg.igmpCombined(field)));
        }
        protocols.forEach((p, i) => {
          if (p.icmp !== undefined) out.push(report(view.src, view.ref, [...site.path, 'protocols', i], Msg.igmpCombined('icmp')));
        });
      }
    }
    return out;
  },
};
