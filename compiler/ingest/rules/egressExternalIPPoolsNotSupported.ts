/** egressExternalIPPoolsNotSupported: Antrea's webhook refuses a non-empty spec.externalIPPools (reference §6.2 Webhook 2). */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { refOf, report, type PolicyRule } from './context.js';

export const egressExternalIPPoolsNotSupported: PolicyRule = {
  name: 'egressExternalIPPoolsNotSupported',
  reference: '§6.2 webhook',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const src of ctx.objects.egresses) {
      if (ctx.isRefused(src.loc) || (src.obj.spec.externalIPPools ?? []).length === 0) continue;
      out.push(report(src, refOf('Egress', src.obj, false), ['spec', 'externalIPPools'], Msg.egressExternalIPPoolsNotSupported()));
    }
    return out;
  },
};
