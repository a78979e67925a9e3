/**
 * The Egress rate checks (`snat` with rateMbps, test/conformance/snatRate.ts) measure the compiled meter and not
 * something else: antrea-egress/update-bandwidth as it is passes in conformanceCases.test.ts; here the same case
 * with the Egress's bandwidth lowered to 20M/20M must fail both checks, each with a sender rate far below the
 * expected one (a path that bypassed the meter would measure the unshaped rate and pass the first check or fail
 * high). Lowering, not removing, keeps the proof safe on a loaded machine, where an unshaped stream may be slow.
 * The same with the client moved to the other Node: its stream crosses its own Node's switch and the tunnel, and
 * the Egress Node's meter still holds it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { cleanupAll, requireOvs } from './harness/ovs.js';
import { CONFORMANCE_DIR } from './conformance/cases.js';
import { runCases } from './conformance/runner.js';

const HAVE_OVS = requireOvs();
const CASE = 'antrea-egress/update-bandwidth';
const FIXTURE = 'antrea-xyz-egress-shaping';
let work: string | undefined;
afterAll(async () => {
  await cleanupAll();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The case's fixture with x/b moved from node-2 (the Egress Node) to node-1, so its stream crosses the tunnel. */
function clientOnOtherNode(fixture: string): string {
  const docs = fixture.split('\n---\n');
  const i = docs.findIndex((d) => /^kind: Pod$/m.test(d) && /^  name: b\n  namespace: x$/m.test(d));
  expect(i).toBeGreaterThan(-1);
  const moved = docs[i]!.replace('nodeName: node-2', 'nodeName: node-1').replace(/10\.10\.2\.(\d+)/g, '10.10.1.2$1');
  expect(moved).not.toBe(docs[i]);
  docs[i] = moved;
  return docs.join('\n---\n');
}

describe.skipIf(!HAVE_OVS)('Egress rate checks measure the meter', () => {
  test.each([
    ['on its Egress Node', false],
    ['on another Node (through the tunnel)', true],
  ])('a lower Egress bandwidth fails both rate checks of a Pod %s, each measured near the lower rate', async (_, moved) => {
    work = mkdtempSync(join(tmpdir(), 'dpc-rate-'));
    const original = readFileSync(join(CONFORMANCE_DIR, `${CASE}.yaml`), 'utf8');
    const lowered = original.replace('bandwidth: {rate: 100M, burst: 200M}', 'bandwidth: {rate: 20M, burst: 20M}');
    expect(lowered).not.toBe(original);
    mkdirSync(join(work, 'antrea-egress'));
    writeFileSync(join(work, `${CASE}.yaml`), lowered);
    if (moved) {
      mkdirSync(join(work, 'fixtures'));
      const fixture = readFileSync(join(CONFORMANCE_DIR, 'fixtures', `${FIXTURE}.yaml`), 'utf8');
      writeFileSync(join(work, 'fixtures', `${FIXTURE}.yaml`), clientOnOtherNode(fixture));
    } else symlinkSync(join(CONFORMANCE_DIR, 'fixtures'), join(work, 'fixtures'));
    const lines: string[] = [];
    const summary = await runCases(work, { log: (l) => lines.push(l), tracesPerCheck: 0 });
    const text = lines.join('\n');
    expect(summary.failed, text).toBe(1);
    const senders = [...text.matchAll(/iperf3 -t (\d+) -O (\d+): sender ([\d.]+) Mbit\/s/g)].map((m) => ({ time: Number(m[1]), mbps: Number(m[3]) }));
    expect(senders.map((s) => s.time), text).toEqual([1, 10]);
    // 1 s: 20 Mbit of burst plus 20 Mbit/s; 10 s: the rate. A send buffer's worth above (a few Mbit) is allowed.
    expect(senders[0]!.mbps, text).toBeLessThan(60);
    expect(senders[1]!.mbps, text).toBeLessThan(30);
    expect(senders[1]!.mbps, text).toBeGreaterThan(10);
    expect(text.match(/: WRONG/g), text).toHaveLength(2);
    expect(text.match(/rateMbps: node-1's switch, the tunnel to \S+, node-2's switch/g) ?? [], text).toHaveLength(moved ? 2 : 0);
    rmSync(work, { recursive: true, force: true });
  }, 300_000);
});
