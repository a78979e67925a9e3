/**
 * net/routes.txt applied in a network namespace the test creates (ip netns exec, as on a Node): the Egress
 * addresses, devices, routes in tables 101–120 and fwmark rules follow the bundle exactly, v1 → v2 → v1, while a
 * main-table route, a foreign route table, foreign rules and another device's addresses stay byte for byte; the
 * second apply changes nothing; drift is reported and repaired; a refused or failing apply leaves the previous state.
 *
 * This kernel has neither the dummy nor the 8021q driver: antrea-egress0 is made beforehand as a bridge (the runtime,
 * like Antrea's agent, uses the device it finds under that name), and the device v2 creates is spelled as a bridge
 * (`link add antrea-ext.20 type bridge`) where a real bundle has a VLAN device.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { cleanupAll, requireOvs, startOvs, type Ovs } from '../harness/ovs.js';
import { createNetns, HAVE_NETNS, type Netns } from '../harness/netns.js';
import { addPodsAssumedBy, compileTo, goldenInput, stateDirFor, dpcAsync } from './node.js';
import { editBundle } from './scale.js';
import { foreignNet, foreignNetwork, ownedNet, ROUTES6_V2, ROUTES_V1, ROUTES_V2 } from './hostState.js';

const HAVE_OVS = requireOvs();
const NODE = 'k8s-node-worker-1';

describe.skipIf(!HAVE_OVS || !HAVE_NETNS)('net/routes.txt in a network namespace', () => {
  let ovs: Ovs;
  let ns: Netns;
  let state: string;
  let v1: string;
  let v2: string;
  let bad: string;
  let perLineSix: string;
  let none: string;
  const run = (...args: string[]) => dpcAsync(ovs, state, args, {}, ns.name);

  beforeAll(async () => {
    ovs = await startOvs();
    state = stateDirFor(ovs);
    const base = compileTo(goldenInput('policies-k8s'), [NODE]);
    addPodsAssumedBy(ovs, base, NODE);
    v1 = editBundle(base, NODE, { 'net/routes.txt': () => ROUTES_V1 });
    v2 = editBundle(base, NODE, { 'net/routes.txt': () => ROUTES_V2, 'net/routes6.txt': () => ROUTES6_V2 });
    // The layout before routes6.txt: IPv6 lines with a per-line `-6` in routes.txt, which `ip -batch` refuses.
    perLineSix = editBundle(base, NODE, { 'net/routes.txt': () => `${ROUTES_V2}${ROUTES6_V2.split('\n').filter((l) => l.startsWith('r')).map((l) => `-6 ${l}\n`).join('')}` });
    // v2 and then a route whose gateway no route reaches: the kernel refuses that line after the others went in.
    none = base;
    bad = editBundle(base, NODE, { 'net/routes.txt': () => `${ROUTES_V2}route replace default via 10.77.0.1 dev eth0 table 110\n`, 'net/routes6.txt': () => ROUTES6_V2 });
    ns = createNetns('net');
    foreignNetwork(ns);
  }, 120_000);
  afterAll(async () => {
    ns?.delete();
    await cleanupAll();
  });

  test('v1, v1 again, v2, back to v1: owned state exact, foreign network untouched byte for byte', async () => {
    const foreign = foreignNet(ns);
    const a = await run('apply', v1, '--node', NODE);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    const atV1 = {
      devices: ['antrea-egress0'],
      addresses: ['192.168.77.200/32 antrea-egress0', '192.168.77.203/32 antrea-egress0'],
      routes: ['172.20.10.0/24 dev eth0 table 120 scope link', 'default via 172.20.10.1 dev eth0 table 120'],
      rules: ['from all fwmark 0x5c/0xff lookup 120'],
    };
    const now = (): ReturnType<typeof ownedNet> => ownedNet(ns);
    expect(now()).toEqual(atV1);
    const again = await run('apply', v1, '--node', NODE, '--format', 'json');
    expect(JSON.parse(again.stdout).result).toBe('unchanged');
    expect((await run('diff', '--live', v1, '--node', NODE)).code).toBe(0);

    const b = await run('apply', v2, '--node', NODE, '--format', 'json');
    expect(b.stderr).toBe('');
    const changes = (JSON.parse(b.stdout) as { kinds: { kind: string; changes: string[] }[] }).kinds.find((k) => k.kind === 'net')!.changes;
    expect(changes).toContain('- address del 192.168.77.200/32 dev antrea-egress0');
    expect(changes).toContain('+ route replace default via 172.20.10.254 dev eth0 table 120');
    expect(changes).toContain('+ -6 rule add fwmark 0x17/0xff lookup 105');
    expect(now()).toEqual({
      devices: ['antrea-egress0', 'antrea-ext.20 up'],
      addresses: ['172.20.20.2/24 antrea-ext.20', '192.168.77.203/32 antrea-egress0', '192.168.77.204/32 antrea-egress0', 'fd00:77::204/128 antrea-egress0'],
      routes: [
        '172.20.10.0/24 dev eth0 table 120 scope link',
        '172.20.20.0/24 dev antrea-ext.20 table 105 scope link',
        'default via 172.20.10.254 dev eth0 table 120',
        'default via 172.20.20.1 dev antrea-ext.20 table 105',
        'default via fd00:20::1 dev antrea-ext.20 table 105 metric 1024 pref medium',
        'fd00:20::/64 dev antrea-ext.20 table 105 metric 1024 pref medium',
      ],
      rules: ['from all fwmark 0x17/0xff lookup 105', 'from all fwmark 0x17/0xff lookup 105', 'from all fwmark 0x5c/0xff lookup 120'],
    });
    expect(foreignNet(ns)).toEqual(foreign);
    expect((await run('diff', '--live', v2, '--node', NODE)).code).toBe(0);
    const drift = await run('diff', '--live', v1, '--node', NODE);
    expect(drift.code).toBe(1);
    expect(drift.stdout).toContain('--- live/net/routes.txt');
    expect(drift.stdout).toContain('-rule add fwmark 0x17/0xff lookup 105');
    expect(drift.stdout).toContain('--- live/net/routes6.txt');
    expect(drift.stdout).toContain('-route replace default via fd00:20::1 dev antrea-ext.20 table 105');

    expect((await run('apply', v1, '--node', NODE)).code).toBe(0);
    expect(now()).toEqual(atV1);
    expect(foreignNet(ns)).toEqual(foreign);
  }, 300_000);

  test('drift in owned tables is reported by diff --live and repaired by apply --full', async () => {
    ns.ip(['route add 10.5.0.0/16 via 172.20.10.1 dev eth0 table 120', 'address del 192.168.77.203/32 dev antrea-egress0', 'rule add fwmark 0x5c/0xff lookup 120']);
    const d = await run('diff', '--live', v1, '--node', NODE);
    expect(d.code).toBe(1);
    expect(d.stdout).toContain('-route replace 10.5.0.0/16 via 172.20.10.1 dev eth0 table 120');
    expect(d.stdout).toContain('+address add 192.168.77.203/32 dev antrea-egress0');
    expect(d.stdout).toContain('-rule add fwmark 0x5c/0xff lookup 120');
    expect((await run('apply', v1, '--node', NODE, '--full')).code).toBe(0);
    expect((await run('diff', '--live', v1, '--node', NODE)).code).toBe(0);
    expect(ownedNet(ns).rules).toEqual(['from all fwmark 0x5c/0xff lookup 120']);
  }, 300_000);

  test('a refused bundle and a failing route leave the previous state', async () => {
    const before = { owned: ownedNet(ns), foreign: foreignNet(ns) };
    const refused = await run('apply', join(v2, NODE), '--node', 'another-node');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused/);
    expect(ownedNet(ns)).toEqual(before.owned);

    const six = await run('apply', perLineSix, '--node', NODE);
    expect(six.code).toBe(1);
    expect(six.stderr).toMatch(/ip -batch takes no per-line -6; IPv6 lines belong in net\/routes6.txt/);
    expect(ownedNet(ns)).toEqual(before.owned);

    const failed = await run('apply', bad, '--node', NODE);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/applying net failed, net is as it was/);
    expect(ownedNet(ns)).toEqual(before.owned);
    expect(foreignNet(ns)).toEqual(before.foreign);
    // The failed apply recorded nothing: the bundle applied last is still the Node's.
    expect((await run('diff', '--live', v1, '--node', NODE)).code).toBe(0);
  }, 300_000);

  test('a bundle without routes.txt after one with it (the Egress left the Node): the owned state is removed', async () => {
    const foreign = foreignNet(ns);
    const r = await run('apply', none, '--node', NODE);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // antrea-egress0 stays, empty, as Antrea's agent leaves it.
    expect(ownedNet(ns)).toEqual({ devices: ['antrea-egress0'], addresses: [], routes: [], rules: [] });
    expect(foreignNet(ns)).toEqual(foreign);
  }, 300_000);
});
