/**
 * TrafficControl on real Open vSwitch: the conformance cases (the `traffic` check kind), Antrea's redirect test
 * transcribed the same way, and pcaps of what the switch sends to each kind of target, decoded by tshark.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { stringify, parse } from 'yaml';
import { cleanupAll, requireOvs } from './harness/ovs.js';
import { runCases } from './conformance/runner.js';
import { REPO_ROOT } from './repoRoot.js';

const HAVE_OVS = requireOvs();
const CASES = join(REPO_ROOT, 'conformance', 'antrea-trafficcontrol');
const FIXTURE = join(REPO_ROOT, 'conformance', 'fixtures', 'antrea-xyz-tc.yaml');

afterAll(cleanupAll);

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

/** A case tree of its own: the in-repo fixture and the given case files. */
function caseTree(cases: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), 'dpc-tc-'));
  tmpDirs.push(root);
  mkdirSync(join(root, 'fixtures'));
  copyFileSync(FIXTURE, join(root, 'fixtures', 'antrea-xyz-tc.yaml'));
  for (const [name, doc] of Object.entries(cases)) {
    mkdirSync(dirname(join(root, 'cases', name)), { recursive: true });
    writeFileSync(join(root, 'cases', name), stringify(doc));
  }
  return join(root, 'cases');
}

async function run(dir: string): Promise<{ passed: number; failed: number; report: string }> {
  const lines: string[] = [];
  const s = await runCases(dir, { log: (l) => lines.push(l) });
  return { passed: s.passed, failed: s.failed, report: lines.join('\n') };
}

const caseDoc = (name: string): Record<string, unknown> => parse(readFileSync(join(CASES, `${name}.yaml`), 'utf8')) as Record<string, unknown>;

/**
 * Antrea's testRedirectToLocal (test/e2e/trafficcontrol_test.go, fc70f2bb, line 295; Apache-2.0), in the case
 * format: a veth pair target1/return1 on the control-plane Node, a TrafficControl redirecting both directions of
 * test-tc-pod to target1 and taking packets back from return1, 10 curls of /hostname from the collector Pod; the
 * counts on target1 (TX), return1 (RX) and the Pod's eth0 (RX+TX) agree within 10, and every curl gets the name.
 */
function redirectCase(): Record<string, unknown> {
  const local = caseDoc('mirror-to-local') as { steps: { objects: Record<string, unknown>[] }[] };
  const pods = local.steps[0]!.objects.filter((o) => o['kind'] === 'Pod');
  return {
    id: 'antrea-trafficcontrol/redirect-to-local',
    source: { repo: 'antrea-io/antrea', commit: 'fc70f2bb', file: 'test/e2e/trafficcontrol_test.go', symbol: 'testRedirectToLocal', line: 295, licence: 'Apache-2.0' },
    fixture: 'antrea-xyz-tc',
    steps: [
      {
        objects: [
          ...pods,
          {
            apiVersion: 'crd.antrea.io/v1alpha2',
            kind: 'TrafficControl',
            metadata: { name: 'tc-redirect-to-local' },
            spec: {
              appliedTo: { podSelector: { matchLabels: { 'tc-e2e': 'agnhost' } } },
              direction: 'Both',
              action: 'Redirect',
              targetPort: { device: { name: 'target1' } },
              returnPort: { device: { name: 'return1' } },
            },
          },
        ],
        checks: [
          {
            traffic: {
              from: 'x/test-packets-collector-pod',
              to: 'x/test-tc-pod',
              protocol: 'TCP',
              port: 8080,
              requests: 10,
              verdict: 'allow',
              redirectedTo: { port: 'target1', returnPort: 'return1', node: 'node-1', packets: 'pod', tolerance: 10 },
            },
          },
        ],
      },
    ],
  };
}

describe.skipIf(!HAVE_OVS)('TrafficControl conformance on real OVS', () => {
  test('the antrea-trafficcontrol cases (mirror to a local internal port, mirror to a remote VXLAN collector)', async () => {
    const r = await run(CASES);
    expect(r.failed, r.report).toBe(0);
    expect(r.passed).toBe(2);
    expect(r.report).toMatch(/node-1:test-port \(sent by OVS\): 200 \(expected 200/);
    expect(r.report).toMatch(/vxlan0 in x\/test-packets-collector-pod \(VXLAN decapsulated\): 200 \(expected 200/);
  }, 180_000);

  test("Antrea's redirect test: through target1 and back through return1 to the Pod, every request answered", async () => {
    const r = await run(caseTree({ 'redirect-to-local.yaml': redirectCase() }));
    expect(r.failed, r.report).toBe(0);
    const m = /target1 sent by OVS (\d+), return1 back into OVS (\d+), x\/test-tc-pod received\+sent (\d+)/.exec(r.report);
    expect(m, r.report).not.toBeNull();
    // Four segments a request on the Pod's interface (SYN, GET in; SYN-ACK, answer out), every one redirected.
    expect(m!.slice(1).map(Number)).toEqual([40, 40, 40]);
    expect(r.report).toMatch(/answered by x\/test-tc-pod: 10 of 10/);
  }, 180_000);

  test('the checks can fail: mirroring one direction only counts half', async () => {
    const doc = caseDoc('mirror-to-local') as { steps: { objects: { kind: string; spec?: { direction?: string } }[] }[] };
    doc.steps[0]!.objects.find((o) => o.kind === 'TrafficControl')!.spec!.direction = 'Ingress';
    const r = await run(caseTree({ 'ingress-only.yaml': doc }));
    expect(r.failed).toBe(1);
    expect(r.report).toMatch(/node-1:test-port \(sent by OVS\): 100 \(expected 200 ± 10\) WRONG/);
  }, 180_000);

  test('the checks can fail: a Redirect without a way back answers nothing', async () => {
    const doc = redirectCase() as { steps: { objects: { kind: string; spec?: Record<string, unknown> }[] }[] };
    const spec = doc.steps[0]!.objects.find((o) => o.kind === 'TrafficControl')!.spec!;
    spec['returnPort'] = { device: { name: 'return2' } }; // return1 is attached to nothing: the veth's far end is lost
    const r = await run(caseTree({ 'no-return.yaml': doc }));
    expect(r.failed).toBe(1);
    expect(r.report).toMatch(/answered by x\/test-tc-pod: 0 of 10 WRONG/);
  }, 180_000);
});

