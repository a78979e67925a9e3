/**
 * TrafficControl from input to artifacts: both input shapes, what the CRD schema refuses (positioned), the feature
 * gate, Antrea's binding of a Pod to one TrafficControl, port names and OVSDB records, and the flows per Node.
 */
import { describe, expect, test } from 'vitest';
import { compile, type CompileResult } from '../compiler/compile.js';
import { formatDiagnostic } from '../compiler/diagnostics/diagnostic.js';
import { tcPortName } from '../compiler/allocate/trafficControlPorts.js';
import { clusterSources, twoNodes, type ClusterSpec } from './fixtures/clusters.js';

const GATE_ON = 'trafficEncapMode: encap\ntunnelType: geneve\nfeatureGates: {TrafficControl: true}';
const cluster: ClusterSpec = { ...twoNodes, agentConfig: GATE_ON };

function tcText(name: string, spec: string, meta = ''): string {
  return `apiVersion: crd.antrea.io/v1alpha2\nkind: TrafficControl\nmetadata: {name: ${name}${meta}}\nspec:\n${spec.replace(/^/gm, '  ')}\n`;
}

function build(extra: string, spec: ClusterSpec = cluster): CompileResult {
  return compile([...clusterSources(spec), { name: 'tc.yaml', text: extra }]);
}

function errors(extra: string): string[] {
  const r = build(extra);
  expect(r.ok).toBe(false);
  expect(r.bundles).toEqual([]);
  return r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
}

function file(r: CompileResult, node: string, path: string): string {
  expect(r.ok, r.diagnostics.map(formatDiagnostic).join('\n')).toBe(true);
  return r.bundles.find((b) => b.node === node)!.files.get(path) ?? '';
}

const flowsOf = (r: CompileResult, node: string): string[] => file(r, node, 'openflow/flows.txt').trim().split('\n');
const table = (r: CompileResult, name: string): number => (JSON.parse(file(r, 'alpha', 'bundle.json')) as { tables: Record<string, number> }).tables[name]!;
const inventory = (r: CompileResult, node: string) =>
  JSON.parse(file(r, node, 'bundle.json')) as { inventory: { pods: { namespace: string; name: string; ofport: number }[]; trafficControlPorts?: { name: string; ofport: number; source: string }[] } };
const podOfport = (r: CompileResult, node: string, key: string): number => inventory(r, node).inventory.pods.find((p) => `${p.namespace}/${p.name}` === key)!.ofport;
const tcOfport = (r: CompileResult, node: string, name: string): number => inventory(r, node).inventory.trafficControlPorts!.find((p) => p.name === name)!.ofport;
const hex = (n: number): string => `0x${n.toString(16)}`;

const MIRROR_CLIENT = tcText('mirror-client', 'appliedTo: {podSelector: {matchLabels: {app: client}}}\ndirection: Both\naction: Mirror\ntargetPort: {ovsInternal: {name: tap0}}');

describe('port names as Antrea hashes them', () => {
  // vxlan-892594 is the name the shared mirror-to-remote case records from Antrea; the others were computed with
  // Python's hashlib over the same bytes (16-byte IPv4-mapped remote IP, then big-endian int32 fields).
  test.each([
    [{ kind: 'vxlan', remoteIP: '10.10.1.22', vni: 1, destinationPort: 1111 }, 'vxlan-892594'],
    [{ kind: 'geneve', remoteIP: '192.0.2.9' }, 'geneve-3fa46d'],
    [{ kind: 'gre', remoteIP: '192.0.2.9', key: 4000000000 }, 'gre-a17629'],
    [{ kind: 'erspan', remoteIP: '192.0.2.9', sessionID: 7, version: 2, dir: 1, hardwareID: 4 }, 'erspan-e7a64d'],
  ] as const)('%o', (spec, name) => {
    expect(tcPortName(spec as Parameters<typeof tcPortName>[0])).toBe(name);
  });
});

