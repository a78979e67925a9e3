import { describe, expect, test } from 'vitest';
import { compile } from '../compile.js';
import { formatDiagnostic } from '../diagnostics/diagnostic.js';
import { tbfShape } from './podBandwidth.js';

const AGENT = 'antrea-agent.conf: |\n    featureGates: {Egress: false}\n';
const conflist = (plugins: string[]) =>
  `  antrea-cni.conflist: |\n    {"cniVersion": "0.3.0", "name": "antrea", "plugins": [${plugins.map((t) => `{"type": "${t}"}`).join(', ')}]}\n`;
const configMap = (extra = '') => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: antrea-config, namespace: kube-system}\ndata:\n  ${AGENT}${extra}`;
const NODE = `apiVersion: v1
kind: Node
metadata: {name: n1}
spec: {podCIDR: 10.20.0.0/24}
status: {addresses: [{type: InternalIP, address: 172.18.0.2}]}
`;
const pod = (name: string, annotations: Record<string, string>, ip: string, hostNetwork = false) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: default
  annotations:
${Object.entries(annotations).map(([k, v]) => `    ${k}: "${v}"`).join('\n') || '    {}'}
spec: {nodeName: n1, hostNetwork: ${hostNetwork}, containers: [{name: c, image: i}]}
status: {podIP: ${ip}}
`;
const run = (...docs: string[]) => compile([{ name: 'c.yaml', text: docs.join('---\n') }]);
const tcOf = (r: ReturnType<typeof run>, file = 'tc/tc.txt') => r.bundles[0]?.files.get(file);

describe('tbf as the CNI bandwidth plugin computes it from what containerd passes', () => {
  test('burst is math.MaxUint32 bits in bytes; limit adds 25 ms at the rate', () => {
    // 10 Mbit/s: 1,250,000 B/s; 25 ms of it is 31,250 B; 4294967295 bits / 8 = 536870911 B.
    expect(tbfShape(10_000_000n)).toEqual({ rateBytes: 1_250_000n, burstBytes: 536_870_911n, limitBytes: 536_902_161n });
    // Bits not a multiple of 8 and 25 ms not a whole byte count are truncated, as the plugin's integer maths does.
    expect(tbfShape(100_001n)).toEqual({ rateBytes: 12_500n, burstBytes: 536_870_911n, limitBytes: 536_871_223n });
  });
  test('the uint32 sum wraps as on amd64', () => {
    // 1 Pbit/s: 125e12 B/s, 25 ms = 3.125e12 B, which uint32 keeps modulo 2^32.
    const s = tbfShape(1_000_000_000_000_000n);
    expect(s.limitBytes).toBe((3_125_000_000_000n % 2n ** 32n + 536_870_911n) % 2n ** 32n);
  });
});

