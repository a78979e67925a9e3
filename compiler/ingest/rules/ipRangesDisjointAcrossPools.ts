/**
 * ipRangesDisjointAcrossPools: no range overlaps a range of another pool (reference §6.3 Webhook 5). Antrea refuses
 * the pool created second; in a snapshot that is the later one by creationTimestamp, then name, so the earlier
 * pool compiles and the later is refused naming it.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import type { PolicyRule } from './context.js';
import { byCreation, livePools, poolReport, rangesOverlap } from './ipRanges.js';

export const ipRangesDisjointAcrossPools: PolicyRule = {
  name: 'ipRangesDisjointAcrossPools',
  reference: '§6.3 webhook',
  check(ctx) {
    const out: Diagnostic[] = [];
    const pools = livePools(ctx).sort((a, b) => byCreation(a.src, b.src));
    const admitted: typeof pools = [];
    for (const pool of pools) {
      const clash = pool.ranges
        .flatMap((cur) => admitted.flatMap((other) => other.ranges.filter((r) => rangesOverlap(cur, r)).map((hit) => ({ cur, other, hit }))))
        .at(0);
      if (!clash) {
        admitted.push(pool);
        continue;
      }
      const of = `${clash.hit.origin} of ExternalIPPool ${clash.other.src.obj.metadata.name}`;
      out.push(poolReport(pool.src, ['spec', 'ipRanges', clash.cur.index], Msg.ipRangesOverlap(clash.cur.origin, of)));
    }
    return out;
  },
};
