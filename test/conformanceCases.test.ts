/**
 * Every conformance case of the repository (conformance/), compiled by dpc and decided cell by cell on private
 * Open vSwitch instances. These truth tables were written outside this project; a wrong cell fails the suite.
 * Each case folder is a suite of its own, so a feature's cases run as soon as its folder joins conformance/.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { cleanupAll, requireOvs } from './harness/ovs.js';
import { CONFORMANCE_DIR, suitesIn } from './conformance/cases.js';
import { runCases } from './conformance/runner.js';

const HAVE_OVS = requireOvs();
const SUITES = suitesIn(CONFORMANCE_DIR);

afterAll(cleanupAll);

test('the repository holds the policy suites', () => {
  expect(SUITES).toEqual(expect.arrayContaining(['antrea-e2e', 'k8s-netpol-e2e']));
});

describe.skipIf(!HAVE_OVS)('conformance cases on real OVS', () => {
  test.each(SUITES)('%s', async (suite) => {
    const lines: string[] = [];
    const summary = await runCases(join(CONFORMANCE_DIR, suite), { log: (l) => lines.push(l) });
    const failed = summary.cases.filter((c) => !c.ok);
    // On failure, show the runner's own report of the wrong cases: matrices, wrong cells and traces.
    expect(failed.map((c) => c.id), failed.flatMap((c) => c.lines).join('\n')).toEqual([]);
    expect(summary.passed).toBeGreaterThan(0);
  }, 1_200_000);
});
