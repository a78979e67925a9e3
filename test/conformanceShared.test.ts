/**
 * Every conformance case in ../shared/conformance, compiled by dpc and decided cell by cell on private Open
 * vSwitch instances. These truth tables were written outside this project; a wrong cell fails the suite.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { cleanupAll, requireOvs } from './harness/ovs.js';
import { sharedDir } from './conformance/cases.js';
import { runCases } from './conformance/runner.js';

const HAVE_OVS = requireOvs();
const CONFORMANCE = join(sharedDir(), 'conformance');
const present = existsSync(CONFORMANCE);
if (!present && process.env.CI === 'true') throw new Error(`the shared conformance cases are missing: ${CONFORMANCE}`);
if (!present) process.stderr.write(`skipping shared conformance: ${CONFORMANCE} does not exist\n`);

afterAll(cleanupAll);

describe.skipIf(!HAVE_OVS || !present)('shared conformance cases on real OVS', () => {
  test.each(['k8s-netpol-e2e', 'antrea-e2e'])('%s', async (suite) => {
    const lines: string[] = [];
    const summary = await runCases(join(CONFORMANCE, suite), { log: (l) => lines.push(l) });
    const failed = summary.cases.filter((c) => !c.ok);
    // On failure, show the runner's own report of the wrong cases: matrices, wrong cells and traces.
    expect(failed.map((c) => c.id), failed.flatMap((c) => c.lines).join('\n')).toEqual([]);
    expect(summary.passed).toBeGreaterThan(0);
  }, 600_000);
});
