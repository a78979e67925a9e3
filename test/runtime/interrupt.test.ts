/**
 * kill -9 of `dpc apply` v1 → v2 at many moments, chosen by step (the runtime kills itself at a named checkpoint)
 * and by timer: afterwards every kind is entirely v1 or entirely v2, never a mix, and a rerun converges to v2.
 * OVSDB rows, flows, groups and meters on a private OVS; ipsets, iptables and net/routes.txt in a namespace.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupAll, requireOvs, startOvs, type Ovs } from '../harness/ovs.js';
import type { ChildProcess } from 'node:child_process';
import { addPodsAssumedBy, compileTo, dpcAsync, goldenInput, spawnDpc, stateDirFor, type DpcResult } from './node.js';
import { editBundle } from './scale.js';
import { createNetns, HAVE_NETNS, type Netns } from '../harness/netns.js';
import { foreignNetwork, HOST_V1, HOST_V2, ownedNet, ownedRules, ownedSets, ROUTES_V1, ROUTES_V2, setsOf } from './hostState.js';
import { sortDumpedFlows } from '../../targets/openflow/render.js';

const HAVE_OVS = requireOvs();
const NODE = 'k8s-node-worker-1';
const STEPS = [
  'planned',
  'ovsdb-committed',
  'openflow-meter-set',
  'openflow-bundle-written',
  'openflow-bundle-committed',
  'openflow-state-saved',
  'openflow-finished',
  'ovsdb-finished',
  'recorded',
];
const TIMER_KILLS = 12;
const EXTRA_GROUP = 'group_id=900,type=all,bucket=bucket_id:0,actions=drop';
const EXTRA_METER = 'meter=900,kbps,burst,bands=type=drop,rate=1000,burst_size=1000';

interface Owned {
  flows: string[];
  groups: string[];
  meters: string[];
  /** external_ids of the tunnel interface: v2 adds a key, so the OVSDB kind changes too. */
  tunnelIds?: string;
}

const fileLines = (out: string, f: string): string[] => readFileSync(join(out, NODE, f), 'utf8').split('\n').filter(Boolean);
const expected = (out: string): Owned => ({
  flows: fileLines(out, 'openflow/flows.txt'),
  groups: fileLines(out, 'openflow/groups.txt'),
  meters: fileLines(out, 'openflow/meters.txt'),
});

interface Moments {
  steps: readonly string[];
  timers: number;
  label: string;
  reset(): Promise<void>;
  apply(env: NodeJS.ProcessEnv): Promise<DpcResult>;
  spawn(): ChildProcess;
  /** Waits until what a killed dpc left running has finished. */
  settle(): Promise<void>;
  assertWhole(when: string): void;
  rerun(when: string): Promise<void>;
}

/** The kills: at each named step, then by timers spread over a clean apply's duration; each from v1, then rerun. */
function killMoments(m: Moments): void {
  test.each(m.steps)('killed at step %s', async (step) => {
    await m.reset();
    const r = await m.apply({ DPC_FAULT_KILL_AT: step });
    expect(r.code, 'the apply was killed').toBe(null);
    m.assertWhole(step);
    await m.rerun(step);
  }, 300_000);

  test(`killed by ${m.timers} timers spread over an apply`, async () => {
    // The shortest of three clean applies: one apply slowed by the shared machine's load would spread the timers
    // past the end of the faster applies that follow, which then finish before being killed.
    const durations: number[] = [];
    for (let i = 0; i < 3; i++) {
      await m.reset();
      const t0 = Date.now();
      expect((await m.apply({})).code).toBe(0);
      durations.push(Date.now() - t0);
    }
    const duration = Math.min(...durations);
    const outcomes: string[] = [];
    for (let i = 0; i < m.timers; i++) {
      await m.reset();
      const delay = Math.round(((i + 0.5) / m.timers) * duration);
      const child = m.spawn();
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      const code = await exited;
      clearTimeout(timer);
      outcomes.push(`${delay}ms:${code === null ? 'killed' : `exit ${code}`}`);
      await m.settle();
      m.assertWhole(`timer ${delay} ms`);
      await m.rerun(`timer ${delay} ms`);
    }
    process.stdout.write(`${m.label} (apply takes ${duration} ms): ${outcomes.join(', ')}\n`);
    expect(outcomes.filter((o) => o.endsWith('killed')).length).toBeGreaterThanOrEqual(m.timers / 2);
  }, 900_000);
}

/**
 * `native`: v2 changes flows only, so the change goes as flow_mods in one OpenFlow bundle on dpc's own connection
 * (runtime/openflow/bundle.ts); otherwise v2 also adds a group and a meter, and the flows go through ovs-ofctl.
 */
