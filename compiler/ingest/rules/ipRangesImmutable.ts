/**
 * ipRangesImmutable: an update keeps every existing range, identified by its literal text (`cidr` or `start-end`);
 * ranges may only be added (reference §6.3 Webhook 6). Needs the previous snapshot (`--previous`).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import type { PolicyRule } from './context.js';
import { poolReport, rangeText } from './ipRanges.js';

export const ipRangesImmutable: PolicyRule = {
  name: 'ipRangesImmutable',
  reference: '§6.3 webhook',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const src of ctx.objects.externalIPPools) {
      const prev = ctx.previousExternalIPPool(src.obj.metadata.name);
      if (!prev || ctx.isRefused(src.loc)) continue;
      const now = new Set(src.obj.spec.ipRanges.map(rangeText));
      const gone = [...new Set(prev.obj.spec.ipRanges.map(rangeText))].filter((r) => !now.has(r)).sort();
      if (gone.length > 0) out.push(poolReport(src, ['spec', 'ipRanges'], Msg.ipRangesChanged(gone.join(' '))));
    }
    return out;
  },
};