describe('what the CRD schema refuses, positioned', () => {
  const base = 'appliedTo: {podSelector: {}}\ndirection: Both\naction: Mirror';
  test.each([
    ['two target kinds', `${base}\ntargetPort: {ovsInternal: {name: a}, device: {name: b}}`, /^tc\.yaml:8:48: error: TrafficControl t: spec\.targetPort\.device: must set exactly one of ovsInternal, device, geneve, vxlan, gre, erspan, not 2 \[DPC1232\]$/],
    ['no target kind', `${base}\ntargetPort: {}`, /^tc\.yaml:8:15: error: TrafficControl t: spec\.targetPort: must set one of/],
    ['no target at all', base, /^tc\.yaml:5:3: error: TrafficControl t: spec\.targetPort: is required \(or, in the proposal's shape, spec\.destination\) \[DPC1231\]$/],
    ['returnPort with Mirror', `${base}\ntargetPort: {device: {name: a}}\nreturnPort: {device: {name: b}}`, /spec\.returnPort: a return port is used only with the Redirect action/],
    ['ERSPAN as return port', `appliedTo: {podSelector: {}}\ndirection: Both\naction: Redirect\ntargetPort: {device: {name: a}}\nreturnPort: {erspan: {remoteIP: 1.2.3.4, version: 1}}`, /spec\.returnPort\.erspan: an ERSPAN tunnel cannot be a return port/],
    ['ERSPAN version 3', `${base}\ntargetPort: {erspan: {remoteIP: 1.2.3.4, version: 3}}`, /spec\.targetPort\.erspan\.version: must be one of 1, 2/],
    ['ERSPAN session above 1023', `${base}\ntargetPort: {erspan: {remoteIP: 1.2.3.4, version: 2, sessionID: 1024}}`, /spec\.targetPort\.erspan\.sessionID: must be <= 1023/],
    ['VNI above 2^24-1', `${base}\ntargetPort: {vxlan: {remoteIP: 1.2.3.4, vni: 16777216}}`, /spec\.targetPort\.vxlan\.vni: must be <= 16777215/],
    ['bad remote IP', `${base}\ntargetPort: {gre: {remoteIP: 1.2.3.400}}`, /^tc\.yaml:8:32: error: TrafficControl t: spec\.targetPort\.gre\.remoteIP: "1\.2\.3\.400" is not an IPv4 or IPv6 address/],
    ['direction', 'appliedTo: {}\ndirection: Inbound\naction: Mirror\ntargetPort: {device: {name: a}}', /spec\.direction: must be one of "Ingress", "Egress", "Both"/],
    ['action missing', 'appliedTo: {}\ndirection: Both\ntargetPort: {device: {name: a}}', /spec\.action: is required/],
    ['shapes mixed', `${base}\ntargetPort: {device: {name: a}}\ndestination: {name: b, port: {}}`, /spec\.destination: mixes the released shape \(targetPort, returnPort\) with the proposal's destination/],
    ['proposal: two kinds', `${base}\ndestination: {name: b, port: {}, gre: {remoteIP: 1.2.3.4}}`, /spec\.destination\.gre: must set exactly one of port, vxlan, geneve, gre, erspan, not 2/],
    ['proposal: peerName with Mirror', `${base}\ndestination: {name: b, port: {peerName: c}}`, /spec\.destination\.port\.peerName: a return port is used only with the Redirect action/],
    ['proposal: VNI from tunnelID', `${base}\ndestination: {name: b, vxlan: {remoteIP: 1.2.3.4, tunnelID: 16777216}}`, /spec\.destination\.vxlan\.tunnelID: tunnel ID 16777216 is not a VNI/],
    ['a device name the kernel refuses', `${base}\ntargetPort: {ovsInternal: {name: a-name-far-too-long}}`, /spec\.targetPort\.ovsInternal\.name: must be a network device name/],
    ['a bad selector', 'appliedTo: {podSelector: {matchLabels: {"a b": x}}}\ndirection: Both\naction: Mirror\ntargetPort: {device: {name: a}}', /spec\.appliedTo\.podSelector\.matchLabels\.a b: "a b" is not a valid label key/],
  ])('%s', (_what, spec, pattern) => {
    expect(errors(tcText('t', spec)).join('\n')).toMatch(pattern);
  });

  test('two TrafficControls configuring one port name differently', () => {
    const a = tcText('a', 'appliedTo: {}\ndirection: Both\naction: Mirror\ntargetPort: {ovsInternal: {name: cap0}}');
    const b = tcText('b', 'appliedTo: {}\ndirection: Both\naction: Mirror\ntargetPort: {device: {name: cap0}}');
    expect(errors(`${a}---\n${b}`)).toEqual([
      expect.stringMatching(/^tc\.yaml:\d+:\d+: error: TrafficControl b: spec\.targetPort: OVS port cap0 is also a port of TrafficControl a, configured differently/),
    ]);
  });

  test('a port named like the gateway', () => {
    expect(errors(tcText('g', 'appliedTo: {}\ndirection: Both\naction: Mirror\ntargetPort: {ovsInternal: {name: antrea-gw0}}')).join('\n')).toMatch(
      /TrafficControl g: spec\.targetPort: OVS port name antrea-gw0 is already used by the gateway port on Node alpha/,
    );
  });
});

describe('feature gate', () => {
  test('off: each TrafficControl is a warning naming it, and compiles to nothing', () => {
    const r = build(MIRROR_CLIENT, twoNodes);
    expect(r.ok).toBe(true);
    expect(r.diagnostics.map(formatDiagnostic)).toContainEqual(
      expect.stringMatching(/^tc\.yaml:1:1: warning: TrafficControl mirror-client: the TrafficControl feature gate is off in the agent config, so this TrafficControl is not compiled \[DPC3030\]$/),
    );
    expect(file(r, 'alpha', 'openflow/flows.txt')).not.toMatch(/reg9/);
    expect(file(r, 'alpha', 'ovsdb/transact.json')).not.toMatch(/tap0/);
    expect(r.trafficControl).toBeUndefined();
  });

  test('on: the common flows exist even without any TrafficControl', () => {
    const r = build('');
    const out = table(r, 'Output');
    const flows = flowsOf(r, 'alpha');
    expect(flows).toContainEqual(expect.stringContaining(`table=${out}, priority=211,reg0=0x200000/0x600000,reg4=0x400000/0xc00000 actions=output:NXM_NX_REG1[],output:NXM_NX_REG9[]`));
    expect(flows).toContainEqual(expect.stringContaining(`table=${out}, priority=211,reg0=0x200000/0x600000,reg4=0x800000/0xc00000 actions=output:NXM_NX_REG9[]`));
    expect(flows).toContainEqual(expect.stringContaining(`table=${table(r, 'TrafficControl')}, priority=210,reg0=0x200006/0x60000f actions=goto_table:${out}`));
  });
});

describe('flows and ports per Node', () => {
  test('Both: one reg1 and one in_port flow per selected local Pod, none on other Nodes', () => {
    const r = build(MIRROR_CLIENT);
    const t = table(r, 'TrafficControl');
    const pod = hex(podOfport(r, 'alpha', 'web/client'));
    const target = hex(tcOfport(r, 'alpha', 'tap0'));
    const marks = flowsOf(r, 'alpha').filter((l) => l.includes(`table=${t}, priority=200`));
    const act = `actions=set_field:${target}->reg9,set_field:0x400000/0xc00000->reg4,goto_table:${table(r, 'IngressSecurityClassifier')}`;
    expect(marks.map((l) => l.replace(/^cookie=\S+ /, ''))).toEqual([`table=${t}, priority=200,in_port=${podOfport(r, 'alpha', 'web/client')} ${act}`, `table=${t}, priority=200,reg1=${pod} ${act}`]);
    expect(flowsOf(r, 'beta').filter((l) => l.includes(`table=${t}, priority=200`))).toEqual([]);
    // The port exists on every Node, as the agent creates it whether or not a local Pod is selected.
    for (const node of ['alpha', 'beta']) {
      expect(file(r, node, 'ovsdb/transact.json')).toContain(`"name":"tap0","type":"internal","ofport_request":${tcOfport(r, node, 'tap0')},"options":["map",[]],"external_ids":["map",[["antrea-type","traffic-control"]]]`);
      expect(file(r, node, 'openflow/portmods.txt')).toBe('tap0 no-flood\n');
    }
  });

  test('Ingress and Egress alone', () => {
    for (const [direction, key] of [['Ingress', 'reg1='], ['Egress', 'in_port=']] as const) {
      const r = build(MIRROR_CLIENT.replace('Both', direction));
      const marks = flowsOf(r, 'alpha').filter((l) => l.includes(`table=${table(r, 'TrafficControl')}, priority=200`));
      expect(marks).toHaveLength(1);
      expect(marks[0]).toContain(key);
    }
  });

  test('an empty appliedTo selects nothing', () => {
    const r = build(tcText('none', 'appliedTo: {}\ndirection: Both\naction: Mirror\ntargetPort: {ovsInternal: {name: tap0}}'));
    expect(flowsOf(r, 'alpha').filter((l) => l.includes('reg9'))).toEqual([]);
    expect(r.trafficControl![0]!.trafficControls[0]!.pods).toEqual([]);
  });

  test('a Pod is bound to the oldest TrafficControl; the summary names who lost it', () => {
    const older = tcText('zz-older', 'appliedTo: {podSelector: {matchLabels: {app: client}}}\ndirection: Both\naction: Redirect\ntargetPort: {device: {name: t1}}\nreturnPort: {device: {name: r1}}', ', creationTimestamp: "2024-01-01T00:00:00Z"');
    const newer = tcText('aa-newer', 'appliedTo: {namespaceSelector: {}}\ndirection: Both\naction: Mirror\ntargetPort: {ovsInternal: {name: tap0}}', ', creationTimestamp: "2024-02-01T00:00:00Z"');
    const r = build(`${newer}---\n${older}`);
    const client = podOfport(r, 'alpha', 'web/client');
    const server = podOfport(r, 'alpha', 'web/server');
    const t1 = hex(tcOfport(r, 'alpha', 't1'));
    const tap = hex(tcOfport(r, 'alpha', 'tap0'));
    const flows = flowsOf(r, 'alpha');
    expect(flows).toContainEqual(expect.stringContaining(`in_port=${client} actions=set_field:${t1}->reg9,set_field:0x800000/0xc00000->reg4`));
    expect(flows).toContainEqual(expect.stringContaining(`in_port=${server} actions=set_field:${tap}->reg9,set_field:0x400000/0xc00000->reg4`));
    expect(flows.filter((l) => l.includes(`in_port=${client} actions=set_field:${tap}`))).toEqual([]);
    const alpha = r.trafficControl!.find((s) => s.node === 'alpha')!.trafficControls;
    expect(alpha.map((t) => t.trafficControl)).toEqual(['zz-older', 'aa-newer']);
    expect(alpha[0]).toMatchObject({ pods: ['web/client'], target: 'device t1', returnPort: 'device r1', lostTo: [] });
    expect(alpha[1]).toMatchObject({ pods: ['web/server'], lostTo: [{ pod: 'web/client', trafficControl: 'zz-older' }] });
    // Client and server are under different TrafficControls, both directions: each pair of flows overlaps.
    expect(r.trafficControl!.find((s) => s.node === 'alpha')!.overlaps).toEqual([
      { egress: 'zz-older', ingress: 'aa-newer' },
      { egress: 'aa-newer', ingress: 'zz-older' },
    ]);
    expect(r.trafficControl!.find((s) => s.node === 'beta')!.overlaps).toEqual([]);
    // The return port gets its classifier flow; a device is attached as a system interface.
    expect(flows).toContainEqual(expect.stringContaining(`table=${table(r, 'Classifier')}, priority=200,in_port=${tcOfport(r, 'alpha', 'r1')} actions=set_field:0x6/0xf->reg0,goto_table:${table(r, 'L3Forwarding')}`));
    expect(file(r, 'alpha', 'ovsdb/transact.json')).toContain('"name":"t1","type":"system"');
  });

  test('a port shared by two TrafficControls is created once', () => {
    const a = tcText('a', 'appliedTo: {podSelector: {matchLabels: {app: client}}}\ndirection: Both\naction: Mirror\ntargetPort: {geneve: {remoteIP: 192.0.2.9}}');
    const b = tcText('b', 'appliedTo: {podSelector: {matchLabels: {app: store}}}\ndirection: Ingress\naction: Mirror\ntargetPort: {geneve: {remoteIP: 192.0.2.9}}');
    const r = build(`${a}---\n${b}`);
    const transact = file(r, 'alpha', 'ovsdb/transact.json');
    expect(transact.match(/"table":"Interface","uuid-name":"iface\d+","row":\{"name":"geneve-3fa46d"/g)).toHaveLength(1);
    expect(transact).toContain('"name":"geneve-3fa46d","type":"geneve","ofport_request"');
    expect(transact).toContain('"options":["map",[["remote_ip","192.0.2.9"]]]');
  });

  test('tunnel options as Antrea sets them (ERSPAN v1 index in hex, v2 dir and hardware ID)', () => {
    const v1 = tcText('v1', 'appliedTo: {}\ndirection: Both\naction: Mirror\ntargetPort: {erspan: {remoteIP: 192.0.2.7, version: 1, sessionID: 9, index: 255}}');
    const v2 = tcText('v2', 'appliedTo: {}\ndirection: Both\naction: Mirror\ntargetPort: {erspan: {remoteIP: 192.0.2.8, version: 2, sessionID: 10, dir: 1, hardwareID: 3}}');
    const g = tcText('g', 'appliedTo: {}\ndirection: Both\naction: Mirror\ntargetPort: {gre: {remoteIP: 192.0.2.9, key: 77}}');
    const t = file(build(`${v1}---\n${v2}---\n${g}`), 'alpha', 'ovsdb/transact.json');
    expect(t).toContain('"options":["map",[["erspan_idx","ff"],["erspan_ver","1"],["key","9"],["remote_ip","192.0.2.7"]]]');
    expect(t).toContain('"options":["map",[["erspan_dir","1"],["erspan_hwid","3"],["erspan_ver","2"],["key","10"],["remote_ip","192.0.2.8"]]]');
    expect(t).toContain('"options":["map",[["key","77"],["remote_ip","192.0.2.9"]]]');
  });

  test("the proposal's destination shape compiles to the same model", () => {
    const released = tcText('r', 'appliedTo: {podSelector: {matchLabels: {app: client}}}\ndirection: Ingress\naction: Redirect\ntargetPort: {ovsInternal: {name: ids0}}\nreturnPort: {device: {name: ids1}}');
    const proposal = tcText('r', 'appliedTo: {podSelector: {matchLabels: {app: client}}}\ndirection: Ingress\naction: Redirect\ndestination: {name: ids0, port: {internal: true, peerName: ids1}}');
    const a = build(released);
    const b = build(proposal);
    for (const path of ['openflow/flows.txt', 'ovsdb/transact.json', 'bundle.json', 'openflow/portmods.txt']) expect(file(b, 'alpha', path)).toBe(file(a, 'alpha', path));
    // A proposal tunnel keeps the name the object gives it, and tunnelID is its VNI.
    const t = file(build(tcText('p', 'appliedTo: {}\ndirection: Both\naction: Mirror\ndestination: {name: vx-ids, vxlan: {remoteIP: 192.0.2.5, tunnelID: 42}}')), 'alpha', 'ovsdb/transact.json');
    expect(t).toContain('"name":"vx-ids","type":"vxlan"');
    expect(t).toContain('["key","42"]');
  });

  test('ofports from the NodeInventory, else derived above the reserved range; bundle.json says which', () => {
    const inv = 'apiVersion: dpc/v1alpha1\nkind: NodeInventory\nmetadata: {name: alpha}\nspec:\n  trafficControlPorts: [{name: tap0, ofport: 9}]\n';
    const r = build(`${MIRROR_CLIENT}---\n${inv}`);
    expect(inventory(r, 'alpha').inventory.trafficControlPorts).toEqual([{ name: 'tap0', ofport: 9, source: 'inventory' }]);
    const derived = inventory(r, 'beta').inventory.trafficControlPorts!;
    expect(derived).toEqual([{ name: 'tap0', ofport: expect.any(Number), source: 'derived' }]);
    expect(derived[0]!.ofport).toBeGreaterThan(32771);
    expect(file(r, 'alpha', 'openflow/flows.txt')).toContain('set_field:0x9->reg9');
  });
});

describe('determinism', () => {
  test('the order of TrafficControl documents and files changes nothing', async () => {
    const { readFileSync, readdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { REPO_ROOT } = await import('./repoRoot.js');
    const dir = join(REPO_ROOT, 'golden', 'traffic-control', 'input');
    const sources = readdirSync(dir).sort().map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
    const reversed = sources
      .map((s) => ({ name: s.name, text: s.text.split(/^---\n/m).reverse().join('---\n') }))
      .reverse();
    const a = compile(sources);
    const b = compile(reversed);
    expect(a.ok && b.ok).toBe(true);
    expect(b.bundles.map((x) => [...x.files])).toEqual(a.bundles.map((x) => [...x.files]));
    expect(b.trafficControl).toEqual(a.trafficControl);
  });
});