describe('Pod bandwidth annotations', () => {
  test('with the plugin chained: ingress shapes the host side, egress goes through an ifb', () => {
    const r = run(configMap(conflist(['antrea', 'bandwidth'])), NODE, pod('a', { 'kubernetes.io/ingress-bandwidth': '2M', 'kubernetes.io/egress-bandwidth': '3M' }, '10.20.0.5'));
    expect(r.ok).toBe(true);
    const iface = JSON.parse(r.bundles[0]!.files.get('bundle.json')!).inventory.pods[0].interface as string;
    const tc = tcOf(r)!;
    const links = tcOf(r, 'tc/links.txt')!;
    const ifb = /^link add (\S+) type ifb$/m.exec(links)![1]!;
    expect(ifb).toMatch(/^dpcbw[0-9a-f]{10}$/);
    expect(tc).toContain(`qdisc replace dev ${iface} root handle 1: tbf rate 2000000bit burst 536870911b limit ${536_870_911 + 250_000 / 40}b\n`);
    expect(tc).toContain(`qdisc replace dev ${iface} handle ffff: ingress\n`);
    expect(tc).toContain(`qdisc replace dev ${ifb} root handle 1: tbf rate 3000000bit`);
    expect(tc).toContain(`filter replace dev ${iface} parent ffff: protocol all prio 1 handle 800::800 u32 match u32 0 0 classid 1:1 action mirred egress redirect dev ${ifb}\n`);
    // Qdiscs come before the filters that hang on them.
    expect(tc.indexOf('filter')).toBeGreaterThan(tc.lastIndexOf('qdisc'));
    expect(JSON.parse(r.bundles[0]!.files.get('bundle.json')!).artifacts).toHaveProperty('tc/tc.txt');
  });
  test("without antrea-cni.conflist the chart's default chains the plugin", () => {
    const r = run(configMap(), NODE, pod('a', { 'kubernetes.io/ingress-bandwidth': '1M' }, '10.20.0.5'));
    expect(tcOf(r)).toMatch(/tbf rate 1000000bit/);
  });
  test('a conflist without the plugin: a warning on the annotation, no tc artifact', () => {
    const r = run(configMap(conflist(['antrea', 'portmap'])), NODE, pod('a', { 'kubernetes.io/egress-bandwidth': '1M' }, '10.20.0.5'));
    expect(r.ok).toBe(true);
    expect(tcOf(r)).toBeUndefined();
    expect(tcOf(r, 'tc/links.txt')).toBeUndefined();
    const w = r.diagnostics.filter((d) => d.code === 'DPC3031').map(formatDiagnostic);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/^c\.yaml:\d+:\d+: warning: Pod default\/a: metadata\.annotations\.kubernetes\.io\/egress-bandwidth: .*bandwidth plugin/);
  });
  test('the bounds and grammar the container runtime enforces, with the position of the annotation', () => {
    const cases: [string, RegExp][] = [
      ['999', /unreasonably small \(< 1kbit\)/],
      ['0.5k', /unreasonably small/],
      ['-5M', /unreasonably small/],
      ['2P', /unreasonably large \(> 1Pbit\)/],
      ['10Mbps', /quantities must match the regular expression/],
    ];
    for (const [value, why] of cases) {
      const r = run(configMap(), NODE, pod('a', { 'kubernetes.io/ingress-bandwidth': value }, '10.20.0.5'));
      expect(r.ok, value).toBe(false);
      const e = r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
      expect(e, value).toHaveLength(1);
      expect(e[0], value).toMatch(new RegExp(`^c\\.yaml:\\d+:\\d+: error: Pod default/a: metadata\\.annotations\\.kubernetes\\.io/ingress-bandwidth: .*\\[DPC2025\\]$`));
      expect(e[0], value).toMatch(why);
    }
    // The bounds themselves are allowed.
    for (const value of ['1k', '1P', '1000']) expect(run(configMap(), NODE, pod('a', { 'kubernetes.io/ingress-bandwidth': value }, '10.20.0.5')).ok, value).toBe(true);
  });
  test('host-network Pods get no CNI call: their annotations are neither read nor shaped', () => {
    const r = run(configMap(), NODE, pod('h', { 'kubernetes.io/ingress-bandwidth': 'junk' }, '172.18.0.2', true));
    expect(r.ok).toBe(true);
    expect(tcOf(r)).toBeUndefined();
  });
  test('the same annotations in any document order give the same tc text', () => {
    const pods = [
      pod('a', { 'kubernetes.io/egress-bandwidth': '1M' }, '10.20.0.5'),
      pod('b', { 'kubernetes.io/egress-bandwidth': '2M' }, '10.20.0.6'),
    ];
    const one = run(configMap(), NODE, ...pods);
    const two = run(...[...pods].reverse(), NODE, configMap());
    expect(tcOf(one)).toBe(tcOf(two));
    expect(tcOf(one, 'tc/links.txt')).toBe(tcOf(two, 'tc/links.txt'));
    expect(tcOf(one, 'tc/links.txt')!.split('\n').filter((l) => l.startsWith('link add'))).toHaveLength(2);
  });
});
