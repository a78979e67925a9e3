/**
 * One ExternalIPPool range as Antrea's IP allocator sees it (pkg/ipam/ipallocator, pkg/controller/externalippool):
 * a CIDR starts after its network address, an IPv4 CIDR reserves its broadcast address, a start/end range is
 * inclusive, and no range spans more than 65536 addresses.
 */
import { compareIP, parseCidr, parseIP, type IPAddr } from './ip.js';

const BITS = { 4: 32, 6: 128 } as const;
const MAX_RANGE = 65536n;

export interface AllocatorRange {
  /** Antrea's name for it: the masked CIDR, or `start-end`. */
  name: string;
  base: IPAddr;
  /** Offsets 0..max-1 from base are in range. */
  max: bigint;
  reserved: readonly bigint[];
}

export function allocatorRange(r: { cidr?: string; start?: string; end?: string }): AllocatorRange | undefined {
  if (r.cidr) {
    const c = parseCidr(r.cidr);
    if (!c) return undefined;
    const size = 1n << BigInt(BITS[c.family] - c.prefix);
    const max = size - 1n;
    if (max < 0n) return undefined;
    const reserved = c.family === 4 && size > 1n ? [c.base + size - 1n] : [];
    return { name: r.cidr, base: { family: c.family, value: c.base + 1n }, max: max > MAX_RANGE ? MAX_RANGE : max, reserved };
  }
  const start = parseIP(r.start ?? '');
  const end = parseIP(r.end ?? '');
  if (!start || !end || start.family !== end.family || compareIP(start, end) > 0) return undefined;
  const max = end.value - start.value + 1n;
  return { name: `${r.start}-${r.end}`, base: start, max: max > MAX_RANGE ? MAX_RANGE : max, reserved: [] };
}

/** SingleIPAllocator.Has: inside the range, reserved addresses included (the webhook's check, reference §6.2). */
export function rangeHas(a: AllocatorRange, ip: IPAddr): boolean {
  if (ip.family !== a.base.family) return false;
  const off = ip.value - a.base.value;
  return off >= 0n && off < a.max;
}

export function allocatorRangeHas(r: { cidr?: string; start?: string; end?: string }, ip: IPAddr): boolean {
  const a = allocatorRange(r);
  return a !== undefined && rangeHas(a, ip);
}

/** Total(): addresses that can be handed out. */
export function rangeTotal(a: AllocatorRange): number {
  return Number(a.max) - a.reserved.length;
}
