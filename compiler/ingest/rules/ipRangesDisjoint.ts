/**
 * ipRangesDisjoint: the ranges of one pool do not overlap, comparing full CIDR spans, network and broadcast
 * addresses included (reference §6.3 Webhook 4). The later range of the first overlapping pair is named.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import type { PolicyRule } from './context.js';
import { livePools, poolReport, rangesOverlap } from './ipRanges.js';

export const ipRangesDisjoint: PolicyRule = {
  name: 'ipRangesDisjoint',
  reference: '§6.3 webhook',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const { src, ranges } of livePools(ctx)) {
      found: for (const [i, cur] of ranges.entries()) {
        for (const earlier of ranges.slice(0, i)) {
          if (!rangesOverlap(cur, earlier)) continue;
          out.push(poolReport(src, ['spec', 'ipRanges', cur.index], Msg.ipRangesOverlap(cur.origin, earlier.origin)));
          break found;
        }
      }
    }
    return out;
  },
};
