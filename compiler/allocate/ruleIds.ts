/**
 * Rule IDs (the conjunction ID, the ct_label value, the reg3/reg5/reg6 value and the rules.json key) derive
 * from each rule's stable key, so they are the same on every Node and do not move when unrelated policies
 * change (docs/design.md §5). IDs 0 and 1 are reserved (1 is Antrea's DNS-intercept conjunction). A hash collision
 * is resolved by probing upwards, in key order, so the outcome is still a pure function of the key set.
 */
import * as crypto from 'node:crypto';

export const FIRST_RULE_ID = 2;
/** IDs stay below 2^31 so they print the same in every register and label field. */
const ID_SPACE = 0x7fffffff - FIRST_RULE_ID;
const MAX_RULE_ID = FIRST_RULE_ID + ID_SPACE - 1;

// The digest's first 4 bytes, read from hex: Node's one-shot hash (20.12+) with a string result builds neither a
// Hash object nor a Buffer per key, about 4 times faster over the 10^5 rule keys of a large cluster.
const sha256Hex: (key: string) => string =
  typeof crypto.hash === 'function'
    ? (key) => crypto.hash('sha256', key, 'hex')
    : (key) => crypto.createHash('sha256').update(key).digest('hex');

function hashId(key: string): number {
  return FIRST_RULE_ID + (parseInt(sha256Hex(key).slice(0, 8), 16) % ID_SPACE);
}

/** `hash` is injectable so tests can force collisions; it must return an ID in [FIRST_RULE_ID, 2^31 − 1). */
export function allocateRuleIds(keys: readonly string[], hash: (key: string) => number = hashId): Map<string, number> {
  const seen = new Set<string>();
  const wanted: { key: string; id: number }[] = [];
  for (const key of keys) {
    if (seen.has(key)) continue;
    seen.add(key);
    wanted.push({ key, id: hash(key) });
  }
  wanted.sort((a, b) => a.id - b.id || (a.key < b.key ? -1 : 1));
  const out = new Map<string, number>();
  // In wanted-ID order, the IDs given so far cover every value from the current wanted ID up to the last one given
  // (a gap only opens below a wanted ID, and later wanted IDs are not lower), so probing upwards ends just after the
  // last: no set of used IDs is needed for the 10^5 rules of a large cluster. Only a probe past the top of the ID
  // space wraps to the bottom, where earlier IDs sit; from there on, every probe checks the IDs given.
  let last = FIRST_RULE_ID - 1;
  let used: Set<number> | undefined;
  for (const { key, id } of wanted) {
    let v = id;
    if (!used && id <= last) {
      if (last < MAX_RULE_ID) v = last + 1;
      else used = new Set(out.values());
    }
    if (used) {
      while (used.has(v)) v = v + 1 > MAX_RULE_ID ? FIRST_RULE_ID : v + 1;
      used.add(v);
    }
    last = v;
    out.set(key, v);
  }
  return out;
}
