/**
 * ipRangesInSubnet: with subnetInfo, both ends of every range lie inside gateway/prefixLength; a range equal to the
 * subnet passes, a range of the other family fails (reference §6.3 Webhook 3).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { cidrContains, parseIP } from '../../net/ip.js';
import type { PolicyRule } from './context.js';
import { livePools, poolReport } from './ipRanges.js';

const BITS = { 4: 32, 6: 128 } as const;

export const ipRangesInSubnet: PolicyRule = {
  name: 'ipRangesInSubnet',
  reference: '§6.3 webhook',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const { src, ranges } of livePools(ctx)) {
      const si = src.obj.spec.subnetInfo;
      const gw = si ? parseIP(si.gateway) : undefined;
      if (!si || !gw) continue;
      const bits = BITS[gw.family];
      const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - si.prefixLength)) - 1n);
      const subnet = { family: gw.family, base: gw.value & mask, prefix: si.prefixLength };
      const bad = ranges.find((r) => !cidrContains(subnet, r.start) || !cidrContains(subnet, r.end));
      if (bad) out.push(poolReport(src, ['spec', 'ipRanges', bad.index], Msg.ipRangeOutsideSubnet(bad.origin, si.gateway, si.prefixLength)));
    }
    return out;
  },
};
