/**
 * The agent's own flow_mods (runtime/openflow/flowMod.ts, bundle.ts) against a real ovs-vswitchd: every golden
 * flow the encoder accepts, sent as one bundle, reads back from dump-flows exactly as flows.txt spells it; a strict
 * delete removes only its flow; a bundle with one refused message changes nothing; the aggregate count is OVS's.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupAll, requireOvs, startOvs, type Ovs } from '../harness/ovs.js';
import { REPO_ROOT } from '../repoRoot.js';
import { OpenFlowClient } from '../../runtime/openflow/client.js';
import { commitBundle, countFlows } from '../../runtime/openflow/bundle.js';
import { encodeFlow, FLOW_MOD, flowModMessage } from '../../runtime/openflow/flowMod.js';
import { sortDumpedFlows } from '../../targets/openflow/render.js';

const HAVE_OVS = requireOvs();

const linesOf = (path: string): string[] => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);

/** Every golden Node bundle's openflow folder. */
function goldenNodes(): string[] {
  const out: string[] = [];
  for (const g of readdirSync(join(REPO_ROOT, 'golden'))) {
    const expected = join(REPO_ROOT, 'golden', g, 'expected');
    if (!existsSync(expected)) continue;
    for (const n of readdirSync(expected)) if (existsSync(join(expected, n, 'openflow', 'flows.txt'))) out.push(join(expected, n, 'openflow'));
  }
  return out.sort();
}

const adds = (flows: readonly string[]) => flows.map((f) => (xid: number) => flowModMessage(encodeFlow(f)!, FLOW_MOD.add, xid));

describe.skipIf(!HAVE_OVS)('flow_mods on the agent connection', () => {
  let ovs: Ovs;
  let of: OpenFlowClient;
  beforeAll(async () => {
    ovs = await startOvs();
    of = await OpenFlowClient.open(join(ovs.dir, `${ovs.bridge}.mgmt`));
  }, 60_000);
  afterAll(async () => {
    of?.close();
    await cleanupAll();
  });

  test('every encodable golden flow reads back as flows.txt spells it', async () => {
    let encoded = 0;
    let total = 0;
    for (const dir of goldenNodes()) {
      ovs.replaceFlows('');
      ovs.ofctl('del-groups', ovs.bridge);
      ovs.ofctl('del-meters', ovs.bridge);
      ovs.addMeters(linesOf(join(dir, 'meters.txt')));
      ovs.addGroups(linesOf(join(dir, 'groups.txt')));
      const flows = linesOf(join(dir, 'flows.txt'));
      const ok = flows.filter((f) => encodeFlow(f) !== undefined);
      total += flows.length;
      encoded += ok.length;
      await commitBundle(of, adds(ok), 1);
      expect(sortDumpedFlows(ovs.dumpFlows()), dir).toEqual(sortDumpedFlows(ok));
      expect(await countFlows(of, 0n, 0n)).toBe(ok.length);
    }
    // The policy vocabulary (clause and conj_id flows, classifiers, marks) is most of a bundle.
    expect(encoded / total).toBeGreaterThan(0.5);
    process.stdout.write(`flowMod: ${encoded} of ${total} golden flows encoded natively\n`);
  }, 120_000);

  test('a strict delete removes its own flow only; the count follows cookies under a mask', async () => {
    const mine = 'cookie=0x5000000000001, table=10, priority=200,ip,nw_src=10.0.0.1 actions=conjunction(7,1/2)';
    const sameMatchForeign = 'cookie=0x9, table=10, priority=200,ip,nw_src=10.0.0.1 actions=conjunction(7,1/2)';
    ovs.replaceFlows('');
    await commitBundle(of, adds([mine, 'cookie=0x5000000000002, table=10, priority=100,ip actions=drop']), 2);
    expect(await countFlows(of, 0x5n << 48n, 0xffff_0000_0000_0000n)).toBe(2);
    await commitBundle(of, [(xid) => flowModMessage(encodeFlow(sameMatchForeign, false)!, FLOW_MOD.deleteStrict, xid)], 3);
    expect(await countFlows(of, 0n, 0n)).toBe(2); // another cookie on the same match: not this delete's flow
    await commitBundle(of, [(xid) => flowModMessage(encodeFlow(mine, false)!, FLOW_MOD.deleteStrict, xid)], 4);
    expect(sortDumpedFlows(ovs.dumpFlows())).toEqual(['cookie=0x5000000000002, table=10, priority=100,ip actions=drop']);
  });

  test('a bundle with one refused message changes nothing', async () => {
    ovs.replaceFlows('');
    const before = ovs.dumpFlows();
    const good = adds(['cookie=0x1, table=3, priority=10,ip actions=goto_table:4']);
    // goto_table must go forward: the switch refuses a flow in table 5 that goes back to table 1.
    const bad = adds(['cookie=0x1, table=5, priority=10,ip actions=goto_table:1']);
    await expect(commitBundle(of, [...good, ...bad], 5)).rejects.toThrow(/refused/);
    expect(ovs.dumpFlows()).toEqual(before);
    // The connection stays usable.
    await commitBundle(of, good, 6);
    expect(ovs.dumpFlows()).toHaveLength(1);
  });

  test('spellings outside the encoder are refused whole, never half-encoded', () => {
    expect(encodeFlow('cookie=0x1, table=3, priority=10,ip actions=ct(commit,table=4)')).toBeUndefined();
    expect(encodeFlow('cookie=0x1, table=3, priority=10,ip,ipv6_src=::1 actions=drop')).toBeUndefined();
    expect(encodeFlow('cookie=0x1, table=3, priority=10,tp_dst=80 actions=drop')).toBeUndefined();
    expect(encodeFlow('cookie=0x1, table=3, priority=10,ip,unknown_field=1 actions=drop')).toBeUndefined();
    expect(encodeFlow('cookie=0x1, table=3, priority=10,ip actions=goto_table:4,drop')).toBeUndefined();
  });
});
