/**
 * The Egress rate checks (`snat` with rateMbps, test/conformance/snatRate.ts) measure the compiled meter and not
 * something else: antrea-egress/update-bandwidth as it is passes in conformanceCases.test.ts; here the same case
 * with the Egress's bandwidth lowered to 20M/20M must fail both checks, each with a sender rate far below the
 * expected one (a path that bypassed the meter would measure the unshaped rate and pass the first check or fail
 * high). Lowering, not removing, keeps the proof safe on a loaded machine, where an unshaped stream may be slow.
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
let work: string | undefined;
afterAll(async () => {
  await cleanupAll();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!HAVE_OVS)('Egress rate checks measure the meter', () => {
  test('a lower Egress bandwidth fails both rate checks, each measured near the lower rate', async () => {
    work = mkdtempSync(join(tmpdir(), 'dpc-rate-'));
    const original = readFileSync(join(CONFORMANCE_DIR, `${CASE}.yaml`), 'utf8');
    const lowered = original.replace('bandwidth: {rate: 100M, burst: 200M}', 'bandwidth: {rate: 20M, burst: 20M}');
    expect(lowered).not.toBe(original);
    mkdirSync(join(work, 'antrea-egress'));
    writeFileSync(join(work, `${CASE}.yaml`), lowered);
    symlinkSync(join(CONFORMANCE_DIR, 'fixtures'), join(work, 'fixtures'));
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
  }, 300_000);
});
