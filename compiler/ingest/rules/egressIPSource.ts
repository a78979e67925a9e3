/**
 * egressIPSource: an Egress names where its IP comes from with exactly one of two groups — egressIP and/or
 * externalIPPool, or egressIPs and/or externalIPPools (the CRD's `oneOf` of two `anyOf`s, reference §6.2 Schema).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { refOf, report, type PolicyRule } from './context.js';

export const egressIPSource: PolicyRule = {
  name: 'egressIPSource',
  reference: '§6.2 schema',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const src of ctx.objects.egresses) {
      const s = src.obj.spec;
      const single = s.egressIP !== undefined || s.externalIPPool !== undefined;
      const multi = s.egressIPs !== undefined || s.externalIPPools !== undefined;
      if (single !== multi) continue;
      out.push(report(src, refOf('Egress', src.obj, false), ['spec'], Msg.egressIPSource()));
    }
    return out;
  },
};
