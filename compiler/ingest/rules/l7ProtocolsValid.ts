/**
 * l7ProtocolsValid: a rule with l7Protocols needs the L7NetworkPolicy feature gate, the Allow action and no
 * toServices; with HTTP, its ports are TCP (or leave the protocol unset) and it matches no ICMP or IGMP
 * (docs/reference/iptables-egress.md §6.1 item 10). The gate is read from the agent config, the only configuration a snapshot carries.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { antreaRules, toServicesOf } from './walk.js';

export const l7ProtocolsValid: PolicyRule = {
  name: 'l7ProtocolsValid',
  reference: '§6.1 item 10',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const view of ctx.antreaPolicies) {
      for (const site of antreaRules(view)) {
        const l7 = site.rule.l7Protocols ?? [];
        if (l7.length === 0) continue;
        const at = (...f: (string | number)[]) => [...site.path, ...f];
        if (ctx.featureGates['L7NetworkPolicy'] !== true) out.push(report(view.src, view.ref, at('l7Protocols'), Msg.l7GateOff()));
        if (site.rule.action !== 'Allow') out.push(report(view.src, view.ref, at('action'), Msg.l7Action(site.rule.action)));
        if ((toServicesOf(site) ?? []).length > 0) out.push(report(view.src, view.ref, at('toServices'), Msg.l7WithToServices()));
        if (!l7.some((p) => p.http !== undefined)) continue;
        (site.rule.ports ?? []).forEach((p, i) => {
          if (p.protocol !== undefined && p.protocol !== 'TCP') {
            out.push(report(view.src, view.ref, at('ports', i, 'protocol'), Msg.l7HttpProtocol(p.protocol)));
          }
        });
        (site.rule.protocols ?? []).forEach((p, i) => {
          if (p.icmp !== undefined || p.igmp !== undefined) out.push(report(view.src, view.ref, at('protocols', i), Msg.l7HttpWithIcmpIgmp()));
        });
      }
    }
    return out;
  },
};
