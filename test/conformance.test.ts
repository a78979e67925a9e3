// The conformance runner (test/conformance/): case expansion, the prober on hand-written flows in real Open vSwitch
// instances (independent of what dpc compiles), and whole runs on dpc's own bundles for cases without policies.

import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CompileResult } from '../compiler/compile.js';
import type { NodeBundle } from '../targets/bundle/bundle.js';
import { cleanupAll, requireOvs } from './harness/ovs.js';
import { ethernet, ipv4, parseFrame } from './harness/packets.js';
import { findFixture, loadCase, loadCases, patternMatches, CONFORMANCE_DIR, sharedDir, type Case, type MatrixCheck } from './conformance/cases.js';
import { Cluster, commonPrefix, controllerIds, PcapCursor } from './conformance/cluster.js';
import { crc32c, flowIdentity, probeFrame, sctpChecksumOk, sctpInit } from './conformance/frames.js';
import { decodeMetadataRegs, decodePacketIn2, isRejectPacketIn } from './conformance/openflow.js';
import { Attributor, parseConntrack, parseFlowStats, policyCookieRule, Prober, traceExcerpt } from './conformance/probe.js';
import { checkInvalid, conntrackKeys, planBatches, renderMatrix, runCases, SourcePorts, verdictMatches } from './conformance/runner.js';
import { JsonStreamSplitter } from './conformance/unixctl.js';

const here = dirname(fileURLToPath(import.meta.url));
const ovsAvailable = requireOvs();

afterAll(cleanupAll);

// ---------------------------------------------------------------------------------------------
// Case files written on the fly

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

function tempTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'dpc-conformance-'));
  tmpDirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

const FIXTURE = `
apiVersion: v1
kind: Node
metadata: {name: n1}
spec: {podCIDR: 10.1.1.0/24}
status: {addresses: [{type: InternalIP, address: 192.168.1.1}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: x, labels: {ns: x}}
---
apiVersion: v1
kind: Namespace
metadata: {name: y, labels: {ns: y}}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {pod: a}}
spec: {nodeName: n1}
status: {podIP: 10.1.1.2}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {pod: b}}
spec: {nodeName: n1}
status: {podIP: 10.1.1.3}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: y, labels: {pod: a}}
spec: {nodeName: n1}
status: {podIP: 10.1.1.4}
`;

const NEW_POD = `
      - apiVersion: v1
        kind: Pod
        metadata: {name: c, namespace: y, labels: {pod: c}}
        spec: {nodeName: n1}
        status: {podIP: 10.1.1.5}`;

function caseText(steps: string): string {
  return `id: t/case\nfixture: mini\nsteps:\n${steps}\n`;
}

function loadInline(steps: string, extra: Record<string, string> = {}): Case {
  const root = tempTree({ 'fixtures/mini.yaml': FIXTURE, 'cases/c.yaml': caseText(steps), ...extra });
  return loadCase(join(root, 'cases/c.yaml'), { root });
}

function verdictsOf(check: MatrixCheck, port?: number): Record<string, string> {
  return Object.fromEntries(check.cells.filter((c) => c.port === port).map((c) => [`${c.from}>${'pod' in c.to ? c.to.pod : c.to.ip}`, c.expected]));
}

