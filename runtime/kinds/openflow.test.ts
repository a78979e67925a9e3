import { describe, expect, test } from 'vitest';
import { compareFlows, flowChanges, flowKey } from './openflow.js';

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
