/**
 * groupIpBlocksNotMixed: a group's ipBlocks are all multicast or all unicast (docs/reference/iptables-egress.md §6.5). Unparsable CIDRs
 * are left to ipBlocksValid.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { cidrAddress, isMulticast } from './syntax.js';
import { groupIPBlocks, groupViews } from './walk.js';

export const groupIpBlocksNotMixed: PolicyRule = {
  name: 'groupIpBlocksNotMixed',
  reference: '§6.5',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const g of groupViews(ctx.objects)) {
      let multicast = false;
      let unicast = false;
      for (const { block } of groupIPBlocks(g.spec)) {
        const ip = cidrAddress(block.cidr);
        if (!ip) continue;
        if (isMulticast(ip)) multicast = true;
        else unicast = true;
      }
      if (multicast && unicast) {
        out.push(report(g.src, g.ref, ['spec', g.spec?.ipBlocks ? 'ipBlocks' : 'ipBlock'], Msg.groupIpBlocksMixed()));
      }
    }
    return out;
  },
};
