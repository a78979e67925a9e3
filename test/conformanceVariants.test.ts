/**
 * The repository's conformance cases again, on clusters laid out differently. The truth tables do not change, so
 * any dependence on the shipped layout shows up as a wrong cell:
 * - other Node names, other Pod CIDRs and Node addresses, a third Node, and VXLAN instead of Geneve;
 * - every Pod of the policy suites on one Node: each Pod-to-Pod check that crossed the tunnel stays on the Node.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { cleanupAll, requireOvs } from './harness/ovs.js';
import { CONFORMANCE_DIR } from './conformance/cases.js';
import { runCases } from './conformance/runner.js';

const HAVE_OVS = requireOvs();

/** Text rewrites that keep every case's meaning: addresses and names move together, whole tokens only. */
const REWRITES: [RegExp, string][] = [
  [/\bnode-1\b/g, 'worker-b'],
  [/\bnode-2\b/g, 'worker-a'],
  [/\b10\.10\.(\d+)\.(\d+)/g, '172.31.$1.$2'],
  [/\b192\.168\.77\.(\d+)/g, '10.77.0.$1'],
  [/tunnelType: geneve/g, 'tunnelType: vxlan'],
];

const EXTRA_NODE = `
---
apiVersion: v1
kind: Node
metadata:
  name: worker-c
  labels: {kubernetes.io/hostname: worker-c, kubernetes.io/os: linux}
spec: {podCIDR: 172.31.9.0/24, podCIDRs: [172.31.9.0/24]}
status:
  addresses:
  - {type: InternalIP, address: 10.77.0.103}
`;

/** Rewrites every YAML file under `dir` (names too: a fixture named after a Node is referred to by its new name). */
function rewriteTree(dir: string, rewrites: readonly [RegExp, string | ((...m: string[]) => string)][], fixtureExtra = ''): void {
  const apply = (text: string) => rewrites.reduce((t, [from, to]) => t.replace(from, to as (...m: string[]) => string), text);
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      rewriteTree(path, rewrites, fixtureExtra);
      continue;
    }
    if (!/\.ya?ml$/.test(name)) continue;
    let text = apply(readFileSync(path, 'utf8'));
    if (dir.endsWith('fixtures')) text += fixtureExtra;
    const renamed = apply(name);
    if (renamed !== name) rmSync(path);
    writeFileSync(join(dir, renamed), text);
  }
}

/**
 * Every Pod of node-2 moved to node-1, its address from node-1's Pod CIDR (10.10.2.N becomes 10.10.1.N+100, in
 * /32 ipBlocks too; the /24 Pod CIDRs and the gateways stay). Only the policy suites: their verdicts do not depend
 * on where a Pod runs, where traceflow, Egress and TrafficControl cases check the path itself.
 */
const ONE_NODE: [RegExp, (...m: string[]) => string][] = [
  [/\bnodeName: node-2\b/g, () => 'nodeName: node-1'],
  [/\b10\.10\.2\.(\d+)\b(?!\/24)/g, (m, n) => (Number(n) >= 2 ? `10.10.1.${Number(n) + 100}` : m!)],
];
const POLICY_SUITES = ['antrea-e2e', 'k8s-netpol-e2e'];

let work: string | undefined;
afterAll(async () => {
  await cleanupAll();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function expectAllPass(dir: string, atLeast: number): Promise<void> {
  const lines: string[] = [];
  const summary = await runCases(dir, { log: (l) => lines.push(l) });
  const failed = summary.cases.filter((c) => !c.ok);
  expect(failed.map((c) => c.id), failed.flatMap((c) => c.lines).join('\n')).toEqual([]);
  expect(summary.passed).toBeGreaterThan(atLeast);
}

describe.skipIf(!HAVE_OVS)('conformance cases on another cluster layout', () => {
  test('every case still passes', async () => {
    work = mkdtempSync(join(tmpdir(), 'dpc-variant-'));
    cpSync(CONFORMANCE_DIR, work, { recursive: true });
    rewriteTree(work, REWRITES, EXTRA_NODE);
    await expectAllPass(work, 50);
  }, 1_800_000);

  test('every policy case still passes with all Pods on one Node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpc-one-node-'));
    try {
      for (const d of [...POLICY_SUITES, 'fixtures']) cpSync(join(CONFORMANCE_DIR, d), join(dir, d), { recursive: true });
      rewriteTree(dir, ONE_NODE);
      // The rewrite did move Pods: no fixture still places one on node-2.
      expect(readdirSync(join(dir, 'fixtures')).some((f) => /nodeName: node-2\b/.test(readFileSync(join(dir, 'fixtures', f), 'utf8')))).toBe(false);
      await expectAllPass(dir, 70);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 1_800_000);
});