describe('case expansion', () => {
  test('override patterns', () => {
    expect(patternMatches('x/a', 'x/a')).toBe(true);
    expect(patternMatches('x/a', 'y/a')).toBe(false);
    expect(patternMatches('x/*', 'x/b')).toBe(true);
    expect(patternMatches('x/*', 'y/b')).toBe(false);
    expect(patternMatches('*/a', 'y/a')).toBe(true);
    expect(patternMatches('*/a', 'y/b')).toBe(false);
    expect(patternMatches('*/*', 'z/q')).toBe(true);
    expect(() => patternMatches('x', 'x/a')).toThrow(/bad Pod pattern/);
  });

  test('a matrix covers every ordered pair but self, each port separately, default first and overrides in order', () => {
    const c = loadInline(`
  - checks:
      - matrix:
          protocol: tcp
          ports: [80, 81]
          default: allow
          overrides:
            - {from: "*/*", to: x/a, verdict: drop}
            - {from: x/b, to: x/a, verdict: allow}
            - {from: "y/*", to: "*/*", verdict: reject}
            - {from: "*/a", to: x/b, verdict: deny}`);
    const m = c.steps[0]!.checks[0] as MatrixCheck;
    expect(m.protocol).toBe('TCP');
    expect(m.pods).toEqual(['x/a', 'x/b', 'y/a']);
    expect(m.cells).toHaveLength(12);
    for (const port of [80, 81]) {
      expect(verdictsOf(m, port)).toEqual({
        'x/a>x/b': 'deny', // */a -> x/b, last
        'x/a>y/a': 'allow',
        'x/b>x/a': 'allow', // the later x/b override wins over */*
        'x/b>y/a': 'allow',
        'y/a>x/a': 'reject', // y/* after */* -> x/a
        'y/a>x/b': 'deny', // */a -> x/b after y/*
      });
    }
  });

  test('matrix pods default to the fixture Pods plus the step Pods; an explicit list restricts and orders them', () => {
    const c = loadInline(`
  - objects:${NEW_POD}
    checks:
      - matrix: {protocol: UDP, ports: [53], default: drop}
      - matrix: {pods: [y/c, x/a], protocol: SCTP, ports: [80], sourcePort: 40000, default: allow}
  - checks:
      - matrix: {protocol: UDP, ports: [53], default: drop}`);
    const [m1, m2] = c.steps[0]!.checks as MatrixCheck[];
    expect(m1!.pods).toEqual(['x/a', 'x/b', 'y/a', 'y/c']);
    expect(m1!.cells).toHaveLength(12);
    expect(m1!.cells.every((cell) => cell.expected === 'drop' && cell.port === 53)).toBe(true);
    expect(m2!.pods).toEqual(['y/c', 'x/a']);
    expect(m2!.cells.map((cell) => [cell.from, cell.to, cell.sourcePort])).toEqual([
      ['y/c', { pod: 'x/a' }, 40000],
      ['x/a', { pod: 'y/c' }, 40000],
    ]);
    expect(c.steps[0]!.pods.find((p) => p.key === 'y/c')).toMatchObject({ fromStep: true, node: 'n1', ip: '10.1.1.5' });
    // The added Pod is gone in the next step, which does not list it.
    expect((c.steps[1]!.checks[0] as MatrixCheck).pods).toEqual(['x/a', 'x/b', 'y/a']);
    expect(c.steps[0]!.sources.map((s) => s.name)).toEqual(['fixtures/mini.yaml', 'cases/c.yaml#step1']);
    expect(c.steps[0]!.sources[1]!.text).toContain('name: c');
    expect(c.steps[0]!.stepObjects).toEqual([{ apiVersion: 'v1', kind: 'Pod', namespace: 'y', name: 'c', firstLine: 1, lastLine: expect.any(Number) as number }]);
    expect(c.steps[1]!.sources).toHaveLength(1);
  });

  test('relabel replaces the labels of fixture Pods and Namespaces for that step only', () => {
    const c = loadInline(`
  - relabel:
      - {pod: x/b, labels: {pod: b, new: "true"}}
      - {namespace: y, labels: {ns: y, env: prod}}
    checks: []
  - checks: []`);
    const [s1, s2] = c.steps;
    const text = s1!.sources[0]!.text;
    expect(s1!.sources[0]!.name).toBe('fixtures/mini.yaml (relabelled)');
    expect(text).toMatch(/name: b\n\s+namespace: x\n\s+labels:\n\s+pod: b\n\s+new: "true"/);
    expect(text).toMatch(/name: y\n\s+labels:\n\s+ns: y\n\s+env: prod/);
    expect(s1!.pods.find((p) => p.key === 'x/b')?.labels).toEqual({ pod: 'b', new: 'true' });
    expect(s2!.sources[0]!.text).toBe(FIXTURE);
    expect(s2!.pods.find((p) => p.key === 'x/b')?.labels).toEqual({ pod: 'b' });
    expect(() => loadInline(`
  - relabel: [{pod: x/nope, labels: {}}]`)).toThrow(/no Pod x\/nope in fixture/);
  });

  test('flow, attribution and invalid steps', () => {
    const c = loadInline(`
  - checks:
      - flow: {from: x/a, to: {ip: 192.0.2.10}, protocol: TCP, port: 80, verdict: drop}
      - flow: {from: x/a, to: y/a, protocol: UDP, port: 53, sourcePort: 1234, verdict: allow}
      - flow: {from: x/a, to: y/a, protocol: ICMP, icmp: {type: 8, code: 0}, verdict: reject}
      - flow: {from: x/a, to: y/a, protocol: ICMP, verdict: deny}
      - attribution: {from: y/a, to: x/a, protocol: TCP, port: 80, policy: AntreaClusterNetworkPolicy/acnp, rule: r1, action: Drop}
      - attribution: {from: y/a, to: x/a, protocol: TCP, port: 80, policy: none}
  - objects:
      - {apiVersion: crd.antrea.io/v1beta1, kind: NetworkPolicy, metadata: {name: bad, namespace: x}, spec: {}}
    invalid: {apiVersion: crd.antrea.io/v1beta1, kind: NetworkPolicy, name: bad}`);
    const checks = c.steps[0]!.checks;
    expect(checks.map((ch) => ch.kind)).toEqual(['flow', 'flow', 'flow', 'flow', 'attribution', 'attribution']);
    expect(checks[0]).toMatchObject({ cell: { from: 'x/a', to: { ip: '192.0.2.10' }, protocol: 'TCP', port: 80, expected: 'drop' } });
    expect(checks[1]).toMatchObject({ cell: { sourcePort: 1234, expected: 'allow' } });
    expect(checks[2]).toMatchObject({ cell: { protocol: 'ICMP', icmp: { type: 8, code: 0 }, expected: 'reject' } });
    expect(checks[4]).toMatchObject({ probe: { from: 'y/a', to: { pod: 'x/a' } }, policy: 'AntreaClusterNetworkPolicy/acnp', rule: 'r1', action: 'Drop' });
    expect(c.steps[1]!.invalid).toEqual({ apiVersion: 'crd.antrea.io/v1beta1', kind: 'NetworkPolicy', name: 'bad' });
  });

  test('malformed cases are refused with the place named', () => {
    expect(() => loadInline(`
  - checks: [{matrix: {protocol: TCP, ports: [80]}}]`)).toThrow(/steps\[0\]\.checks\[0\]\.matrix\.default/);
    expect(() => loadInline(`
  - checks: [{flow: {from: x/a, to: q/z, protocol: TCP, port: 80, verdict: allow}}]`)).toThrow(/no Pod q\/z/);
    expect(() => loadInline(`
  - checks: [{flow: {from: x/a, to: x/b, protocol: TCP, port: 80, verdict: maybe}}]`)).toThrow(/verdict: must be one of/);
    expect(() => loadInline(`
  - checks: [{attribution: {from: x/a, to: x/b, protocol: TCP, port: 80, policy: NetworkPolicy/x}}]`)).toThrow(/not none/);
  });

  test('flowrecord: a connection with a verdict, and per Node the fields from the README table', () => {
    const c = loadInline(`
  - checks:
      - flowrecord:
          from: x/a
          to: y/a
          protocol: UDP
          port: 53
          verdict: reject
          records:
            - node: node-2
              fields: {destinationPodName: a, ingressNetworkPolicyRuleAction: 3, ingressNetworkPolicyRuleName: ''}`);
    expect(c.steps[0]!.checks[0]).toMatchObject({
      kind: 'flowrecord',
      cell: { from: 'x/a', to: { pod: 'y/a' }, protocol: 'UDP', port: 53, expected: 'reject' },
      records: [{ node: 'node-2', fields: { destinationPodName: 'a', ingressNetworkPolicyRuleAction: 3, ingressNetworkPolicyRuleName: '' } }],
    });
    const bad = (fields: string, protocol = 'TCP, port: 80') => () =>
      loadInline(`
  - checks: [{flowrecord: {from: x/a, to: x/b, protocol: ${protocol}, verdict: allow, records: [{node: n, fields: ${fields}}]}}]`);
    expect(bad('{podName: a}')).toThrow(/fields\.podName: is not a field/);
    expect(bad('{flowType: "2"}')).toThrow(/fields\.flowType: must be an integer/);
    expect(bad('{sourcePodName: 1}')).toThrow(/fields\.sourcePodName: must be a string/);
    expect(bad('{}', 'ICMP')).toThrow(/flowrecord\.protocol: must be TCP, UDP or SCTP/);
  });

  test('the fixture comes from the nearest fixtures/ folder at or above the case', () => {
    const root = tempTree({
      'fixtures/mini.yaml': FIXTURE,
      'a/b/c.yaml': caseText('  - checks: []'),
      'a/fixtures/mini.yaml': FIXTURE.replace('10.1.1.2', '10.1.1.9'),
      'd/e.yaml': caseText('  - checks: []').replace('t/case', 't/other'),
    });
    expect(findFixture(join(root, 'a/b'), 'mini')).toBe(join(root, 'a/fixtures/mini.yaml'));
    expect(findFixture(join(root, 'd'), 'mini')).toBe(join(root, 'fixtures/mini.yaml'));
    expect(findFixture(join(root, 'd'), 'nope')).toBeUndefined();
    const { cases, errors } = loadCases(root);
    expect(errors).toEqual([]);
    expect(cases.map((c) => c.id)).toEqual(['t/case', 't/other']);
    expect(cases[0]!.steps[0]!.pods.find((p) => p.key === 'x/a')?.ip).toBe('10.1.1.9');
    expect(loadCases(root, { only: ['t/other'] }).cases.map((c) => c.id)).toEqual(['t/other']);
  });

  test('the upstream folder the sync check compares with is looked for beside the repository', () => {
    const saved = process.env.DPC_SHARED_DIR;
    delete process.env.DPC_SHARED_DIR;
    try {
      expect(sharedDir()).toBe(join(here, '..', '..', 'shared'));
    } finally {
      if (saved !== undefined) process.env.DPC_SHARED_DIR = saved;
    }
  });
});

