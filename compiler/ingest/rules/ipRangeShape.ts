/**
 * ipRangeShape: each ipRanges entry is exactly one of `cidr` or `start`+`end`, with a CIDR and IP addresses where
 * the CRD says so (the CRD's `oneOf` and formats, reference §6.3 Schema); the webhook's "invalid cidr / start / end"
 * wording is used for the formats.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { parseCidr, parseIP } from '../../net/ip.js';
import type { PolicyRule } from './context.js';
import { poolReport } from './ipRanges.js';

export const ipRangeShape: PolicyRule = {
  name: 'ipRangeShape',
  reference: '§6.3 schema',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const src of ctx.objects.externalIPPools) {
      src.obj.spec.ipRanges.forEach((r, i) => {
        const at = ['spec', 'ipRanges', i];
        const cidr = r.cidr !== undefined;
        const pair = r.start !== undefined && r.end !== undefined;
        const any = r.start !== undefined || r.end !== undefined;
        if (cidr === any || (!cidr && !pair)) {
          out.push(poolReport(src, at, Msg.ipRangeShape()));
          return;
        }
        if (cidr && !parseCidr(r.cidr!)) out.push(poolReport(src, [...at, 'cidr'], Msg.ipRangeCIDRInvalid(r.cidr!)));
        if (pair && !parseIP(r.start!)) out.push(poolReport(src, [...at, 'start'], Msg.ipRangeStartInvalid(r.start!)));
        if (pair && !parseIP(r.end!)) out.push(poolReport(src, [...at, 'end'], Msg.ipRangeEndInvalid(r.end!)));
      });
    }
    return out;
  },
};
