import { describe, expect, test } from 'vitest';
import { ALL_CONNECTIONS, connectionSet, equal, formatConnections, NO_CONNECTIONS, normalizeRanges, portClasses, union } from './connset.js';
import { maskedRange, parseFlow } from './flowFields.js';
import { connectivityCsv, connectivityText } from './formats.js';
import type { ConnectivityChange } from './connectivity.js';
import type { Endpoint } from './endpoints.js';

describe('connection sets in netpol-analyzer notation', () => {
  test('all, none, protocols in string order, ranges merged', () => {
    expect(formatConnections(ALL_CONNECTIONS)).toBe('All Connections');
    expect(formatConnections(NO_CONNECTIONS)).toBe('No Connections');
    expect(formatConnections(connectionSet({ UDP: [[53, 53], [54, 60]], TCP: [[80, 80]] }))).toBe('TCP 80,UDP 53-60');
    expect(formatConnections(connectionSet({ TCP: [[9090, 9090]], UDP: [[53, 53]] }))).toBe('TCP 9090,UDP 53');
    expect(formatConnections(connectionSet({ SCTP: [[1, 65535]], TCP: [[1, 65535]], UDP: [[1, 65535]] }))).toBe('SCTP 1-65535,TCP 1-65535,UDP 1-65535');
    expect(formatConnections(connectionSet({ SCTP: [[1, 65535]], TCP: [[1, 65535]], UDP: [[1, 65535]] }, true))).toBe('All Connections');
    expect(formatConnections(connectionSet({ TCP: [[80, 80], [8080, 8081]] }))).toBe('TCP 80,8080-8081');
  });

  test('union and equality are on the canonical form', () => {
    const a = connectionSet({ TCP: [[80, 80]] });
    const b = connectionSet({ TCP: [[81, 90]] });
    expect(formatConnections(union(a, b))).toBe('TCP 80-90');
    expect(equal(union(a, b), connectionSet({ TCP: [[80, 90]] }))).toBe(true);
    expect(equal(a, b)).toBe(false);
    expect(normalizeRanges([[5, 9], [1, 3], [4, 4]])).toEqual([[1, 9]]);
  });

  test('port classes: each boundary starts a class, the classes cover 1-65535 once', () => {
    const classes = portClasses([80, 81, 8000, 8032, 1]);
    expect(classes).toEqual([[1, 79], [80, 80], [81, 7999], [8000, 8031], [8032, 65535]]);
    expect(portClasses([])).toEqual([[1, 65535]]);
  });

  test('flow fields: a masked tp_dst is the block it covers; conjunction clauses and endpoints are read', () => {
    expect(maskedRange(0x1f40, 0xffe0)).toEqual([8000, 8031]);
    const f = parseFlow('cookie=0x102005ee06405, table=13, priority=200,tcp,tp_dst=0x1f40/0xffe0 actions=conjunction(1591763973,3/3)');
    expect(f).toMatchObject({ category: 2, protocol: 'TCP', tpDst: [8000, 8031], conjunctions: [{ id: 1591763973, clause: 3 }] });
    const g = parseFlow('cookie=0x1020039da8d21, table=24, priority=200,reg1=0x400d actions=conjunction(970624289,2/3),conjunction(7,1/2)');
    expect(g.reg1).toBe(0x400d);
    expect(g.conjunctions).toHaveLength(2);
  });
});

describe('netpol-analyzer output lines', () => {
  const pod = (key: string): Endpoint => ({ key, kind: 'Pod', ip: '10.0.0.1', node: 'n' });
  const changes: ConnectivityChange[] = [
    { type: 'added', src: { key: '0.0.0.0-255.255.255.255', kind: 'External', ip: '1.1.1.1' }, dst: pod('default/backend[Deployment]'), dir1: NO_CONNECTIONS, dir2: connectionSet({ TCP: [[9090, 9090]] }), info: '', rules: { old: [], new: [] } },
    { type: 'changed', src: pod('default/frontend[Deployment]'), dst: pod('default/backend[Deployment]'), dir1: connectionSet({ TCP: [[9090, 9090]] }), dir2: connectionSet({ TCP: [[9090, 9090]], UDP: [[53, 53]] }), info: '', rules: { old: [], new: [] } },
  ];

  test('CSV is the analyzer documented example, row for row (docs/diff_output.md)', () => {
    expect(connectivityCsv(changes)).toBe(
      'diff-type,source,destination,dir1,dir2,workloads-diff-info\n' +
        'changed,default/frontend[Deployment],default/backend[Deployment],TCP 9090,"TCP 9090,UDP 53",\n' +
        'added,0.0.0.0-255.255.255.255,default/backend[Deployment],No Connections,TCP 9090,\n',
    );
  });

  test('text lines: changed before added, workloads-diff-info only when there is some', () => {
    const withInfo: ConnectivityChange = { ...changes[0]!, src: pod('default/unicorn[Deployment]'), info: 'workload default/unicorn[Deployment] added', dir2: ALL_CONNECTIONS };
    expect(connectivityText([...changes, withInfo]).split('\n')).toEqual([
      'Connectivity diff:',
      'diff-type: changed, source: default/frontend[Deployment], destination: default/backend[Deployment], dir1: TCP 9090, dir2: TCP 9090,UDP 53',
      'diff-type: added, source: 0.0.0.0-255.255.255.255, destination: default/backend[Deployment], dir1: No Connections, dir2: TCP 9090',
      'diff-type: added, source: default/unicorn[Deployment], destination: default/backend[Deployment], dir1: No Connections, dir2: All Connections, workloads-diff-info: workload default/unicorn[Deployment] added',
      '',
    ]);
  });
});