describe('runner pieces', () => {
  test('deny accepts drop and reject; a misdelivered packet matches nothing', () => {
    expect(verdictMatches('deny', 'drop')).toBe(true);
    expect(verdictMatches('deny', 'reject')).toBe(true);
    expect(verdictMatches('deny', 'allow')).toBe(false);
    expect(verdictMatches('drop', 'reject')).toBe(false);
    expect(verdictMatches('allow', 'misdelivered')).toBe(false);
    expect(verdictMatches('drop', 'misdelivered')).toBe(false);
  });

  test('source ports are deterministic, ephemeral, and never a probed port', () => {
    const ports = new SourcePorts(new Set([33001]));
    expect([ports.take(), ports.take(), ports.take()]).toEqual([33000, 33002, 33003]);
    const taken = Array.from({ length: 40000 }, () => ports.take());
    expect(taken.filter((p) => p < 32768 || p > 60999 || p === 33001)).toEqual([]);
    expect(taken).toContain(32768); // wrapped around after 60999
  });

  test('batches keep probes that would share a conntrack entry apart (SCTP is tracked per address pair)', () => {
    const tcp = (sp: number, src: string, dst: string) => ({ k: conntrackKeys({ from: '', to: { pod: '' }, protocol: 'TCP', port: 80 }, src, dst, sp) });
    const sctp = (port: number, src: string, dst: string) => ({ k: conntrackKeys({ from: '', to: { pod: '' }, protocol: 'SCTP', port }, src, dst, 33000 + port) });
    expect(planBatches([tcp(33000, 'a', 'b'), tcp(33001, 'a', 'b'), tcp(33000, 'b', 'a')], (i) => i.k)).toHaveLength(1);
    expect(planBatches([tcp(40000, 'a', 'b'), tcp(40000, 'a', 'b')], (i) => i.k)).toHaveLength(2);
    const b = planBatches([sctp(80, 'a', 'b'), sctp(81, 'a', 'b'), sctp(80, 'b', 'a'), sctp(80, 'a', 'c')], (i) => i.k);
    expect(b.map((x) => x.length)).toEqual([2, 1, 1]);
    expect(planBatches([1, 2, 3, 4, 5], () => [], 2).map((x) => x.length)).toEqual([2, 2, 1]);
  });

  test('an invalid step must be refused naming that object, apiVersion included', () => {
    const c = loadInline(`
  - checks: []
  - objects:
      - {apiVersion: v1, kind: Pod, metadata: {name: p, namespace: x}, spec: {nodeName: n1}, status: {podIP: 10.1.1.7}}
      - {apiVersion: crd.antrea.io/v1beta1, kind: NetworkPolicy, metadata: {name: bad, namespace: x}, spec: {}}
    invalid: {apiVersion: crd.antrea.io/v1beta1, kind: NetworkPolicy, name: bad}`);
    const step = c.steps[1]!;
    const line = step.stepObjects[1]!.firstLine;
    const result = (diags: CompileResult['diagnostics'], ok = false): CompileResult =>
      ({ ok, diagnostics: diags, bundles: [], manifest: '', stats: { objects: 0, nodes: 0, pods: 0 } }) as CompileResult;
    const err = (kind: string, name: string, file = step.stepSourceName!, l = line) => ({
      severity: 'error' as const,
      code: 'DPC9',
      message: 'bad',
      object: { kind, namespace: 'x', name },
      pos: { file, line: l + 1, col: 3 },
    });
    expect(checkInvalid(step, result([err('NetworkPolicy', 'bad')])).ok).toBe(true);
    expect(checkInvalid(step, result([err('NetworkPolicy', 'other')])).ok).toBe(false);
    // Same kind and name, but the error points into the document of another apiVersion.
    expect(checkInvalid(step, result([err('NetworkPolicy', 'bad', step.stepSourceName!, step.stepObjects[0]!.firstLine)])).ok).toBe(false);
    expect(checkInvalid(step, result([], true)).detail).toMatch(/compiled without error/);
  });

  test('a wrong cell is marked with what was expected', () => {
    const m: MatrixCheck = { kind: 'matrix', label: '', protocol: 'TCP', ports: [80], pods: ['x/a', 'x/b'], cells: [] };
    const outcome = (actual: 'allow' | 'drop') => ({ probe: { spec: { from: '', to: { pod: '' }, protocol: 'TCP' as const }, srcPort: 1 }, actual, summary: '', legs: [], emissions: [], packetIns: [], notes: [] });
    const lines = renderMatrix(
      m,
      [
        { cell: { from: 'x/a', to: { pod: 'x/b' }, protocol: 'TCP', port: 80, expected: 'allow' }, outcome: outcome('allow'), ok: true },
        { cell: { from: 'x/b', to: { pod: 'x/a' }, protocol: 'TCP', port: 80, expected: 'allow' }, outcome: outcome('drop'), ok: false },
      ],
      80,
    );
    expect(lines[1]).toMatch(/^\s+x\/a\s+-\s+\.$/);
    expect(lines[2]).toMatch(/^\s+x\/b\s+!X\(allow\)\s+-$/);
  });
});

