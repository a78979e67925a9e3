/**
 * The connectivity layer against a small evaluator (a table of verdicts), apart from the interpreter: diff types,
 * new and lost workloads, port classes from the flows, memoisation by class. test/reviewDiff.test.ts proves the
 * same on compiled bundles with the real interpreter.
 */
import { describe, expect, test } from 'vitest';
import { diffArtifacts } from './artifacts.js';
import { connectivityDiff, type Evaluator, type Probe } from './connectivity.js';
import { formatConnections } from './connset.js';
import type { Endpoint } from './endpoints.js';
import type { CompiledVersion } from './version.js';

const pod = (name: string, ip: string, ofport: number) => ({ namespace: 'ns', name, interface: name, ofport, mac: `02:00:00:00:00:${ofport.toString(16).padStart(2, '0')}`, ip });

function version(label: string, pods: ReturnType<typeof pod>[], flows: string[]): CompiledVersion {
  const meta = { node: { name: 'n1', podCIDR: '10.0.0.0/24' }, inventory: { pods } };
  return { label, nodes: new Map([['n1', new Map([['bundle.json', JSON.stringify(meta)], ['openflow/flows.txt', `${flows.join('\n')}\n`]])]]) };
}

/** Allowed when the table says so for this side: key `src>dst` → TCP ports allowed (ICMP, UDP, SCTP never). */
function tableEvaluator(allowed: Record<string, (port: number) => boolean>, calls: string[]): Evaluator {
  return {
    decide(src: Endpoint, dst: Endpoint, p: Probe) {
      calls.push(`${src.key}>${dst.key}:${p.protocol}/${p.port ?? ''}`);
      const f = allowed[`${src.name}>${dst.name}`];
      return { allowed: p.protocol === 'TCP' && !!f && f(p.port!), ruleIds: [7] };
    },
  };
}

describe('connectivity diff over an evaluator', () => {
  const a = pod('a', '10.0.0.2', 2);
  const b = pod('b', '10.0.0.3', 3);
  const c = pod('c', '10.0.0.4', 4);
  const oldV = version('dir1', [a, b], [
    'cookie=0x1020000000007, table=24, priority=200,reg1=0x3 actions=conjunction(7,2/2)',
    'cookie=0x1020000000007, table=24, priority=200,tcp,tp_dst=80 actions=conjunction(7,1/2)',
  ]);
  const newV = version('dir2', [a, b, c], [
    'cookie=0x1020000000007, table=24, priority=200,reg1=0x3 actions=conjunction(7,2/2)',
    'cookie=0x1020000000007, table=24, priority=200,tcp,tp_dst=0x1f40/0xffe0 actions=conjunction(7,1/2)',
    'cookie=0x1020000000007, table=24, priority=200,tcp,tp_dst=80 actions=conjunction(7,1/2)',
    'cookie=0x1010000000000, table=0, priority=190,in_port=4 actions=goto_table:1',
  ]);

  test('changed and added pairs, a new workload named, ports in the classes the flows create', () => {
    const calls: string[] = [];
    const evaluators = {
      old: tableEvaluator({ 'a>b': (p) => p === 80 }, calls),
      new: tableEvaluator({ 'a>b': (p) => p === 80 || (p >= 8000 && p <= 8031), 'c>a': () => true }, calls),
    };
    const r = connectivityDiff(oldV, newV, diffArtifacts(oldV, newV), evaluators);
    const lines = r.changes.map((x) => `${x.type} ${x.src.key} ${x.dst.key} ${formatConnections(x.dir1)} | ${formatConnections(x.dir2)} | ${x.info}`);
    expect(lines.sort()).toEqual([
      'added ns/c[Pod] ns/a[Pod] No Connections | TCP 1-65535 | workload ns/c[Pod] added',
      'changed ns/a[Pod] ns/b[Pod] TCP 80 | TCP 80,8000-8031 | ',
    ]);
    expect(r.portClasses.get('TCP')).toEqual([[1, 79], [80, 80], [81, 7999], [8000, 8031], [8032, 65535]]);
    // One probe per class per protocol and ICMP: never a probe per port.
    expect(r.stats.probes).toBe(1 + 5 + 1 + 1);
  });

  test('no artifact change: nothing is traced and nothing differs, whatever the evaluator says', () => {
    const calls: string[] = [];
    const ev = tableEvaluator({ 'a>b': () => true }, calls);
    const r = connectivityDiff(oldV, oldV, diffArtifacts(oldV, oldV), { old: ev, new: tableEvaluator({}, calls) });
    expect(r.changes).toEqual([]);
    expect(calls).toEqual([]);
  });

  test('the candidate filter loses no change that tracing every pair finds', () => {
    const evaluators = () => ({
      old: tableEvaluator({ 'a>b': (p) => p === 80 }, []),
      new: tableEvaluator({ 'a>b': (p) => p === 80 || (p >= 8000 && p <= 8031), 'c>a': () => true }, []),
    });
    const some = connectivityDiff(oldV, newV, diffArtifacts(oldV, newV), evaluators());
    const every = connectivityDiff(oldV, newV, diffArtifacts(oldV, newV), evaluators(), { allPairs: true });
    expect(some.changes.map((x) => `${x.src.key}>${x.dst.key}`)).toEqual(every.changes.map((x) => `${x.src.key}>${x.dst.key}`));
  });
});
