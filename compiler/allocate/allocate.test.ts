import { describe, expect, test } from 'vitest';
import { assignPriorities as assignInBand, bandOf, priorityOf, type PrioritySlot } from './priorities.js';
import { allocateRuleIds, FIRST_RULE_ID } from './ruleIds.js';

/** Slots of one band, as the allocator groups them. */
const assignPriorities = (slots: readonly PrioritySlot[]) => assignInBand(bandOf(slots[0]!.tier), slots);
import { portRangeMasks } from '../plan/portRange.js';

describe('OpenFlow priorities of Antrea-native rules (docs/reference/ovs-pipeline.md §3.4)', () => {
  test("Antrea's examples", () => {
    const slots = [
      { tier: 250, policy: 5, rule: 0 },
      { tier: 250, policy: 5, rule: 1 },
      { tier: 100, policy: 5, rule: 0 },
    ];
    const m = assignPriorities(slots)!;
    expect(priorityOf(m, slots[0]!)).toBe(14500);
    expect(priorityOf(m, slots[1]!)).toBe(14499);
    expect(priorityOf(m, slots[2]!)).toBe(44900);
  });

  test('baseline uses 180 − (10·P + R)', () => {
    const s = { tier: 253, policy: 2, rule: 3 };
    expect(priorityOf(assignPriorities([s])!, s)).toBe(157);
  });

  test('fractional priorities that truncate to one slot stay distinct and ordered', () => {
    const a = { tier: 100, policy: 1.01, rule: 0 };
    const b = { tier: 100, policy: 1.02, rule: 0 };
    const c = { tier: 100, policy: 2, rule: 0 };
    const m = assignPriorities([c, b, a])!;
    expect(priorityOf(m, a)).toBeGreaterThan(priorityOf(m, b));
    expect(priorityOf(m, b)).toBeGreaterThan(priorityOf(m, c));
  });

  test('the same slot from two policies shares one priority', () => {
    const m = assignPriorities([{ tier: 250, policy: 3, rule: 0 }, { tier: 250, policy: 3, rule: 0 }])!;
    expect(m.size).toBe(1);
  });

  test('exhaustion is reported, not wrapped', () => {
    const many = Array.from({ length: 200 }, (_, i) => ({ tier: 253, policy: 1, rule: i }));
    expect(assignPriorities(many)).toBeUndefined();
  });
});

describe('rule IDs', () => {
  test('are stable, start at 2, and ignore unrelated keys', () => {
    const a = allocateRuleIds(['p/a', 'p/b']);
    const b = allocateRuleIds(['p/b', 'x/unrelated', 'p/a']);
    expect(b.get('p/a')).toBe(a.get('p/a'));
    expect(b.get('p/b')).toBe(a.get('p/b'));
    for (const id of b.values()) expect(id).toBeGreaterThanOrEqual(FIRST_RULE_ID);
    expect(new Set(b.values()).size).toBe(3);
  });

  test('a forced collision is resolved by probing upwards in key order, whatever order the keys come in', () => {
    const collide = (key: string) => (key.startsWith('p/') ? 7 : 40);
    const one = allocateRuleIds(['p/b', 'p/a', 'q/c', 'p/c'], collide);
    const two = allocateRuleIds(['p/c', 'q/c', 'p/a', 'p/b'], collide);
    expect([...one.entries()].sort()).toEqual([...two.entries()].sort());
    expect(one.get('p/a')).toBe(7);
    expect(one.get('p/b')).toBe(8);
    expect(one.get('p/c')).toBe(9);
    expect(one.get('q/c')).toBe(40);
  });

  test('probing past the top of the ID space wraps to the bottom and skips the IDs taken there', () => {
    const top = 0x7fffffff - 1;
    // z/ keys want the lowest ID, p/ keys the highest (sorted by wanted ID, z/ keys are given theirs first).
    const wrap = (key: string) => (key.startsWith('z/') ? FIRST_RULE_ID + (key === 'z/b' ? 1 : 0) : top);
    const ids = allocateRuleIds(['p/c', 'z/a', 'p/a', 'z/b', 'p/b', 'p/d'], wrap);
    expect(ids.get('z/a')).toBe(FIRST_RULE_ID);
    expect(ids.get('z/b')).toBe(FIRST_RULE_ID + 1);
    expect(ids.get('p/a')).toBe(top);
    expect(ids.get('p/b')).toBe(FIRST_RULE_ID + 2);
    expect(ids.get('p/c')).toBe(FIRST_RULE_ID + 3);
    expect(ids.get('p/d')).toBe(FIRST_RULE_ID + 4);
  });

  test('crowded ID spaces give what probing every taken ID gives', () => {
    const top = 0x7fffffff - 1;
    const probeAll = (keys: string[], hash: (k: string) => number) => {
      const wanted = [...new Set(keys)].map((key) => ({ key, id: hash(key) })).sort((a, b) => a.id - b.id || (a.key < b.key ? -1 : 1));
      const used = new Set<number>();
      const out = new Map<string, number>();
      for (const { key, id } of wanted) {
        let v = id;
        while (used.has(v)) v = v + 1 > top ? FIRST_RULE_ID : v + 1;
        used.add(v);
        out.set(key, v);
      }
      return out;
    };
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 0x7fffffff);
    for (let round = 0; round < 20; round++) {
      const keys = Array.from({ length: 400 }, () => `k${next() % 300}`);
      // Wanted IDs crowd near the bottom and the top of the space, so runs collide and wrap.
      const hash = (k: string) => {
        const n = Number(k.slice(1)) * (round + 1);
        return n % 3 === 0 ? top - (n % 11) : FIRST_RULE_ID + (n % 50);
      };
      expect([...allocateRuleIds(keys, hash)].sort()).toEqual([...probeAll(keys, hash)].sort());
    }
  });

  test('a run of collisions ends just above the IDs given, past gaps below the wanted ID', () => {
    const wanted: Record<string, number> = { a: 10, b: 20, c: 20, d: 21, e: 21, f: 30, g: 15 };
    const ids = allocateRuleIds(Object.keys(wanted), (k) => wanted[k]!);
    expect(Object.fromEntries(ids)).toEqual({ a: 10, g: 15, b: 20, c: 21, d: 22, e: 23, f: 30 });
  });
});

describe('port ranges as masks', () => {
  const spell = (lo: number, hi: number) => portRangeMasks(lo, hi).map((m) => (m.mask === undefined ? `${m.value}` : `0x${m.value.toString(16)}/0x${m.mask.toString(16)}`));
  test('cover exactly the range with the fewest blocks', () => {
    expect(spell(80, 80)).toEqual(['80']);
    expect(spell(1024, 2047)).toEqual(['0x400/0xfc00']);
    expect(spell(8080, 8082)).toEqual(['0x1f90/0xfffe', '8082']);
    expect(spell(0, 65535)).toEqual(['0x0/0x0']);
    // Every port in and only the ports in the range are covered.
    const blocks = portRangeMasks(1000, 1999);
    const covered = (p: number) => blocks.some((b) => (BigInt(p) & (b.mask ?? 0xffffn)) === b.value);
    for (let p = 990; p < 2010; p++) expect(covered(p), String(p)).toBe(p >= 1000 && p <= 1999);
  });
});