describe('dataplane helpers', () => {
  test('CRC32c matches the RFC 3720 vectors, and SCTP INIT carries it little end first', () => {
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    const init = sctpInit({ srcPort: 40000, dstPort: 80 });
    expect(init.readUInt16BE(0)).toBe(40000);
    expect(init[12]).toBe(1);
    expect(sctpChecksumOk(init)).toBe(true);
    init.writeUInt8(init.readUInt8(20) ^ 1, 20);
    expect(sctpChecksumOk(init)).toBe(false);
  });

  test('probe frames decode to the identity they were built with', () => {
    const base = { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '10.0.0.1', dstIp: '10.0.0.2', srcPort: 40001, ipId: 7 };
    const tcp = parseFrame(probeFrame({ ...base, protocol: 'TCP', dstPort: 80 }));
    expect(tcp.tcp).toMatchObject({ flags: 'S', checksumOk: true, srcPort: 40001, dstPort: 80 });
    expect(tcp.ipv4?.id).toBe(7);
    expect(flowIdentity(parseFrame(probeFrame({ ...base, protocol: 'SCTP', dstPort: 81 })))).toMatchObject({ proto: 132, srcPort: 40001, dstPort: 81, ipId: 7 });
    expect(flowIdentity(parseFrame(probeFrame({ ...base, protocol: 'UDP', dstPort: 53 })))).toMatchObject({ proto: 17, dstPort: 53 });
    const icmp = parseFrame(probeFrame({ ...base, protocol: 'ICMP', icmp: { type: 13, code: 0 } }));
    expect(icmp.icmp).toMatchObject({ type: 13, code: 0, id: 40001, checksumOk: true });
  });

  test('parsers of OVS output and of packet-ins', () => {
    const stats = parseFlowStats(' cookie=0x1020000000009, duration=1.5s, table=26, n_packets=2, n_bytes=120, idle_age=0, priority=200,reg0=0x400/0x400,reg3=0x9 actions=drop\n');
    expect([...stats.values()]).toEqual([{ key: 'cookie=0x1020000000009, table=26, priority=200,reg0=0x400/0x400,reg3=0x9 actions=drop', cookie: 0x1020000000009n, table: 26, packets: 2, actions: 'drop' }]);
    expect(policyCookieRule(0x1020000000009n)).toBe(9);
    expect(policyCookieRule(0x1010000000009n)).toBeUndefined();
    expect(policyCookieRule(0x1020000000000n)).toBeUndefined();
    const ct = parseConntrack(
      'tcp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=33000,dport=80),reply=(src=10.0.0.2,dst=10.0.0.1,sport=80,dport=33000),zone=65520,mark=3,labels=0x700000005,protoinfo=(state=SYN_SENT)\n' +
        'icmp,orig=(src=10.0.0.1,dst=10.0.0.2,id=33001,type=8,code=0),reply=(src=10.0.0.2,dst=10.0.0.1,id=33001,type=0,code=0),zone=65520\n',
    );
    expect(ct).toMatchObject([
      { proto: 'tcp', src: '10.0.0.1', dst: '10.0.0.2', sport: 33000, dport: 80, zone: 65520, mark: 3, labels: 0x700000005n },
      { proto: 'icmp', sport: 33001, labels: 0n },
    ]);
    expect(controllerIds('a actions=controller(reason=no_match,id=4242,userdata=01.02)\nb actions=controller(max_len=128)\nc actions=output:1')).toEqual([0, 4242]);
    expect(commonPrefix(['192.168.77.101', '192.168.77.102'])).toBe(24);
    expect(commonPrefix(['10.0.0.1', '10.0.1.1'])).toBe(23);

    // NXT_PACKET_IN2 properties: packet, table id, cookie (padded), metadata (reg0 and reg3), userdata.
    const prop = (type: number, value: Buffer): Buffer => {
      const h = Buffer.alloc(4);
      h.writeUInt16BE(type, 0);
      h.writeUInt16BE(4 + value.length, 2);
      const p = Buffer.concat([h, value]);
      return Buffer.concat([p, Buffer.alloc((8 - (p.length % 8)) % 8)]);
    };
    const oxm = (field: number, value: number): Buffer => {
      const b = Buffer.alloc(8);
      b.writeUInt32BE((0x0001 << 16) | (field << 9) | 4, 0);
      b.writeUInt32BE(value >>> 0, 4);
      return b;
    };
    const cookie = Buffer.alloc(12);
    cookie.writeBigUInt64BE(0x1020000000000n, 4);
    const body = Buffer.concat([
      prop(0, Buffer.from('abcd')),
      prop(3, Buffer.from([28])),
      prop(4, cookie),
      prop(6, Buffer.concat([oxm(0, 0x4400000), oxm(3, 11)])),
      prop(7, Buffer.from([1, 2])),
    ]);
    const pin = decodePacketIn2(body, 4242);
    expect(pin).toMatchObject({ packet: Buffer.from('abcd'), tableId: 28, cookie: 0x1020000000000n, userdata: Buffer.from([1, 2]), controllerId: 4242 });
    expect(pin.regs[0]).toBe(0x4400000);
    expect(pin.regs[3]).toBe(11);
    expect(isRejectPacketIn(pin)).toBe(true);
    expect(isRejectPacketIn({ ...pin, userdata: Buffer.from([1, 1]), regs: [0x2000000] })).toBe(false);
    // OF1.5 packs registers in pairs (xreg0 = reg0:reg1).
    const xreg = Buffer.alloc(12);
    xreg.writeUInt32BE(((0x8001 << 16) | (0 << 9) | 8) >>> 0, 0);
    xreg.writeUInt32BE(0x4000000, 4);
    xreg.writeUInt32BE(0x5, 8);
    expect(decodeMetadataRegs(xreg).slice(0, 2)).toEqual([0x4000000, 5]);
  });

  test('JSON-RPC replies are split out of a byte stream', () => {
    const s = new JsonStreamSplitter();
    expect(s.push('{"id":1,"result":"a}{\\"b"}{"id"')).toEqual(['{"id":1,"result":"a}{\\"b"}']);
    expect(s.push(':2,"result":[1,{}]}')).toEqual(['{"id":2,"result":[1,{}]}']);
  });

  test('pcap cursor returns each frame once', () => {
    const dir = tempTree({});
    const path = join(dir, 'p.pcap');
    const cursor = new PcapCursor(path);
    expect(cursor.read()).toEqual({ frames: [], partial: false });
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0);
    const rec = (b: Buffer) => {
      const h = Buffer.alloc(16);
      h.writeUInt32LE(b.length, 8);
      h.writeUInt32LE(b.length, 12);
      return Buffer.concat([h, b]);
    };
    writeFileSync(path, Buffer.concat([header, rec(Buffer.from('one'))]));
    expect(cursor.read().frames.map(String)).toEqual(['one']);
    writeFileSync(path, Buffer.concat([header, rec(Buffer.from('one')), rec(Buffer.from('two')), rec(Buffer.from('three')).subarray(0, 20)]));
    expect(cursor.read()).toMatchObject({ frames: [Buffer.from('two')], partial: true });
    writeFileSync(path, Buffer.concat([header, rec(Buffer.from('one')), rec(Buffer.from('two')), rec(Buffer.from('three'))]));
    expect(cursor.read().frames.map(String)).toEqual(['three']);
  });

  test('trace excerpts keep the flows and the datapath actions', () => {
    const text = [
      'Flow: tcp,in_port=3',
      '',
      'bridge("br-int")',
      '----------------',
      ' 0. ip, priority 200, cookie 0x1010000000000',
      '    goto_table:3',
      '     -> explanation',
      '26. reg0=0x400/0x400,reg3=0x9, priority 200, cookie 0x1020000000009',
      '    drop',
      '',
      'Final flow: unchanged',
      'Datapath actions: drop',
    ].join('\n');
    expect(traceExcerpt(text)).toEqual([' 0. ip, priority 200, cookie 0x1010000000000', '    goto_table:3', '26. reg0=0x400/0x400,reg3=0x9, priority 200, cookie 0x1020000000009', '    drop', 'Datapath actions: drop']);
  });
});

