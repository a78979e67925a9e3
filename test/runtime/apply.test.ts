/**
 * dpc inventory / apply / status / diff --live on a private Open vSwitch playing one Node, as an operator runs
 * them there: Pod ports made as Antrea's CNI makes them, the bundle compiled from the Node's own inventory.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupAll, requireOvs, startOvs, type Ovs } from '../harness/ovs.js';
import { addCniPort, compileTo, goldenInput, stateDirFor, type CniPod, dpcAsync } from './node.js';
import { editBundle } from './scale.js';
import type { SourceText } from '../../compiler/ingest/documents.js';
import { sortDumpedFlows } from '../../targets/openflow/render.js';

const HAVE_OVS = requireOvs();
const NODE = 'k8s-node-worker-1';
const FOREIGN_FLOWS = [
  'cookie=0xdead00000001, table=0, priority=65000,udp,tp_dst=6081 actions=drop',
  'cookie=0xbeef000000000002, table=50, priority=10,ip actions=drop',
  'priority=1,arp actions=drop',
];

/** Pods of NODE in the policies-k8s case, placed by the "CNI" at ofports and MACs no derivation would pick. */
function cniPods(): CniPod[] {
  const derived = JSON.parse(readFileSync(join(compileTo(goldenInput('policies-k8s'), [NODE]), NODE, 'bundle.json'), 'utf8')) as {
    inventory: { pods: { namespace: string; name: string; ip: string }[] };
  };
  return derived.inventory.pods.map((p, i) => ({
    namespace: p.namespace,
    name: p.name,
    iface: `veth-pod${i}`,
    ofport: 40 + i,
    mac: `0a:00:00:00:00:${(0x10 + i).toString(16)}`,
    ip: p.ip,
  }));
}

const dumpAll = (ovs: Ovs): string[] => ovs.dumpFlows();
const round = (flow: string): bigint => BigInt(/^cookie=(0x[0-9a-f]+)/.exec(flow)?.[1] ?? 0) >> 48n;

/** The flows whose cookie round is one the bundles use: what dpc owns (docs/design.md §6). */
function owned(ovs: Ovs, ...bundles: string[]): string[] {
  const rounds = new Set(bundles.flatMap((b) => bundleLines(b, 'openflow/flows.txt').map(round)));
  // Sorted as flows.txt is: OVS lists a flow replaced in place after its neighbours of equal priority.
  return sortDumpedFlows(ovs.dumpFlows().filter((f) => rounds.has(round(f))));
}
const bridgeIds = (ovs: Ovs): string => ovs.vsctl('get', 'bridge', ovs.bridge, 'external_ids');
const bundleLines = (dir: string, file: string): string[] => readFileSync(join(dir, NODE, file), 'utf8').split('\n').filter(Boolean);

function foreignOnly(ovs: Ovs, ownedFlows: readonly string[]): string[] {
  const mine = new Set(ownedFlows);
  return dumpAll(ovs).filter((f) => !mine.has(f));
}

function withPolicyChange(sources: SourceText[]): SourceText[] {
  return sources.map((s) => (s.name === 'policies.yaml' ? { ...s, text: `${s.text.trimEnd()}\n    ports:\n    - {protocol: TCP, port: 6379}\n` } : s));
}

