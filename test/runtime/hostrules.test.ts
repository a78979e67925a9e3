/**
 * iptables and ipsets applied in a network namespace the test creates (ip netns exec, as on a Node): owned
 * ANTREA- chains, their jumps and ANTREA- sets follow the bundle exactly, v1 → v2 included, while a foreign
 * chain, its jump and a foreign set stay byte for byte; the second apply changes nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cleanupAll, requireOvs, startOvs, type Ovs } from '../harness/ovs.js';
import { addPodsAssumedBy, compileTo, goldenInput, stateDirFor, dpcAsync } from './node.js';
import { editBundle } from './scale.js';
import { HOST_V1 as V1, HOST_V2 as V2 } from './hostState.js';

const HAVE_OVS = requireOvs();
const NODE = 'k8s-node-worker-1';
const NS = `dpc-rt-${process.pid}`;

const inNs = (...args: string[]): string => execFileSync('ip', ['netns', 'exec', NS, ...args], { encoding: 'utf8' });

const ownedRules = (): string[] => inNs('iptables-save', '-t', 'filter').split('\n').filter((l) => /^(:ANTREA-|-A ANTREA-)/.test(l) || /-j ANTREA-/.test(l));
const foreignRules = (): string[] => inNs('iptables-save').split('\n').filter((l) => !l.startsWith('#') && !/ANTREA-/.test(l));
const ownedSets = (): string =>
  inNs('ipset', 'list', '-n').split('\n').filter((n) => n.startsWith('ANTREA-')).map((n) => inNs('ipset', 'save', '-sorted', n).replace(/ bucketsize \d+ initval 0x[0-9a-f]+/, '')).join('');

const v2Rules = (): string[] => [
  ':ANTREA-POL-INGRESS-RULES - [0:0]',
  '-A INPUT -m comment --comment "Antrea: jump to Antrea policy rules" -j ANTREA-POL-INGRESS-RULES',
  ...V2.rules.split('\n').filter((l) => l.startsWith('-A ANTREA-POL')),
];

describe.skipIf(!HAVE_OVS)('iptables and ipsets in a network namespace', () => {
  let ovs: Ovs;
  let state: string;
  let v1: string;
  let v2: string;
  beforeAll(async () => {
    ovs = await startOvs();
    state = stateDirFor(ovs);
    const base = compileTo(goldenInput('policies-k8s'), [NODE]);
    addPodsAssumedBy(ovs, base, NODE);
    const withHost = (h: typeof V1) => editBundle(base, NODE, { 'iptables/ipv4.rules': () => h.rules, 'iptables/jumps.txt': () => h.jumps, 'ipset/ipsets.txt': () => h.sets });
    v1 = withHost(V1);
    v2 = withHost(V2);
    execFileSync('ip', ['netns', 'add', NS]);
    // Software that is not dpc: a chain with a jump to it, a set.
    inNs('ipset', 'create', 'kube-foreign', 'hash:ip');
    inNs('ipset', 'add', 'kube-foreign', '10.0.0.9');
    inNs('iptables', '-N', 'KUBE-FOO');
    inNs('iptables', '-A', 'KUBE-FOO', '-m', 'set', '--match-set', 'kube-foreign', 'src', '-j', 'RETURN');
    inNs('iptables', '-A', 'INPUT', '-j', 'KUBE-FOO');
  }, 120_000);
  afterAll(async () => {
    try {
      execFileSync('ip', ['netns', 'del', NS]);
    } catch {
      // never created
    }
    await cleanupAll();
  });

  test('v1, v1 again, then v2: owned state follows the bundle; foreign chains and sets untouched', async () => {
    const foreign = { rules: foreignRules(), set: inNs('ipset', 'save', 'kube-foreign') };
    const a = await dpcAsync(ovs, state, ['apply', v1, '--node', NODE], {}, NS);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(ownedRules()).toEqual([
      ':ANTREA-OLD - [0:0]',
      ':ANTREA-POL-INGRESS-RULES - [0:0]',
      '-A INPUT -m comment --comment "Antrea: jump to Antrea policy rules" -j ANTREA-POL-INGRESS-RULES',
      '-A ANTREA-OLD -j DROP',
      ...V1.rules.split('\n').filter((l) => l.startsWith('-A ANTREA-POL')),
    ]);
    expect(ownedSets()).toBe(V1.sets);
    const again = await dpcAsync(ovs, state, ['apply', v1, '--node', NODE, '--format', 'json'], {}, NS);
    expect(JSON.parse(again.stdout).result).toBe('unchanged');
    expect((await dpcAsync(ovs, state, ['diff', '--live', v1, '--node', NODE], {}, NS)).code).toBe(0);

    const b = await dpcAsync(ovs, state, ['apply', v2, '--node', NODE], {}, NS);
    expect(b.stderr).toBe('');
    expect(ownedRules()).toEqual(v2Rules());
    expect(ownedSets()).toBe(V2.sets);
    expect(foreignRules()).toEqual(foreign.rules);
    expect(inNs('ipset', 'save', 'kube-foreign')).toBe(foreign.set);
    expect((await dpcAsync(ovs, state, ['diff', '--live', v2, '--node', NODE], {}, NS)).code).toBe(0);
    const drift = await dpcAsync(ovs, state, ['diff', '--live', v1, '--node', NODE], {}, NS);
    expect(drift.code).toBe(1);
    expect(drift.stdout).toContain('+add ANTREA-POL-B-4 192.168.77.9');
  }, 300_000);

  test('a new bundle whose iptables and ipsets are as applied runs no iptables or ipset tool; drift there waits for a reconcile', async () => {
    expect((await dpcAsync(ovs, state, ['apply', v2, '--node', NODE], {}, NS)).code).toBe(0);
    // Another bundle (its digest differs) with the same host files.
    const v2b = editBundle(v2, NODE, { 'visibility/rules.json': (t) => `${t} ` });
    inNs('iptables', '-F', 'ANTREA-POL-INGRESS-RULES');
    const r = await dpcAsync(ovs, state, ['apply', v2b, '--node', NODE, '--format', 'json'], { DPC_TRACE: '1' }, NS);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter((l) => /^dpc trace: (iptables|ip6tables|ipset)/.test(l))).toEqual([]);
    const hostChanges = (out: string): string[] =>
      (JSON.parse(out) as { kinds: { kind: string; changes: string[] }[] }).kinds.filter((k) => k.kind === 'iptables' || k.kind === 'ipset').flatMap((k) => k.changes);
    expect(hostChanges(r.stdout)).toEqual([]);
    expect(ownedRules()).not.toEqual(v2Rules());
    // What reads everything finds the drift: diff --live, and re-applying the applied bundle, which repairs it.
    expect((await dpcAsync(ovs, state, ['diff', '--live', v2b, '--node', NODE], {}, NS)).code).toBe(1);
    const fix = await dpcAsync(ovs, state, ['apply', v2b, '--node', NODE, '--format', 'json'], { DPC_TRACE: '1' }, NS);
    expect(fix.stderr).toMatch(/^dpc trace: iptables-save/m);
    expect(hostChanges(fix.stdout)).toHaveLength(1);
    expect(ownedRules()).toEqual(v2Rules());
    expect(ownedSets()).toBe(V2.sets);
  }, 300_000);
});