// ---------------------------------------------------------------------------------------------
// The prober on hand-written flows: two Nodes, a real Geneve tunnel between them

interface HandNode {
  name: string;
  ip: string;
  cidr: string;
  gwIp: string;
  gwMac: string;
  pods: { namespace: string; name: string; interface: string; ofport: number; mac: string; ip: string }[];
  flows: string[];
  rules: { id: number; policy: { type: string; namespace?: string; name: string }; rule?: string; direction: string; action: string }[];
}

function handBundle(n: HandNode): NodeBundle {
  const transact = [
    'Open_vSwitch',
    { op: 'insert', table: 'Interface', 'uuid-name': 'ti', row: { name: 'antrea-tun0', type: 'geneve', ofport_request: 32768, options: ['map', [['key', 'flow'], ['remote_ip', 'flow']]] } },
    { op: 'insert', table: 'Port', 'uuid-name': 'tp', row: { name: 'antrea-tun0', interfaces: ['named-uuid', 'ti'] } },
    { op: 'insert', table: 'Interface', 'uuid-name': 'gi', row: { name: 'antrea-gw0', type: 'internal', ofport_request: 32769, mac: n.gwMac } },
    { op: 'insert', table: 'Port', 'uuid-name': 'gp', row: { name: 'antrea-gw0', interfaces: ['named-uuid', 'gi'] } },
    { op: 'mutate', table: 'Bridge', where: [['name', '==', 'br-int']], mutations: [['ports', 'insert', ['set', [['named-uuid', 'tp'], ['named-uuid', 'gp']]]]] },
  ];
  const meta = {
    node: { name: n.name, internalIP: n.ip, podCIDR: n.cidr, gatewayIP: n.gwIp },
    bridge: 'br-int',
    tables: {},
    inventory: { gateway: { name: 'antrea-gw0', ofport: 32769, mac: n.gwMac }, tunnel: { name: 'antrea-tun0', ofport: 32768 }, pods: n.pods },
  };
  const files = new Map<string, string>([
    ['bundle.json', JSON.stringify(meta)],
    ['ovsdb/transact.json', JSON.stringify(transact)],
    ['openflow/flows.txt', `${n.flows.join('\n')}\n`],
    ['openflow/groups.txt', ''],
    ['openflow/meters.txt', 'meter=256,pktps,burst,bands=type=drop,rate=5000,burst_size=10000\n'],
    ['visibility/rules.json', JSON.stringify({ rules: n.rules })],
  ]);
  return { node: n.name, files, flowCount: n.flows.length, podCount: n.pods.length, digest: '' };
}

