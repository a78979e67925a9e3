/**
 * "A collector that restarts loses at most the records of one poll interval", through the conformance runner: with
 * `restartCollectors` every Node's collector is away from just before a flowrecord check's connection until its
 * records have fallen due, and comes back empty; the records must still arrive, complete. An exporter that let go of
 * what fell due while the collector was away fails the same run.
 */
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import { FlowExporter } from '../runtime/flowexporter/exporter.js';
import { cleanupAll, requireOvs } from './harness/ovs.js';
import { CONFORMANCE_DIR } from './conformance/cases.js';
import { runCases } from './conformance/runner.js';

const HAVE_OVS = requireOvs();
afterAll(cleanupAll);
afterEach(() => vi.restoreAllMocks());

// Denied connections are exported once: a lost record does not come back with the next active timeout.
const IDS = ['antrea-flowexporter/inter-node-annp-egress-drop'];

async function run() {
  const lines: string[] = [];
  const summary = await runCases(join(CONFORMANCE_DIR, 'antrea-flowexporter'), { only: IDS, restartCollectors: true, verbose: true, log: (l) => lines.push(l) });
  return { summary, text: lines.filter((l) => !l.includes('warning:')).join('\n') };
}

describe.skipIf(!HAVE_OVS)('a collector restart through the conformance runner', () => {
  test('records due while the collector was away arrive once it is back', async () => {
    const { summary, text } = await run();
    expect(summary.failed, text).toBe(0);
    expect(text.match(/the collectors were away for \d+ ms after the connection, and came back empty/g)).toHaveLength(IDS.length);
  }, 300_000);

  test('an exporter that drops what fell due while the collector was away fails it', async () => {
    const original = FlowExporter.prototype.exportOnce;
    vi.spyOn(FlowExporter.prototype, 'exportOnce').mockImplementation(async function (this: FlowExporter, now?: number) {
      const wait = await original.call(this, now);
      const self = this as unknown as { process: { connected: boolean }; pending: unknown[] };
      if (!self.process.connected) self.pending.length = 0;
      return wait;
    });
    const { summary, text } = await run();
    expect(summary.failed, text).toBe(IDS.length);
    expect(text.match(/!! [\w-]+: no record of /g)?.length).toBeGreaterThanOrEqual(IDS.length);
  }, 300_000);
});
