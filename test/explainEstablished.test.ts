/**
 * The interpreter's conntrack model against real conntrack: `ofproto/trace` cannot replay an established
 * connection (it knows no committed ct_mark or ct_label), so here real frames go through a loaded bundle: a SYN,
 * the server's SYN-ACK, the client's ACK, for Pod pairs of a Node and ports its policies name. After each frame,
 * the port it left on (or none) must be the one the interpreter gives for the same packet, with one Conntrack
 * carried through the connection as `dpc explain --state established` carries it.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { compile } from '../compiler/compile.js';
import { Conntrack, Interpreter, Packet, Pipeline } from '../review/openflow/interp.js';
import { parseFlows, parseGroups, parseMeters } from '../review/openflow/parse.js';
import type { BundleMeta } from '../review/explain/bundles.js';
import { cleanupAll, requireOvs, startOvs } from './harness/ovs.js';
import { bundleFile, loadBundle } from './harness/bundle.js';
import { nextTurn } from './harness/eventLoop.js';
import { frame, tcpFlagsToBits } from './harness/packets.js';
import { caseSources, GOLDEN_DIR } from './golden/golden.js';

const HAVE_OVS = requireOvs();

afterAll(async () => {
  await cleanupAll();
});

type Pod = BundleMeta['inventory']['pods'][number];
const mac = (m: string) => BigInt(`0x${m.split(':').join('')}`);
const ip = (a: string) => a.split('.').reduce((acc, x) => (acc << 8n) | BigInt(Number(x)), 0n);

function packetOf(from: Pod, to: Pod, sport: number, dport: number, flags: string): Packet {
  return new Packet([
    ['in_port', BigInt(from.ofport)],
    ['dl_src', mac(from.mac)],
    ['dl_dst', mac(to.mac)],
    ['dl_type', 0x0800n],
    ['nw_src', ip(from.ip)],
    ['nw_dst', ip(to.ip)],
    ['nw_proto', 6n],
    ['nw_ttl', 64n],
    ['tp_src', BigInt(sport)],
    ['tp_dst', BigInt(dport)],
    ['tcp_flags', BigInt(tcpFlagsToBits(flags))],
  ]);
}

describe.skipIf(!HAVE_OVS)('explain: established connections leave as real conntrack lets them', () => {
  test.each(['policies-k8s', 'policies-antrea'])('golden/%s: SYN, SYN-ACK, ACK between the Pods of a Node', async (name) => {
    const result = compile(caseSources(join(GOLDEN_DIR, name)));
    const bundle = [...result.bundles].sort((a, b) => b.podCount - a.podCount)[0]!;
    const meta = JSON.parse(bundleFile(bundle, 'bundle.json')) as BundleMeta;
    const text = (p: string) => bundle.files.get(p) ?? '';
    const pipeline = new Pipeline(parseFlows(text('openflow/flows.txt')), parseGroups(text('openflow/groups.txt')), parseMeters(text('openflow/meters.txt')));
    const ovs = await startOvs();
    const wrong: string[] = [];
    const fates = new Set<string>();
    try {
      loadBundle(ovs, bundle);
      const ports = meta.inventory.pods.map((p) => p.interface).concat(meta.inventory.gateway.name);
      const ofport = new Map(meta.inventory.pods.map((p) => [p.interface, p.ofport] as [string, number]).concat([[meta.inventory.gateway.name, meta.inventory.gateway.ofport]]));
      const ct = new Conntrack();
      let sport = 40000;
      for (const a of meta.inventory.pods) {
        for (const b of meta.inventory.pods) {
          if (a === b) continue;
          for (const dport of [80, 443, 6379, 8080]) {
            sport++;
            const steps: [Pod, Pod, number, number, string][] = [
              [a, b, sport, dport, 'S'],
              [b, a, dport, sport, 'SA'],
              [a, b, sport, dport, 'A'],
            ];
            for (const [from, to, sp, dp, flags] of steps) {
              await nextTurn();
              const before = new Map(ports.map((p) => [p, ovs.sent(p).length]));
              ovs.inject(from.interface, frame({ srcMac: from.mac, dstMac: to.mac, srcIp: from.ip, dstIp: to.ip, proto: 'tcp', srcPort: sp, dstPort: dp, flags }));
              const real = ports.filter((p) => ovs.sent(p).length > before.get(p)!).map((p) => ofport.get(p)!);
              const mine = new Interpreter(pipeline, ct).run(packetOf(from, to, sp, dp, flags)).emissions.flatMap((e) => (e.kind === 'output' ? [e.port] : []));
              fates.add(`${flags}:${real.length ? 'out' : 'none'}`);
              if (JSON.stringify(real) !== JSON.stringify(mine)) wrong.push(`${from.name} -> ${to.name} ${sp}->${dp} ${flags}: OVS sent it to ${JSON.stringify(real)}, the interpreter to ${JSON.stringify(mine)}`);
            }
          }
        }
      }
    } finally {
      await ovs.stop();
    }
    expect(wrong.slice(0, 8)).toEqual([]);
    // Some connections open and some are refused, so both the established and the refused paths were walked.
    expect(fates.has('A:out')).toBe(true);
    expect(fates.has('S:none')).toBe(true);
  }, 300_000);
});