// Node A: Pods a1, a2; its "policy": TCP 80 allowed by rule 7 (label in ct_label), TCP 81 dropped by rule 9,
// TCP 82 rejected by rule 11 (controller with Antrea's reject operation), TCP 84 sent to the wrong Pod.
// Node B: Pod b1; TCP 83 arriving through the tunnel is dropped by rule 12 (an isolation-style drop flow).
const A: HandNode = {
  name: 'na',
  ip: '192.168.50.1',
  cidr: '10.50.1.0/24',
  gwIp: '10.50.1.1',
  gwMac: '02:aa:00:00:00:01',
  pods: [
    { namespace: 'x', name: 'a1', interface: 'a1-port', ofport: 3, mac: '02:aa:00:00:01:0b', ip: '10.50.1.11' },
    { namespace: 'x', name: 'a2', interface: 'a2-port', ofport: 4, mac: '02:aa:00:00:01:0c', ip: '10.50.1.12' },
  ],
  flows: [
    'table=0,priority=200,ip actions=ct(table=1,zone=65520)',
    'table=1,priority=210,ct_state=+inv+trk,ip actions=drop',
    'table=1,priority=200,ct_state=+new+trk,tcp,tp_dst=80 actions=ct(commit,table=2,zone=65520,exec(set_field:0x7->ct_label))',
    'cookie=0x1020000000009,table=1,priority=200,ct_state=+new+trk,tcp,tp_dst=81 actions=drop',
    'cookie=0x102000000000b,table=1,priority=200,ct_state=+new+trk,tcp,tp_dst=82 actions=meter:256,set_field:0xb->reg3,set_field:0x400/0x400->reg0,set_field:0x4000000/0xfe000000->reg0,controller(reason=no_match,id=4242,userdata=01.02)',
    'table=1,priority=200,ct_state=+new+trk,tcp,tp_dst=84 actions=output:32769',
    'table=1,priority=100,ct_state=+trk,ip actions=ct(commit,table=2,zone=65520)',
    'table=2,priority=200,ip,nw_dst=10.50.1.11 actions=output:3',
    'table=2,priority=200,ip,nw_dst=10.50.1.12 actions=output:4',
    'table=2,priority=200,ip,nw_dst=10.50.2.0/24 actions=set_field:192.168.50.2->tun_dst,output:32768',
    'table=2,priority=100,ip actions=output:32769',
  ],
  rules: [
    { id: 7, policy: { type: 'AntreaClusterNetworkPolicy', name: 'allow-80' }, rule: 'web', direction: 'Ingress', action: 'Allow' },
    { id: 9, policy: { type: 'AntreaNetworkPolicy', namespace: 'x', name: 'drop-81' }, direction: 'Ingress', action: 'Drop' },
    { id: 11, policy: { type: 'AntreaClusterNetworkPolicy', name: 'reject-82' }, direction: 'Ingress', action: 'Reject' },
  ],
};
const B: HandNode = {
  name: 'nb',
  ip: '192.168.50.2',
  cidr: '10.50.2.0/24',
  gwIp: '10.50.2.1',
  gwMac: '02:bb:00:00:00:01',
  pods: [{ namespace: 'y', name: 'b1', interface: 'b1-port', ofport: 3, mac: '02:bb:00:00:01:0b', ip: '10.50.2.11' }],
  flows: [
    'table=0,priority=200,ip actions=ct(table=1,zone=65520)',
    'table=1,priority=210,ct_state=+inv+trk,ip actions=drop',
    'cookie=0x102000000000c,table=1,priority=200,ct_state=+new+trk,tcp,tp_dst=83 actions=drop',
    'table=1,priority=100,ct_state=+trk,ip actions=ct(commit,table=2,zone=65520)',
    'table=2,priority=200,ip,nw_dst=10.50.2.11 actions=set_field:02:bb:00:00:01:0b->eth_dst,output:3',
    'table=2,priority=200,ip,nw_dst=10.50.1.0/24 actions=set_field:192.168.50.1->tun_dst,output:32768',
    'table=2,priority=100,ip actions=output:32769',
  ],
  rules: [{ id: 12, policy: { type: 'K8sNetworkPolicy', namespace: 'y', name: 'isolate-b1' }, direction: 'Ingress', action: 'Isolate' }],
};

const handPods = [
  { namespace: 'x', name: 'a1', key: 'x/a1', node: 'na', ip: '10.50.1.11', hostNetwork: false, labels: {}, fromStep: false },
  { namespace: 'x', name: 'a2', key: 'x/a2', node: 'na', ip: '10.50.1.12', hostNetwork: false, labels: {}, fromStep: false },
  { namespace: 'y', name: 'b1', key: 'y/b1', node: 'nb', ip: '10.50.2.11', hostNetwork: false, labels: {}, fromStep: false },
];

