/**
 * egressIPFormat: spec.egressIP is an IPv4 or IPv6 address, and each spec.egressIPs entry is one or empty (the CRD's
 * `format: ipv4`/`ipv6`, reference §6.2 Schema; the webhook's "IP X is not valid" is never reached after it).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { parseIP } from '../../net/ip.js';
import { refOf, report, type PolicyRule } from './context.js';

export const egressIPFormat: PolicyRule = {
  name: 'egressIPFormat',
  reference: '§6.2 schema',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const src of ctx.objects.egresses) {
      const ref = refOf('Egress', src.obj, false);
      const ip = src.obj.spec.egressIP;
      if (ip !== undefined && !parseIP(ip)) out.push(report(src, ref, ['spec', 'egressIP'], Msg.egressIPFormat(ip)));
      (src.obj.spec.egressIPs ?? []).forEach((e, i) => {
        if (e !== '' && !parseIP(e)) out.push(report(src, ref, ['spec', 'egressIPs', i], Msg.egressIPFormat(e)));
      });
    }
    return out;
  },
};
