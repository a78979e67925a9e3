/**
 * The repository's conformance cases again, on a cluster laid out differently: other Node names, other Pod CIDRs
 * and Node addresses, a third Node, and VXLAN instead of Geneve. The truth tables do not change, so any
 * dependence on the shipped layout shows up as a wrong cell.
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

function rewriteTree(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      rewriteTree(path);
      continue;
    }
    if (!/\.ya?ml$/.test(name)) continue;
    let text = readFileSync(path, 'utf8');
    for (const [from, to] of REWRITES) text = text.replace(from, to);
    if (dir.endsWith('fixtures')) text += EXTRA_NODE;
    writeFileSync(path, text);
  }
}

let work: string | undefined;
afterAll(async () => {
  await cleanupAll();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!HAVE_OVS)('conformance cases on another cluster layout', () => {
  test('every case still passes', async () => {
    work = mkdtempSync(join(tmpdir(), 'dpc-variant-'));
    cpSync(CONFORMANCE_DIR, work, { recursive: true });
    rewriteTree(work);
    const lines: string[] = [];
    const summary = await runCases(work, { log: (l) => lines.push(l) });
    const failed = summary.cases.filter((c) => !c.ok);
    expect(failed.map((c) => c.id), failed.flatMap((c) => c.lines).join('\n')).toEqual([]);
    expect(summary.passed).toBeGreaterThan(50);
  }, 1_800_000);
});
