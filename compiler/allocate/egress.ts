/**
 * Per-Node Egress IDs (docs/reference/iptables-egress.md §3.1, §3.6): a SNAT mark 1..255 for each Egress IP this Node
 * holds (the meter ID of its bandwidth is the same number) and a route table 101..120 for each distinct subnetInfo.
 * Antrea hands both out in event order; dpc derives them from the IP or subnet itself, probing upward on a hash
 * collision in key order, so adding an Egress changes no other Egress's numbers unless their hashes collide.
 */
import { createHash } from 'node:crypto';

export const MIN_EGRESS_MARK = 1;
export const MAX_EGRESS_MARK = 255;
export const MIN_EGRESS_ROUTE_TABLE = 101;
export const MAX_EGRESS_ROUTE_TABLE = 120;

function hashSlot(key: string, size: number): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) % size;
}

/** Stable IDs in [min, max] for keys; undefined for keys beyond the range's capacity (reported by the caller). */
export function allocateInRange(keys: readonly string[], min: number, max: number): Map<string, number> {
  const size = max - min + 1;
  const wanted = [...new Set(keys)].map((key) => ({ key, slot: hashSlot(key, size) }));
  wanted.sort((a, b) => a.slot - b.slot || (a.key < b.key ? -1 : 1));
  const used = new Set<number>();
  const out = new Map<string, number>();
  for (const { key, slot } of wanted) {
    if (used.size >= size) break;
    let s = slot;
    while (used.has(s)) s = (s + 1) % size;
    used.add(s);
    out.set(key, min + s);
  }
  return out;
}
