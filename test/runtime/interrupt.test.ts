/**
 * kill -9 of `dpc apply` v1 → v2 at many moments, chosen by step (the runtime kills itself at a named checkpoint)
 * and by timer: afterwards every kind is entirely v1 or entirely v2, never a mix, and a rerun converges to v2.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupAll, requireOvs, startOvs, type Ovs } from '../harness/ovs.js';
import { addPodsAssumedBy, compileTo, dpcAsync, goldenInput, spawnDpc, stateDirFor } from './node.js';
import { editBundle } from './scale.js';
import { sortDumpedFlows } from '../../targets/openflow/render.js';

const HAVE_OVS = requireOvs();
const NODE = 'k8s-node-worker-1';
const STEPS = [
  'planned',
  'ovsdb-committed',
  'openflow-meter-set',
  'openflow-bundle-written',
  'openflow-bundle-committed',
  'openflow-verified',
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

describe.skipIf(!HAVE_OVS)('an interrupted apply leaves each kind whole', () => {
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
      'openflow/groups.txt': (t) => `${t}${EXTRA_GROUP}\n`,
      'openflow/meters.txt': (t) => `${t}${EXTRA_METER}\n`,
      'ovsdb/transact.json': (t) => t.replace('["antrea-type","tunnel"]]]}}', '["antrea-type","tunnel"],["dpc-test","v2"]]]}}'),
    });
    want = { v1: expected(v1), v2: expected(v2) };
    rounds = new Set([...want.v1.flows, ...want.v2.flows].map(round));
    addPodsAssumedBy(ovs, v1, NODE);
    expect(JSON.stringify(want.v1)).not.toBe(JSON.stringify(want.v2));
  }, 120_000);
  afterAll(cleanupAll);

  test.each(STEPS)('killed at step %s', async (step) => {
    await resetToV1();
    const r = await dpcAsync(ovs, state, ['apply', v2, '--node', NODE], { DPC_FAULT_KILL_AT: step });
    expect(r.code, 'the apply was killed').toBe(null);
    assertWhole(step);
    await rerunConverges(step);
  }, 300_000);

  test(`killed by ${TIMER_KILLS} timers spread over an apply`, async () => {
    await resetToV1();
    const t0 = Date.now();
    expect((await dpcAsync(ovs, state, ['apply', v2, '--node', NODE])).code).toBe(0);
    const duration = Date.now() - t0;
    const outcomes: string[] = [];
    for (let i = 0; i < TIMER_KILLS; i++) {
      await resetToV1();
      const delay = Math.round(((i + 0.5) / TIMER_KILLS) * duration);
      const child = spawnDpc(ovs, state, ['apply', v2, '--node', NODE]);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      const code = await exited;
      clearTimeout(timer);
      outcomes.push(`${delay}ms:${code === null ? 'killed' : `exit ${code}`}`);
      // A killed ovs-ofctl child may still be finishing; the switch answers once it has.
      ovs.appctl('version');
      assertWhole(`timer ${delay} ms`);
      await rerunConverges(`timer ${delay} ms`);
    }
    process.stdout.write(`interrupt timers (apply takes ${duration} ms): ${outcomes.join(', ')}\n`);
    expect(outcomes.filter((o) => o.endsWith('killed')).length).toBeGreaterThanOrEqual(TIMER_KILLS / 2);
  }, 900_000);
});
