/**
 * ipPoolSubnetInfoValid: subnetInfo.gateway is an IP address and prefixLength fits its family, 1–31 for IPv4 and
 * 1–127 for IPv6 (reference §6.3 Webhook 1; the CRD alone allows up to 127 for both).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { parseIP } from '../../net/ip.js';
import type { PolicyRule } from './context.js';
import { poolReport } from './ipRanges.js';

export const ipPoolSubnetInfoValid: PolicyRule = {
  name: 'ipPoolSubnetInfoValid',
  reference: '§6.3 webhook',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const src of ctx.objects.externalIPPools) {
      const si = src.obj.spec.subnetInfo;
      if (!si || ctx.isRefused(src.loc)) continue;
      const gw = parseIP(si.gateway);
      if (!gw) {
        out.push(poolReport(src, ['spec', 'subnetInfo', 'gateway'], Msg.subnetGatewayInvalid(si.gateway)));
        continue;
      }
      const max = gw.family === 4 ? 31 : 127;
      if (si.prefixLength < 1 || si.prefixLength > max) {
        out.push(poolReport(src, ['spec', 'subnetInfo', 'prefixLength'], Msg.subnetPrefixInvalid(si.prefixLength)));
      }
    }
    return out;
  },
};
