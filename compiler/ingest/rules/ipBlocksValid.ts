/**
 * ipBlocksValid: every ipBlock has a cidr that parses, and every except entry parses and lies strictly inside
 * the cidr (inside it, with a longer prefix). Antrea's webhook for policy peers and group ipBlocks (docs/reference/iptables-egress.md §6.1
 * item 5, §6.5) and the API server for Kubernetes NetworkPolicies apply the same test.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { cidrContains } from '../../net/ip.js';
import { report, type PolicyRule } from './context.js';
import { parseCidrText } from './syntax.js';
import { allIPBlocks } from './walk.js';

export const ipBlocksValid: PolicyRule = {
  name: 'ipBlocksValid',
  reference: '§6.1, §6.5, Kubernetes API',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const { src, ref, block, path } of allIPBlocks(ctx.objects, ctx.antreaPolicies)) {
      if (block.cidr === '') {
        out.push(report(src, ref, [...path, 'cidr'], Msg.ipBlockCidrRequired()));
        continue;
      }
      const cidr = parseCidrText(block.cidr);
      if (!cidr) {
        out.push(report(src, ref, [...path, 'cidr'], Msg.ipBlockCidrInvalid(block.cidr)));
        continue;
      }
      (block.except ?? []).forEach((text, i) => {
        const ex = parseCidrText(text);
        if (!ex) {
          out.push(report(src, ref, [...path, 'except', i], Msg.ipBlockExceptInvalid(text)));
        } else if (!cidrContains(cidr, { family: ex.family, value: ex.base }) || ex.prefix <= cidr.prefix) {
          out.push(report(src, ref, [...path, 'except', i], Msg.ipBlockExceptOutside(text, block.cidr)));
        }
      });
    }
    return out;
  },
};
