/**
 * ipRangesValid: a start/end range has both ends in one family and start not after end (reference §6.3 Webhook 2).
 * Antrea stops at the first bad range; so does this rule.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { PolicyRule } from './context.js';
import { poolRanges, poolReport } from './ipRanges.js';

export const ipRangesValid: PolicyRule = {
  name: 'ipRangesValid',
  reference: '§6.3 webhook',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const src of ctx.objects.externalIPPools) {
      if (ctx.isRefused(src.loc)) continue;
      const { error } = poolRanges(src.obj);
      if (error) out.push(poolReport(src, error.field, error.msg));
    }
    return out;
  },
};
