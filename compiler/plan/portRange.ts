/**
 * A port range as the fewest value/mask pairs that cover it exactly: OpenFlow matches ports bitwise, so
 * `endPort` ranges become prefix blocks (docs/reference/ovs-pipeline.md §3.2: `tp_dst=0x400/0xfc00`).
 */
import type { Masked } from './flow.js';

export function portRangeMasks(lo: number, hi: number): Masked[] {
  if (lo === hi) return [{ value: BigInt(lo) }];
  const out: Masked[] = [];
  let start = lo;
  while (start <= hi) {
    // The largest aligned block starting at `start` that stays within the range.
    let size = 1;
    while (start % (size * 2) === 0 && start + size * 2 - 1 <= hi && size * 2 <= 0x10000) size *= 2;
    out.push(size === 1 ? { value: BigInt(start) } : { value: BigInt(start), mask: BigInt(0xffff & ~(size - 1)) });
    start += size;
  }
  return out;
}
