import { describe, expect, test } from 'vitest';
import { changedMiddle, compareFlows, flowChanges, flowKey } from './openflow.js';

const F = {
  a: 'cookie=0x1000000000000, priority=200,ip actions=goto_table:3',
  b: 'cookie=0x1000000000000, table=3, priority=200,in_port=5 actions=goto_table:4',
  bChanged: 'cookie=0x1000000000002, table=3, priority=200,in_port=5 actions=drop',
  c: 'cookie=0x1000000000000, table=3, priority=190,in_port=6 actions=goto_table:4',
  d: 'cookie=0x1000000000000, table=4, priority=0 actions=drop',
};

describe('OpenFlow diff', () => {
  test('a flow is identified by table, priority and match, not by cookie or actions', () => {
    expect(flowKey(F.b)).toBe(flowKey(F.bChanged));
    expect(flowKey(F.b)).not.toBe(flowKey(F.c));
  });

  test('a changed flow is one add over the same match (never a delete), a lost flow a delete, a new one an add', () => {
    const live = [F.a, F.b, F.c];
    const desired = [F.a, F.bChanged, F.d].sort(compareFlows);
    expect(flowChanges(live, desired, true)).toEqual({ add: [F.bChanged, F.d], del: [F.c] });
  });

  test('a live dump in any order gives the same changes', () => {
    const desired = [F.a, F.bChanged, F.d].sort(compareFlows);
    expect(flowChanges([F.c, F.b, F.a], desired, false)).toEqual({ add: [F.bChanged, F.d], del: [F.c] });
    expect(flowChanges(desired, desired, true)).toEqual({ add: [], del: [] });
  });

  test('flows.txt order: table, then priority from high to low', () => {
    expect([F.d, F.c, F.b, F.a].sort(compareFlows)).toEqual([F.a, F.b, F.c, F.d]);
  });
});

describe('changed lines between two sorted flow files', () => {
  const text = (lines: string[]): Buffer => Buffer.from(lines.map((l) => `${l}\n`).join(''));
  // Many lines, so the common parts span several of the 64 KiB blocks compared at once.
  const many = Array.from({ length: 5000 }, (_, i) => `cookie=0x1000000000000, table=${10 + Math.floor(i / 100)}, priority=${1000 - (i % 100)},ip,nw_src=10.0.${i >> 8}.${i & 255} actions=drop`);

  test('equal files have no middle', () => {
    expect(changedMiddle(text(many), text(many))).toEqual({ a: [], b: [] });
  });

  test('one line changed in place: only that line on each side, whole', () => {
    const b = [...many];
    b[2345] = b[2345]!.replace('actions=drop', 'actions=goto_table:20');
    expect(changedMiddle(text(many), text(b))).toEqual({ a: [many[2345]], b: [b[2345]] });
  });

  test('a line added and one removed, at the edges and where lines share a long prefix', () => {
    const added = [...many.slice(0, 100), `${many[100]!.slice(0, -4)}xdrop`, ...many.slice(100)];
    expect(changedMiddle(text(many), text(added))).toEqual({ a: [], b: [added[100]] });
    expect(changedMiddle(text(added), text(many))).toEqual({ a: [added[100]], b: [] });
    expect(changedMiddle(text(many), text(many.slice(1)))).toEqual({ a: [many[0]], b: [] });
    expect(changedMiddle(text(many), text([...many, 'cookie=0x1, table=99, priority=1 actions=drop']))).toEqual({ a: [], b: ['cookie=0x1, table=99, priority=1 actions=drop'] });
    expect(changedMiddle(text([]), text(many.slice(0, 2)))).toEqual({ a: [], b: many.slice(0, 2) });
  });

  test('the diff of the middles is the diff of the whole files', () => {
    const b = [...many.slice(0, 3000), ...many.slice(3001, 4000), many[4000]!.replace('drop', 'normal'), ...many.slice(4001)];
    const m = changedMiddle(text(many), text(b));
    expect(flowChanges(m.a, m.b, true)).toEqual(flowChanges(many, b, true));
    expect(m.a.length).toBeLessThan(1100);
  });
});
