/**
 * The 24 node-policy conformance cases (conformance/antrea-node-e2e, from Antrea's NodeNetworkPolicy e2e tests),
 * compiled by dpc and decided on real kernels: each Node a network namespace holding its bundle's ipsets and
 * iptables, host-network Pods as sockets in it, real TCP, UDP and crafted SCTP packets (test/conformance/hostnet/).
 * Every load is also checked line for line against iptables-save and ipset save.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCases } from './conformance/runner.js';
import { HAVE_NETNS, netnsUnavailable } from './harness/netns.js';
import { REPO_ROOT } from './repoRoot.js';

const why = netnsUnavailable();
if (why && process.env.CI === 'true') throw new Error(`node-policy conformance cannot run: ${why}`);

describe.skipIf(!HAVE_NETNS)(`node-policy conformance on network namespaces${why ? ` (skipped: ${why})` : ''}`, () => {
  test('antrea-node-e2e', async () => {
    const lines: string[] = [];
    const summary = await runCases(join(REPO_ROOT, 'conformance', 'antrea-node-e2e'), { log: (l) => lines.push(l), jobs: 2 });
    const failed = summary.cases.filter((c) => !c.ok);
    expect(failed.map((c) => c.id), failed.flatMap((c) => c.lines).join('\n')).toEqual([]);
    expect(summary.passed).toBe(24);
  }, 900_000);
});