function ovsKills(title: string, native: boolean, steps: readonly string[], timers: number): void {
describe.skipIf(!HAVE_OVS)(title, () => {
  let ovs: Ovs;
  let state: string;
  let v1: string;
  let v2: string;
  let want: { v1: Owned; v2: Owned };
  let rounds: Set<bigint>;

  const round = (f: string): bigint => BigInt(/^cookie=(0x[0-9a-f]+)/.exec(f)?.[1] ?? 0) >> 48n;
  function owned(): Owned {
    const groupIds = new Set([...want.v1.groups, ...want.v2.groups].map((g) => /group_id=(\d+)/.exec(g)![1]));
    const meterIds = new Set([...want.v1.meters, ...want.v2.meters].map((m) => /meter=(\d+)/.exec(m)![1]));
    const meters: string[] = [];
    for (const l of ovs.ofctl('dump-meters', ovs.bridge).split('\n').map((x) => x.trim())) {
      if (l.startsWith('meter=')) meters.push(l.replace(/ /g, ','));
      else if (l.startsWith('type=')) meters[meters.length - 1] += l.replace(/ /g, ',');
    }
    return {
      flows: sortDumpedFlows(ovs.dumpFlows().filter((f) => rounds.has(round(f)))),
      groups: ovs.ofctl('dump-groups', ovs.bridge).split('\n').map((l) => l.trim()).filter((l) => groupIds.has(/^group_id=(\d+)/.exec(l)?.[1] ?? '')).sort(),
      meters: meters.filter((m) => meterIds.has(/^meter=(\d+)/.exec(m)![1]!)).sort(),
      tunnelIds: ovs.vsctl('get', 'interface', 'antrea-tun0', 'external_ids').replace(/"/g, '').trim(),
    };
  }

  /** Each kind on its own: equal to v1's or to v2's, whole. */
  function assertWhole(when: string): void {
    const now = owned();
    for (const kind of ['flows', 'groups', 'meters'] as const) {
      const isV1 = JSON.stringify(now[kind]) === JSON.stringify([...want.v1[kind]].sort(kind === 'flows' ? () => 0 : undefined));
      const isV2 = JSON.stringify(now[kind]) === JSON.stringify([...want.v2[kind]].sort(kind === 'flows' ? () => 0 : undefined));
      expect(isV1 || isV2, `${when}: ${kind} is neither v1 nor v2`).toBe(true);
    }
    expect(['{antrea-type=tunnel}', '{antrea-type=tunnel, dpc-test=v2}'], when).toContain(now.tunnelIds);
  }

  async function resetToV1(): Promise<void> {
    const r = await dpcAsync(ovs, state, ['apply', v1, '--node', NODE, '--full']);
    expect(r.stderr).toBe('');
    expect(owned().flows).toEqual(want.v1.flows);
  }

  async function rerunConverges(when: string): Promise<void> {
    const r = await dpcAsync(ovs, state, ['apply', v2, '--node', NODE]);
    expect(r.stderr, when).toBe('');
    expect(r.code, when).toBe(0);
    const now = owned();
    expect(now.flows, when).toEqual(want.v2.flows);
    expect(now.groups, when).toEqual([...want.v2.groups].sort());
    expect(now.meters, when).toEqual([...want.v2.meters].sort());
    expect(now.tunnelIds, when).toContain('dpc-test=v2');
  }

  beforeAll(async () => {
    ovs = await startOvs();
    state = stateDirFor(ovs);
    v1 = compileTo(goldenInput('policies-k8s'), [NODE]);
    const changed = goldenInput('policies-k8s').map((s) =>
      s.name === 'policies.yaml' ? { ...s, text: `${s.text.trimEnd()}\n    ports:\n    - {protocol: TCP, port: 6379}\n` } : s,
    );
    v2 = editBundle(compileTo(changed, [NODE]), NODE, {
      ...(native
        ? {}
        : {
            'openflow/groups.txt': (t: string) => `${t}${EXTRA_GROUP}\n`,
            'openflow/meters.txt': (t: string) => `${t}${EXTRA_METER}\n`,
          }),
      'ovsdb/transact.json': (t) => t.replace('["antrea-type","tunnel"]]]}}', '["antrea-type","tunnel"],["dpc-test","v2"]]]}}'),
    });
    want = { v1: expected(v1), v2: expected(v2) };
    rounds = new Set([...want.v1.flows, ...want.v2.flows].map(round));
    addPodsAssumedBy(ovs, v1, NODE);
    expect(JSON.stringify(want.v1)).not.toBe(JSON.stringify(want.v2));
    // Which path the flows take is part of what is proven: check it on a clean apply.
    await resetToV1();
    const traced = (await dpcAsync(ovs, state, ['apply', v2, '--node', NODE], { DPC_TRACE: '1' })).stderr;
    expect(/openflow bundle of \d+ flow_mods/.test(traced), traced).toBe(native);
    expect(/ovs-ofctl bundle/.test(traced), traced).toBe(!native);
  }, 120_000);
  afterAll(cleanupAll);

  killMoments({
    steps,
    timers,
    label: `${title}: timers`,
    reset: resetToV1,
    apply: (env) => dpcAsync(ovs, state, ['apply', v2, '--node', NODE], env),
    spawn: () => spawnDpc(ovs, state, ['apply', v2, '--node', NODE]),
    // A killed ovs-ofctl child may still be finishing; the switch answers once it has.
    settle: async () => void ovs.appctl('version'),
    assertWhole,
    rerun: rerunConverges,
  });
});
}

ovsKills('an interrupted apply leaves each kind whole', false, STEPS, TIMER_KILLS);
ovsKills('an apply killed around its own OpenFlow bundle leaves the flows whole', true, ['openflow-bundle-written', 'openflow-bundle-committed', 'openflow-state-saved', 'recorded'], 4);

/**
 * The host kinds in a network namespace: ipsets, iptables and net/routes.txt change from v1 to v2 (OVS stays), and
 * the apply is killed at their steps and by timers. iptables is one restore per table and net one `ip -batch`, each
 * handed whole to its tool, so each is v1 or v2. ipsets are v1, or v2 — possibly still beside v1's sets that v1's
 * rules referenced, which the finish step destroys once iptables has moved (create, swap, then destroy).
 */
const HOST_STEPS = [
  'planned',
  'ipset-restored',
  'iptables-4-filter-restored',
  'iptables-4-jumps-ensured',
  'net-applied',
  'net-finished',
  'iptables-finished',
  'ipset-destroyed',
  'ipset-finished',
  'recorded',
];
const HOST_TIMER_KILLS = 8;

describe.skipIf(!HAVE_OVS || !HAVE_NETNS)('an interrupted apply leaves each host kind whole', () => {
  let ovs: Ovs;
  let ns: Netns;
  let state: string;
  let v1: string;
  let v2: string;
  const want = {
    v1: { rules: [] as string[], sets: setsOf(HOST_V1.sets), net: undefined as unknown },
    v2: { rules: [] as string[], sets: setsOf(HOST_V2.sets), net: undefined as unknown },
  };
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  const entries = (m: Map<string, string>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));

  function assertWhole(when: string): void {
    const rules = ownedRules(ns);
    expect(same(rules, want.v1.rules) || same(rules, want.v2.rules), `${when}: iptables is neither v1 nor v2`).toBe(true);
    const sets = ownedSets(ns);
    const v2WithStale = new Map([...want.v2.sets, ...[...want.v1.sets].filter(([n]) => !want.v2.sets.has(n))]);
    const setsOk = [want.v1.sets, want.v2.sets, v2WithStale].some((m) => same(entries(sets), entries(m)));
    expect(setsOk, `${when}: ipsets are neither v1 nor v2: ${[...sets.keys()].join(' ')}`).toBe(true);
    const net = ownedNet(ns);
    expect(same(net, want.v1.net) || same(net, want.v2.net), `${when}: net is neither v1 nor v2`).toBe(true);
  }

  async function resetToV1(): Promise<void> {
    const r = await dpcAsync(ovs, state, ['apply', v1, '--node', NODE, '--full'], {}, ns.name);
    expect(r.stderr).toBe('');
    expect(ownedRules(ns)).toEqual(want.v1.rules);
  }

  async function rerunConverges(when: string): Promise<void> {
    const r = await dpcAsync(ovs, state, ['apply', v2, '--node', NODE], {}, ns.name);
    expect(r.stderr, when).toBe('');
    expect(ownedRules(ns), when).toEqual(want.v2.rules);
    expect(entries(ownedSets(ns)), when).toEqual(entries(want.v2.sets));
    expect(ownedNet(ns), when).toEqual(want.v2.net);
  }

  beforeAll(async () => {
    ovs = await startOvs();
    state = stateDirFor(ovs);
    const base = compileTo(goldenInput('policies-k8s'), [NODE]);
    addPodsAssumedBy(ovs, base, NODE);
    const host = (h: typeof HOST_V1, routes: string) =>
      editBundle(base, NODE, { 'iptables/ipv4.rules': () => h.rules, 'iptables/jumps.txt': () => h.jumps, 'ipset/ipsets.txt': () => h.sets, 'net/routes.txt': () => routes });
    v1 = host(HOST_V1, ROUTES_V1);
    v2 = host(HOST_V2, ROUTES_V2);
    ns = createNetns('kill');
    foreignNetwork(ns);
    // Each version's owned state, as a clean apply leaves it.
    for (const [v, dir] of [['v2', v2], ['v1', v1]] as const) {
      const r = await dpcAsync(ovs, state, ['apply', dir, '--node', NODE, '--full'], {}, ns.name);
      expect(r.stderr).toBe('');
      want[v].rules = ownedRules(ns);
      want[v].net = ownedNet(ns);
    }
    expect(same(want.v1.rules, want.v2.rules) || same(want.v1.net, want.v2.net)).toBe(false);
  }, 120_000);
  afterAll(async () => {
    ns?.delete();
    await cleanupAll();
  });

  killMoments({
    steps: HOST_STEPS,
    timers: HOST_TIMER_KILLS,
    label: 'host interrupt timers',
    reset: resetToV1,
    apply: (env) => dpcAsync(ovs, state, ['apply', v2, '--node', NODE], env, ns.name),
    spawn: () => spawnDpc(ovs, state, ['apply', v2, '--node', NODE], ns.name),
    // A tool dpc started (ipset, iptables-restore, ip) finishes its input on its own: wait for it.
    settle: () => new Promise((r) => setTimeout(r, 300)),
    assertWhole,
    rerun: rerunConverges,
  });
});