describe.skipIf(!ovsAvailable)('prober on hand-written flows', () => {
  let cluster: Cluster;
  let prober: Prober;

  beforeAll(async () => {
    cluster = new Cluster();
    await cluster.apply([handBundle(A), handBundle(B)]);
    prober = new Prober(cluster, handPods);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const probe = (from: string, to: string | { ip: string }, protocol: 'TCP' | 'UDP' | 'SCTP' | 'ICMP', port: number | undefined, srcPort: number) => ({
    spec: { from, to: typeof to === 'string' ? { pod: to } : to, protocol, ...(port !== undefined ? { port } : {}) },
    srcPort,
  });

  test('allow, drop, reject and misdelivery on one Node, in one batch', async () => {
    await cluster.flushConntrack();
    const out = await prober.run([
      probe('x/a1', 'x/a2', 'TCP', 80, 33000),
      probe('x/a1', 'x/a2', 'TCP', 81, 33001),
      probe('x/a1', 'x/a2', 'TCP', 82, 33002),
      probe('x/a1', 'x/a2', 'TCP', 84, 33003),
      probe('x/a1', 'x/a2', 'UDP', 53, 33004),
      probe('x/a1', 'x/a2', 'SCTP', 80, 33005),
      probe('x/a2', 'x/a1', 'ICMP', undefined, 33006),
      probe('x/a1', { ip: '192.0.2.10' }, 'TCP', 443, 33007),
    ]);
    expect(out.map((o) => o.actual)).toEqual(['allow', 'drop', 'reject', 'misdelivered', 'allow', 'allow', 'allow', 'allow']);
    expect(out[0]!.summary).toMatch(/delivered on na:a2-port \(Pod x\/a2\)/);
    expect(out[1]!.summary).toMatch(/left nowhere/);
    expect(out[2]!.packetIns).toMatchObject([{ node: 'na', reject: true, reg3: 11, operations: { fromUserdata: 2, fromReg0: 2 } }]);
    expect(out[3]!.summary).toMatch(/left on na:antrea-gw0 \(gateway\)/);
    expect(out[7]!.summary).toMatch(/left na:antrea-gw0 \(gateway\)/);
    // The probes really went through conntrack.
    const ct = parseConntrack(await cluster.nodes.get('na')!.ctl.call('dpctl/dump-conntrack'));
    expect(ct.find((e) => e.sport === 33000)?.labels).toBe(7n);
  });

  test('what leaves toward the host goes to the host leg, which decides the cell', async () => {
    await cluster.flushConntrack();
    const seen: string[] = [];
    const strict = new Prober(cluster, handPods, {
      hostLeg: async (ctx) => {
        seen.push(`${ctx.node.name} ${ctx.destination} ${ctx.frame.tcp?.dstPort ?? '-'}`);
        return { verdict: 'drop', note: 'host leg: dropped' };
      },
    });
    const [out] = await strict.run([probe('x/a1', { ip: '192.0.2.10' }, 'TCP', 443, 33050)]);
    expect(out).toMatchObject({ actual: 'drop' });
    expect(out!.summary).toMatch(/left na:antrea-gw0 \(gateway\); host leg: dropped/);
    expect(seen).toEqual(['na 192.0.2.10 443']);
  });

  test('cross-Node: the encapsulated frame is carried to the Node owning its outer destination', async () => {
    await cluster.flushConntrack();
    const out = await prober.run([probe('x/a1', 'y/b1', 'TCP', 80, 33100), probe('y/b1', 'x/a2', 'UDP', 53, 33101), probe('x/a2', 'y/b1', 'TCP', 83, 33102)]);
    expect(out.map((o) => o.actual)).toEqual(['allow', 'allow', 'drop']);
    expect(out[0]!.emissions.map((e) => `${e.node} ${e.what}`)).toEqual(['na geneve tunnel to 192.168.50.2 (nb)', 'nb Pod y/b1']);
    expect(out[0]!.legs.map((l) => [l.node, l.inPort, l.tunnel?.src])).toEqual([
      ['na', 'a1-port', undefined],
      ['nb', 'antrea-tun0', '192.168.50.1'],
    ]);
    expect(out[2]!.summary).toMatch(/left nowhere via na -> geneve tunnel to 192.168.50.2 \(nb\)/);
    const trace = await prober.trace(out[2]!);
    expect(trace).toMatch(/trace on nb, in antrea-tun0:[\s\S]*cookie 0x102000000000c[\s\S]*drop/);
  });

  test('attribution reads ct_label, the reject packet-in and the drop flow that was hit', async () => {
    const attributor = new Attributor(prober);
    const got: Record<string, string[]> = {};
    for (const [name, p] of [
      ['allow', probe('x/a1', 'x/a2', 'TCP', 80, 33200)],
      ['drop', probe('x/a1', 'x/a2', 'TCP', 81, 33201)],
      ['reject', probe('x/a1', 'x/a2', 'TCP', 82, 33202)],
      ['remote drop', probe('x/a1', 'y/b1', 'TCP', 83, 33203)],
      ['none', probe('x/a1', 'y/b1', 'UDP', 53, 33204)],
    ] as const) {
      await cluster.flushConntrack();
      const a = await attributor.attribute(p);
      got[name] = a.found.map((f) => `${f.node} ${f.ruleId} ${f.entry?.policy.name ?? '?'} ${f.via.split(' (')[0]}`);
    }
    expect(got).toEqual({
      allow: ['na 7 allow-80 ct_label ingress'],
      drop: ['na 9 drop-81 drop flow in table 1'],
      reject: ['na 11 reject-82 reg3 of the reject packet-in'],
      'remote drop': ['nb 12 isolate-b1 drop flow in table 1'],
      none: [],
    });
  });

  test('a packet never tunnelled to a known Node, or rewritten, is not delivered', async () => {
    const C: HandNode = { ...A, flows: [...A.flows.filter((f) => !f.includes('10.50.2.0/24')), 'table=2,priority=200,ip,nw_dst=10.50.2.0/24 actions=set_field:192.168.50.77->tun_dst,output:32768', 'table=0,priority=300,udp actions=set_field:10.50.2.99->nw_dst,set_field:192.168.50.2->tun_dst,output:32768'] };
    await cluster.apply([handBundle(C), handBundle(B)]);
    // Without a neighbour entry OVS would only ARP for the unknown tunnel endpoint; give it one so it encapsulates.
    cluster.nodes.get('na')!.ovs.appctl('tnl/neigh/set', 'br-phy', '192.168.50.77', '02:00:00:00:00:77');
    try {
      const out = await prober.run([probe('x/a1', 'y/b1', 'TCP', 80, 33300), probe('x/a1', 'y/b1', 'UDP', 53, 33301)]);
      expect(out[0]).toMatchObject({ actual: 'misdelivered' });
      expect(out[0]!.summary).toMatch(/tunnel to 192.168.50.77 \(no Node owns it\)/);
      // Rewritten on the way: it reaches B, which has no Pod at the new address and hands it to its gateway.
      expect(out[1]!.actual).toBe('misdelivered');
      expect(out[1]!.summary).toMatch(/left on nb:antrea-gw0 \(gateway\).*rewritten: .*10\.50\.2\.99/);
      expect(out[1]!.emissions.every((e) => !e.unchanged)).toBe(true);
    } finally {
      await cluster.apply([handBundle(A), handBundle(B)]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Whole runs on dpc's compiled bundles (no policy objects: every cell allowed)

describe.skipIf(!ovsAvailable)('runner on dpc bundles', () => {
  test('the runner\'s own case directory passes', async () => {
    const lines: string[] = [];
    const summary = await runCases(join(here, 'conformance', 'testdata'), { log: (l) => lines.push(l) });
    expect(summary.failed, lines.join('\n')).toBe(0);
    expect(summary.passed).toBeGreaterThanOrEqual(1);
    expect(lines.at(-1)).toBe(`${summary.passed} passed, 0 failed`);
    expect(lines.some((l) => /^PASS runner-selftest\/all-allowed \(/.test(l))).toBe(true);
    expect(lines.join('\n')).toMatch(/step 2: flow red\/host-client -> blue\/p5 TCP\/80: ok \(allow\)/);
  });

  test('wrong expectations fail loudly, and a bad case is an error, not a crash', async () => {
    const dir = tempTree({
      'wrong.yaml': `id: t/wrong
fixture: two-nodes
steps:
- checks:
  - matrix: {pods: [red/p1, red/p2, blue/p3], protocol: TCP, ports: [80], default: allow, overrides: [{from: red/p2, to: '*/*', verdict: drop}]}
  - flow: {from: red/p1, to: {ip: 192.0.2.1}, protocol: UDP, port: 53, verdict: reject}
`,
      'broken.yaml': 'id: t/broken\nfixture: nowhere\nsteps: [{checks: []}]\n',
    });
    mkdirSync(join(dir, 'fixtures'));
    copyFileSync(join(here, 'conformance', 'testdata', 'fixtures', 'two-nodes.yaml'), join(dir, 'fixtures', 'two-nodes.yaml'));
    const lines: string[] = [];
    const summary = await runCases(dir, { log: (l) => lines.push(l), tracesPerCheck: 1 });
    const text = lines.join('\n');
    expect(summary).toMatchObject({ passed: 0, failed: 2 });
    expect(text).toMatch(/FAIL t\/broken: .*no fixtures\/nowhere\.yaml/);
    expect(text).toMatch(/matrix TCP\/80: WRONG \(2 of 6 cells\)/);
    expect(text).toMatch(/red\/p2\s+!\.\(drop\)\s+-\s+!\.\(drop\)/);
    expect(text).toMatch(/!! red\/p2 -> red\/p1 TCP\/80: expected drop, got allow: delivered on n1:/);
    expect(text).toMatch(/trace on n2, in p2-/);
    expect(text).toMatch(/flow red\/p1 -> \{ip 192\.0\.2\.1\} UDP\/53: WRONG: expected reject, got allow/);
    expect(lines.at(-1)).toBe('0 passed, 2 failed');
  });

  const fixture = join(CONFORMANCE_DIR, 'fixtures', 'k8s-xyz.yaml');
  test('the k8s-xyz fixture without policies: every protocol, every pair', async () => {
    const dir = tempTree({
      'k8s-xyz-no-policy.yaml': `id: runner-selftest/k8s-xyz-no-policy
fixture: k8s-xyz
steps:
- checks:
  - matrix: {protocol: TCP, ports: [80, 81], default: allow}
  - matrix: {protocol: UDP, ports: [80, 81], default: allow}
  - matrix: {protocol: SCTP, ports: [80, 81], default: allow}
  - attribution: {from: x/a, to: y/b, protocol: TCP, port: 80, policy: none}
`,
    });
    mkdirSync(join(dir, 'fixtures'));
    copyFileSync(fixture, join(dir, 'fixtures', 'k8s-xyz.yaml'));
    const lines: string[] = [];
    const summary = await runCases(dir, { log: (l) => lines.push(l) });
    expect(summary.failed, lines.join('\n')).toBe(0);
    const c = summary.cases[0]!;
    const cells = c.checks.flatMap((ch) => ch.cells ?? []);
    expect(cells).toHaveLength(6 * 72);
    expect(new Set(cells.map((x) => x.outcome.actual))).toEqual(new Set(['allow']));
    // Both Nodes carried traffic: cross-Node cells went through the tunnel.
    expect(cells.filter((x) => x.outcome.legs.length === 2).length).toBeGreaterThan(100);
  });
});
