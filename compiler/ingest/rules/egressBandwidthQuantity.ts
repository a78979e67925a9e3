/**
 * egressBandwidthQuantity: spec.bandwidth.rate and .burst parse as Kubernetes Quantities, rate checked first
 * (reference §6.2 Webhook 3; the CRD already requires both).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { parseQuantity } from '../../net/quantity.js';
import { refOf, report, type PolicyRule } from './context.js';

export const egressBandwidthQuantity: PolicyRule = {
  name: 'egressBandwidthQuantity',
  reference: '§6.2 webhook',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const src of ctx.objects.egresses) {
      const bw = src.obj.spec.bandwidth;
      if (ctx.isRefused(src.loc) || !bw) continue;
      const ref = refOf('Egress', src.obj, false);
      const name = src.obj.metadata.name;
      if (!parseQuantity(bw.rate)) out.push(report(src, ref, ['spec', 'bandwidth', 'rate'], Msg.egressBandwidthInvalid('Rate', bw.rate, name)));
      else if (!parseQuantity(bw.burst)) out.push(report(src, ref, ['spec', 'bandwidth', 'burst'], Msg.egressBandwidthInvalid('Burst', bw.burst, name)));
    }
    return out;
  },
};
