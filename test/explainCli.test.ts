/**
 * `dpc explain` as a user runs it (issue 15 item 1): on a snapshot it compiles first and on a compiled output alike,
 * text naming every flow with its table, priority and origin (policy, rule, YAML line), JSON with the same walk, the
 * Traceflow view, and the usual exit codes (0 explained, 1 input errors, 2 usage errors).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildUnlessBuilt, runDpc } from './dpcCommand.js';
import { GOLDEN_DIR } from './golden/golden.js';

beforeAll(buildUnlessBuilt, 120_000);

const dpc = async (...args: string[]) => {
  const r = await runDpc(args);
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
};

const INPUT = join(GOLDEN_DIR, 'policies-antrea', 'input');
const FRONTEND = 'shop/frontend-6f7b9c-x2k4p';
const FRAUD = 'payments/fraud-check-9f8e-t3v6b';

describe('dpc explain', () => {
  test('text: each flow with table, priority and origin, the registers and the verdict', async () => {
    const r = await dpc('explain', INPUT, '--from', FRONTEND, '--to', FRAUD, '--protocol', 'TCP', '--port', '8080');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^packet: TCP 10\.10\.1\.10:10000 -> 10\.10\.1\.13:8080/);
    expect(r.stdout).toMatch(/^ *4\. SpoofGuard priority 200,ip,in_port=14102/m);
    // The deciding flow names its policy, rule and the YAML line of the policy.
    expect(r.stdout).toMatch(/IngressMetric priority 200,reg0=0x400\/0x400,reg3=0x[0-9a-f]+ actions=drop\n\s+from AntreaClusterNetworkPolicy:baseline-default-deny rule deny-cross-namespace \(Ingress Drop\) at .*policies\.yaml:\d+/);
    expect(r.stdout).toMatch(/^verdict: dropped: dropped on k8s-node-worker-1 in IngressMetric by AntreaClusterNetworkPolicy:baseline-default-deny/m);
    expect(r.stdout).toMatch(/registers at the end: .*reg3=0x/);
  });

  test('a compiled output gives the same walk as the snapshot (origins then lack YAML positions)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dpc-explain-'));
    try {
      expect((await dpc('compile', INPUT, '-o', join(out, 'o'))).status).toBe(0);
      const args = ['--from', FRONTEND, '--to', FRAUD, '--protocol', 'TCP', '--port', '8080', '--format', 'json'];
      const fromSnapshot = JSON.parse((await dpc('explain', INPUT, ...args)).stdout);
      const fromOutput = JSON.parse((await dpc('explain', join(out, 'o'), ...args)).stdout);
      const strip = (t: { nodes: { hops: { origin?: { position?: string } }[] }[] }) => JSON.stringify(t, (k, v) => (k === 'position' ? undefined : v));
      expect(strip(fromOutput)).toBe(strip(fromSnapshot));
      expect(fromSnapshot.verdict.kind).toBe('dropped');
      expect(fromSnapshot.nodes[0].hops.some((h: { origin?: { position?: string } }) => h.origin?.position)).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('an allowed packet across the tunnel: both Nodes, delivered, in the Traceflow view', async () => {
    const r = await dpc('explain', join(GOLDEN_DIR, 'policies-k8s', 'input'), '--from', FRONTEND, '--to', '10.10.2.12', '--protocol', 'ICMP', '--traceflow', '--format', 'json');
    expect(r.status).toBe(0);
    const tf = JSON.parse(r.stdout) as { results: { node: string; observations: { component: string; action: string }[] }[] };
    expect(tf.results.map((x) => x.node)).toEqual(['k8s-node-worker-1', 'k8s-node-worker-2']);
    expect(tf.results[0]!.observations[0]).toMatchObject({ component: 'SpoofGuard', action: 'Forwarded' });
    expect(tf.results[1]!.observations[0]).toMatchObject({ component: 'Forwarding', action: 'Received' });
  });

  test('usage errors exit 2, input errors exit 1', async () => {
    expect((await dpc('explain', INPUT, '--from', FRONTEND, '--to', FRAUD, '--protocol', 'TCP')).status).toBe(2);
    expect((await dpc('explain', INPUT, '--from', FRONTEND, '--to', FRAUD, '--protocol', 'ICMP', '--port', '80')).status).toBe(2);
    expect((await dpc('explain', INPUT, '--from', FRONTEND, '--protocol', 'UDP', '--port', '53')).status).toBe(2);
    expect((await dpc('explain', INPUT, '--from', FRONTEND, '--to', FRAUD, '--protocol', 'TCP', '--port', '80', '--state', 'half')).status).toBe(2);
    const missing = await dpc('explain', INPUT, '--from', 'shop/nobody', '--to', FRAUD, '--protocol', 'TCP', '--port', '80');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no Pod shop\/nobody/);
  });
});
