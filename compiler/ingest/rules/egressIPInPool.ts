/**
 * egressIPInPool: an Egress that sets both egressIP and externalIPPool names a pool that exists and an IP inside
 * one of its allocatable ranges — unless neither changed since the previous snapshot (reference §6.2 Webhook 4).
 * The allocator's range excludes a CIDR's network address and anything past 65536 addresses, but includes the IPv4
 * broadcast address, exactly as Antrea's check does.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { parseIP } from '../../net/ip.js';
import { refOf, report, type PolicyRule } from './context.js';
import { poolRanges } from './ipRanges.js';
import { allocatorRangeHas } from '../../net/ipAllocator.js';

export const egressIPInPool: PolicyRule = {
  name: 'egressIPInPool',
  reference: '§6.2 webhook',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const src of ctx.objects.egresses) {
      const { egressIP, externalIPPool } = src.obj.spec;
      if (ctx.isRefused(src.loc) || !egressIP || !externalIPPool) continue;
      const prev = ctx.previousEgress(src.obj.metadata.name)?.obj.spec;
      if (prev && prev.egressIP === egressIP && prev.externalIPPool === externalIPPool) continue;
      const ref = refOf('Egress', src.obj, false);
      const pool = ctx.externalIPPoolsNamed(externalIPPool).find((p) => !ctx.isRefused(p.loc));
      if (!pool) {
        out.push(report(src, ref, ['spec', 'externalIPPool'], Msg.egressPoolMissing(externalIPPool)));
        continue;
      }
      const ip = parseIP(egressIP)!;
      if (!poolRanges(pool.obj).ranges.some((r) => allocatorRangeHas(pool.obj.spec.ipRanges[r.index]!, ip))) {
        out.push(report(src, ref, ['spec', 'egressIP'], Msg.egressIPOutsidePool(egressIP)));
      }
    }
    return out;
  },
};
