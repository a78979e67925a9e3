/**
 * While v1 → v2 is applied, an established connection both versions allow (cart → redis:6379 in policies-k8s;
 * v2 narrows redis' ingress rule to that port) loses no packet: every segment injected at the client's port
 * during the apply leaves at the server's port. The apply holds still for a moment before its flow change commits
 * (the OpenFlow bundle open, the new flows sent) and after, so the stream meets each state whatever the speed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { cleanupAll, requireOvs, startOvs, type Ovs } from '../harness/ovs.js';
import { frame } from '../harness/packets.js';
import { addPodsAssumedBy, compileTo, goldenInput, spawnDpc, stateDirFor, dpcAsync } from './node.js';

const HAVE_OVS = requireOvs();
const NODE = 'k8s-node-worker-1';

interface Pod {
  name: string;
  interface: string;
  mac: string;
  ip: string;
}

describe.skipIf(!HAVE_OVS)('established connections during an apply', () => {
  let ovs: Ovs;
  let state: string;
  let v1: string;
  let v2: string;
  let pods: Pod[];
  beforeAll(async () => {
    ovs = await startOvs();
    state = stateDirFor(ovs);
    v1 = compileTo(goldenInput('policies-k8s'), [NODE]);
    const changed = goldenInput('policies-k8s').map((s) =>
      s.name === 'policies.yaml' ? { ...s, text: `${s.text.trimEnd()}\n    ports:\n    - {protocol: TCP, port: 6379}\n` } : s,
    );
    v2 = compileTo(changed, [NODE]);
    addPodsAssumedBy(ovs, v1, NODE);
    pods = (JSON.parse(readFileSync(join(v1, NODE, 'bundle.json'), 'utf8')) as { inventory: { pods: Pod[] } }).inventory.pods;
  }, 120_000);
  afterAll(cleanupAll);

  test('cart → redis:6379 keeps every packet while v2 replaces v1', async () => {
    expect((await dpcAsync(ovs, state, ['apply', v1, '--node', NODE])).code).toBe(0);
    const cart = pods.find((p) => p.name.startsWith('cart'))!;
    const redis = pods.find((p) => p.name === 'redis-0')!;
    const seg = (flags: string, from: Pod, to: Pod, sport: number, dport: number) =>
      frame({ srcMac: from.mac, dstMac: to.mac, srcIp: from.ip, dstIp: to.ip, proto: 'tcp', srcPort: sport, dstPort: dport, flags });
    ovs.inject(cart.interface, seg('S', cart, redis, 41000, 6379));
    ovs.inject(redis.interface, seg('SA', redis, cart, 6379, 41000));
    const before = ovs.sent(redis.interface).length;
    expect(before, 'the SYN reached redis under v1').toBe(1);

    const child = spawnDpc(ovs, state, ['apply', v2, '--node', NODE], undefined, {
      DPC_FAULT_PAUSE_AT: 'planned,openflow-bundle-written,openflow-bundle-committed',
      DPC_FAULT_PAUSE_MS: '1500',
    });
    let exited = false;
    const done = new Promise<number | null>((resolve) => child.on('exit', (code) => ((exited = true), resolve(code))));
    let injected = 0;
    while (!exited) {
      ovs.inject(cart.interface, seg('A', cart, redis, 41000, 6379));
      injected++;
      await tick();
    }
    expect(await done).toBe(0);
    const during = injected;
    for (let i = 0; i < 5; i++, injected++) ovs.inject(cart.interface, seg('A', cart, redis, 41000, 6379));
    const changes = JSON.parse((await dpcAsync(ovs, state, ['diff', '--live', v1, '--node', NODE, '--format', 'json'])).stdout) as { inSync: boolean };
    expect(changes.inSync, 'v2 differs from v1 on this Node').toBe(false);
    process.stdout.write(`established stream during apply: ${injected} segments injected (${during} while the apply ran), ${ovs.sent(redis.interface).length - before} delivered\n`);
    expect(during, 'segments injected while the apply ran').toBeGreaterThanOrEqual(6);
    expect(ovs.sent(redis.interface).length - before).toBe(injected);
  }, 300_000);
});