describe.skipIf(!HAVE_OVS)('dpc runtime on a private OVS', () => {
  let ovs: Ovs;
  let state: string;
  let db: string;
  let inventory: SourceText;
  let v1: string;
  let v2: string;
  let pods: CniPod[];

  beforeAll(async () => {
    ovs = await startOvs();
    state = stateDirFor(ovs);
    db = `unix:${join(ovs.dir, 'db.sock')}`;
    pods = cniPods();
    for (const p of pods) addCniPort(ovs, p);
  }, 120_000);
  afterAll(cleanupAll);

  test('inventory reads the CNI ports; a compile with it puts their ofports and MACs in the flows', async () => {
    const r = await dpcAsync(ovs, state, ['inventory', '--node', NODE, '--db', db]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    inventory = { name: 'inventory.yaml', text: r.stdout };
    expect(r.stdout).toContain('kind: NodeInventory');
    v1 = compileTo([...goldenInput('policies-k8s'), inventory], [NODE]);
    v2 = compileTo([...withPolicyChange(goldenInput('policies-k8s')), inventory], [NODE]);
    const flows = readFileSync(join(v1, NODE, 'openflow/flows.txt'), 'utf8');
    const meta = JSON.parse(readFileSync(join(v1, NODE, 'bundle.json'), 'utf8')) as { inventory: { pods: { name: string; interface: string; ofport: number; mac: string; source: string }[] } };
    expect(meta.inventory.pods).toHaveLength(pods.length);
    for (const p of pods) {
      expect(flows).toContain(`in_port=${p.ofport},`);
      expect(flows).toContain(p.mac);
      const assumed = meta.inventory.pods.find((x) => x.name === p.name)!;
      expect({ iface: assumed.interface, ofport: assumed.ofport, mac: assumed.mac }).toEqual({ iface: p.iface, ofport: p.ofport, mac: p.mac });
    }
  });

  test('a bundle for another Node, or assuming another inventory, is refused and changes nothing', async () => {
    for (const f of FOREIGN_FLOWS) ovs.ofctl('add-flow', ovs.bridge, f);
    const before = { flows: dumpAll(ovs), ids: bridgeIds(ovs) };
    const other = await dpcAsync(ovs, state, ['apply', v1, '--node', 'k8s-node-worker-2']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/holds no bundle for Node "k8s-node-worker-2"|bundle of Node/);
    const wrongNode = await dpcAsync(ovs, state, ['apply', join(v1, NODE), '--node', 'k8s-node-worker-2']);
    expect(wrongNode.code).toBe(1);
    expect(wrongNode.stderr).toContain(`is the bundle of Node "${NODE}"`);
    const derived = compileTo(goldenInput('policies-k8s'), [NODE]);
    const r = await dpcAsync(ovs, state, ['apply', derived, '--node', NODE]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refused');
    for (const p of pods) expect(r.stderr).toMatch(new RegExp(`Pod ${p.namespace}/${p.name}: bundle assumes interface \\S+, Node has ${p.iface}`));
    expect({ flows: dumpAll(ovs), ids: bridgeIds(ovs) }).toEqual(before);
  });

  test('apply v1, then again: the second apply changes nothing; status reports it', async () => {
    const foreignBefore = dumpAll(ovs);
    const r = await dpcAsync(ovs, state, ['apply', v1, '--node', NODE]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('applied');
    expect(owned(ovs, v1, v2)).toEqual(bundleLines(v1, 'openflow/flows.txt'));
    expect(foreignOnly(ovs, owned(ovs, v1, v2))).toEqual(foreignBefore);
    const ids = bridgeIds(ovs);
    const flows = dumpAll(ovs);
    const again = await dpcAsync(ovs, state, ['apply', v1, '--node', NODE, '--format', 'json']);
    expect(again.code).toBe(0);
    const summary = JSON.parse(again.stdout) as { result: string; kinds: { changes: string[] }[] };
    expect(summary.result).toBe('unchanged');
    expect(summary.kinds.flatMap((k) => k.changes)).toEqual([]);
    expect(bridgeIds(ovs)).toBe(ids);
    expect(dumpAll(ovs)).toEqual(flows);
    const st = await dpcAsync(ovs, state, ['status', '--format', 'json']);
    const s = JSON.parse(st.stdout) as { node: string; digest: string; appliedAt: string };
    expect(s.node).toBe(NODE);
    const meta = readFileSync(join(v1, NODE, 'bundle.json'));
    expect(s.digest).toBe(`sha256:${createHash('sha256').update(meta).digest('hex')}`);
    expect(Date.parse(s.appliedAt)).toBeGreaterThan(Date.now() - 600_000);
    // The ports and table names the bundle's OVSDB operations create, ensured rather than inserted twice.
    expect(ovs.vsctl('--bare', '--columns=name', 'find', 'port', 'name=antrea-gw0').trim()).toBe('antrea-gw0');
    expect(ovs.ofctl('--names', 'dump-flows', ovs.bridge, 'table=PipelineRootClassifier')).toContain('PipelineRootClassifier');
  });

  test('diff --live: in sync exits 0; drift in flows and OVSDB is shown as a unified diff, exit 1; apply repairs it', async () => {
    expect((await dpcAsync(ovs, state, ['diff', '--live', v1, '--node', NODE])).code).toBe(0);
    const flows = bundleLines(v1, 'openflow/flows.txt');
    const victim = flows[Math.floor(flows.length / 2)]!;
    const key = victim.replace(/^cookie=0x[0-9a-f]+, /, '').replace(/ actions=.*$/, '');
    ovs.ofctl('--strict', 'del-flows', ovs.bridge, key);
    ovs.ofctl('add-flow', ovs.bridge, 'cookie=0x1000000000007, table=3, priority=7,ip actions=drop');
    ovs.vsctl('set', 'interface', 'antrea-tun0', 'options:key=7');
    const r = await dpcAsync(ovs, state, ['diff', '--live', v1, '--node', NODE]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('--- live/openflow/flows.txt\n+++ bundle/openflow/flows.txt\n');
    expect(r.stdout).toContain(`\n+${victim}\n`);
    expect(r.stdout).toContain('\n-cookie=0x1000000000007, table=3, priority=7,ip actions=drop\n');
    expect(r.stdout).toMatch(/\n-Interface antrea-tun0 options=.*"7"/);
    // Re-applying the bundle already applied is a reconcile: it reads the switch, whatever the drift's shape.
    const fix = await dpcAsync(ovs, state, ['apply', v1, '--node', NODE]);
    expect(fix.code).toBe(0);
    const after = await dpcAsync(ovs, state, ['diff', '--live', v1, '--node', NODE]);
    expect(after.stdout).toBe(`Node ${NODE} is in sync with bundle sha256:${after.stdout.match(/sha256:(\w+)/)?.[1]}\n`);
    expect(after.code).toBe(0);
  });

  test('v1 → v2: owned state equals v2 exactly; foreign flows, groups and meters untouched byte for byte', async () => {
    ovs.ofctl('add-group', ovs.bridge, 'group_id=4000,type=all,bucket=bucket_id:0,actions=drop');
    ovs.ofctl('add-meter', ovs.bridge, 'meter=4000,kbps,bands=type=drop,rate=1000');
    const foreign = foreignOnly(ovs, owned(ovs, v1, v2));
    const groupsBefore = ovs.ofctl('dump-groups', ovs.bridge, 'group_id=4000');
    const metersBefore = ovs.ofctl('dump-meters', ovs.bridge, 'meter=4000');
    const ownedBefore = owned(ovs, v1, v2);
    const dry = await dpcAsync(ovs, state, ['apply', v2, '--node', NODE, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/would change \(\d+ changes?\)/);
    expect(dry.stdout).toMatch(/\n {4}\+ flow cookie=/);
    expect(owned(ovs, v1, v2)).toEqual(ownedBefore);
    const r = await dpcAsync(ovs, state, ['apply', v2, '--node', NODE, '--format', 'json']);
    expect(r.stderr).toBe('');
    const summary = JSON.parse(r.stdout) as { kinds: { kind: string; changes: string[] }[] };
    const flowChanges = summary.kinds.find((k) => k.kind === 'openflow')!.changes;
    expect(flowChanges.length).toBeGreaterThan(0);
    expect(flowChanges.length).toBeLessThan(20);
    expect(owned(ovs, v1, v2)).toEqual(bundleLines(v2, 'openflow/flows.txt'));
    expect(foreignOnly(ovs, owned(ovs, v1, v2))).toEqual(foreign);
    expect(ovs.ofctl('dump-groups', ovs.bridge, 'group_id=4000')).toBe(groupsBefore);
    expect(ovs.ofctl('dump-meters', ovs.bridge, 'meter=4000')).toBe(metersBefore);
    expect((await dpcAsync(ovs, state, ['diff', '--live', v2, '--node', NODE])).code).toBe(0);
    expect((await dpcAsync(ovs, state, ['diff', '--live', v1, '--node', NODE])).code).toBe(1);
  });

  test('OVSDB maps merge key by key: a foreign key on antrea-tun0 stays; a key the next bundle drops goes', async () => {
    const tunIds = (): string => ovs.vsctl('get', 'interface', 'antrea-tun0', 'external_ids').trim();
    ovs.vsctl('set', 'interface', 'antrea-tun0', 'external_ids:foreign-agent=keep');
    expect((await dpcAsync(ovs, state, ['diff', '--live', v2, '--node', NODE])).code).toBe(0);
    const v3 = editBundle(v2, NODE, {
      'ovsdb/transact.json': (t) => t.replace('["antrea-type","tunnel"]]]', '["antrea-type","tunnel"],["dpc-extra","v3"]]]'),
    });
    expect(readFileSync(join(v3, NODE, 'ovsdb/transact.json'), 'utf8')).toContain('dpc-extra');
    const r = await dpcAsync(ovs, state, ['apply', v3, '--node', NODE, '--format', 'json']);
    expect(r.stderr).toBe('');
    expect((JSON.parse(r.stdout) as { kinds: { kind: string; changes: string[] }[] }).kinds.find((k) => k.kind === 'ovsdb')!.changes).toEqual(['~ Interface antrea-tun0 external_ids']);
    expect(tunIds()).toBe('{antrea-type=tunnel, dpc-extra=v3, foreign-agent=keep}');
    expect((await dpcAsync(ovs, state, ['apply', v2, '--node', NODE])).code).toBe(0);
    expect(tunIds()).toBe('{antrea-type=tunnel, foreign-agent=keep}');
    expect((await dpcAsync(ovs, state, ['diff', '--live', v2, '--node', NODE])).code).toBe(0);
  });

  test('a missing tool or daemon is one clear error, exit 1', async () => {
    const noOvsdb = await dpcAsync(ovs, state, ['status', '--db', `unix:${join(ovs.dir, 'nothing.sock')}`]);
    expect(noOvsdb.code).toBe(1);
    expect(noOvsdb.stderr).toMatch(/^dpc: ovsdb-server is not running: no socket .*nothing\.sock/);
    expect(noOvsdb.stderr.trim().split('\n')).toHaveLength(1);
    const noTools = await dpcAsync(ovs, state, ['apply', v2, '--node', NODE], { PATH: '/nonexistent' });
    expect(noTools.code).toBe(1);
    expect(noTools.stderr).toMatch(/^dpc: ovs-ofctl not found in PATH .*\(install openvswitch-switch\)\n$/);
  });

  test('a bundle whose files were altered is refused', async () => {
    const flows = join(v2, NODE, 'openflow/flows.txt');
    const text = readFileSync(flows, 'utf8');
    writeFileSync(flows, `${text}cookie=0x1000000000000, table=3, priority=1 actions=drop\n`);
    const r = await dpcAsync(ovs, state, ['apply', v2, '--node', NODE]);
    writeFileSync(flows, text);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('openflow/flows.txt');
  });
});
