/**
 * tc/ applied by `dpc apply` in a network namespace the test creates (ip netns exec, as on a Node), against the Pod
 * interfaces the bundle assumes (veths named as the bundle names them): the tbf, ingress qdisc, u32 redirect and
 * ifb device follow the bundle v1 → v1 again (nothing changes) → v2 (one Pod's rates change, its egress annotation
 * goes) → v0 (no annotations: everything dpc made goes), while a foreign ifb, a foreign tbf on another device and a
 * foreign qdisc on an unshaped Pod's interface stay as they were; drift is reported by diff --live and repaired.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupAll, requireOvs, startOvs, type Ovs } from '../harness/ovs.js';
import { createNetns, HAVE_NETNS, type Netns } from '../harness/netns.js';
import { addPodsAssumedBy, compileTo, goldenInput, stateDirFor, dpcAsync } from './node.js';
import { editBundle } from './scale.js';

const HAVE_OVS = requireOvs();
const NODE = 'node-a';

/** The golden case with its annotations edited: one text edit per version. */
function version(edit: (text: string) => string): string {
  return compileTo(goldenInput('pod-bandwidth').map((s) => ({ ...s, text: edit(s.text) })), [NODE]);
}

interface Live {
  ifbs: string[];
  qdiscs: string[];
  filters: string[];
}

function liveTc(ns: Netns): Live {
  const links = JSON.parse(ns.exec('ip', ['-j', '-d', 'link', 'show'])) as { ifname: string; flags: string[]; linkinfo?: { info_kind?: string } }[];
  const qdiscs = JSON.parse(ns.exec('tc', ['-j', 'qdisc', 'show'])) as { kind: string; handle: string; dev: string; options?: { rate?: number } }[];
  const filters: string[] = [];
  for (const q of qdiscs.filter((x) => x.kind === 'ingress')) {
    const fs = JSON.parse(ns.exec('tc', ['-j', 'filter', 'show', 'dev', q.dev, 'parent', 'ffff:'])) as { pref: number; options?: { fh?: string; actions?: { to_dev?: string }[] } }[];
    for (const f of fs) if (f.options?.actions) filters.push(`${q.dev} pref ${f.pref} ${f.options.fh} -> ${f.options.actions.map((a) => a.to_dev).join(',')}`);
  }
  return {
    ifbs: links.filter((l) => l.linkinfo?.info_kind === 'ifb').map((l) => `${l.ifname}${l.flags.includes('UP') ? ' up' : ''}`).sort(),
    qdiscs: qdiscs.filter((q) => !['noqueue', 'noop'].includes(q.kind)).map((q) => `${q.dev} ${q.kind} ${q.handle}${q.options?.rate ? ` rate ${q.options.rate}` : ''}`).sort(),
    filters: filters.sort(),
  };
}

describe.skipIf(!HAVE_OVS || !HAVE_NETNS)('tc/ in a network namespace', () => {
  let ovs: Ovs;
  let ns: Netns;
  let state: string;
  let v0: string;
  let v1: string;
  let v2: string;
  let iface: Record<string, string>;
  let ifb: Record<string, string>;
  const run = (...args: string[]) => dpcAsync(ovs, state, args, {}, ns.name);

  beforeAll(async () => {
    ovs = await startOvs();
    state = stateDirFor(ovs);
    v1 = version((t) => t);
    v2 = version((t) => t.replace('kubernetes.io/ingress-bandwidth: 10M', 'kubernetes.io/ingress-bandwidth: 20M').replace('    kubernetes.io/egress-bandwidth: 5M\n', ''));
    v0 = version((t) => t.replace(/^ {2}annotations:.*\n( {4}kubernetes\.io\/.*\n)*/gm, ''));
    addPodsAssumedBy(ovs, v1, NODE);
    const meta = JSON.parse(readFileSync(join(v1, NODE, 'bundle.json'), 'utf8')) as { inventory: { pods: { name: string; interface: string }[] } };
    iface = Object.fromEntries(meta.inventory.pods.map((p) => [p.name, p.interface]));
    const links = readFileSync(join(v1, NODE, 'tc', 'links.txt'), 'utf8');
    const redirects = [...readFileSync(join(v1, NODE, 'tc', 'tc.txt'), 'utf8').matchAll(/^filter replace dev (\S+) .* redirect dev (\S+)$/gm)];
    ifb = Object.fromEntries(redirects.map((m) => [Object.entries(iface).find(([, i]) => i === m[1])![0], m[2]!]));
    expect(Object.keys(ifb).sort()).toEqual(['transcoder-0', 'uploader']);
    for (const name of Object.values(ifb)) expect(links).toContain(`link add ${name} type ifb\n`);
    ns = createNetns('tc');
    // The Pods' host-side interfaces as the CNI plugin leaves them, and what others put on this Node.
    ns.ip([
      ...Object.values(iface).flatMap((i, n) => [`link add ${i} type veth peer name pod${n}`, `link set ${i} up`, `link set pod${n} up`]),
      'link add other0 type veth peer name other1',
      'link set other0 up',
      'link add bwp0123abcd type ifb',
    ]);
    ns.exec('tc', ['qdisc', 'add', 'dev', 'other0', 'root', 'handle', '1:', 'tbf', 'rate', '1mbit', 'burst', '10kb', 'latency', '50ms']);
    ns.exec('tc', ['qdisc', 'add', 'dev', 'bwp0123abcd', 'root', 'handle', '1:', 'tbf', 'rate', '2mbit', 'burst', '10kb', 'latency', '50ms']);
    ns.exec('tc', ['qdisc', 'add', 'dev', iface['web']!, 'root', 'handle', '5:', 'pfifo']);
  }, 120_000);
  afterAll(async () => {
    ns?.delete();
    await cleanupAll();
  });

  const foreign = ['bwp0123abcd tbf 1: rate 250000', 'other0 tbf 1: rate 125000'];

  test('v1, v1 again, v2, v0: owned state exact, foreign qdiscs and devices untouched', async () => {
    const a = await run('apply', v1, '--node', NODE);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    const t = iface['transcoder-0']!;
    const u = iface['uploader']!;
    const atV1: Live = {
      ifbs: ['bwp0123abcd', `${ifb['transcoder-0']} up`, `${ifb['uploader']} up`].sort(),
      qdiscs: [
        ...foreign,
        `${iface['web']} pfifo 5:`,
        // 10M ingress → 1,250,000 B/s on the host side; 5M and 1.5Gi egress on the ifb devices.
        `${t} tbf 1: rate 1250000`,
        `${t} ingress ffff:`,
        `${u} ingress ffff:`,
        `${ifb['transcoder-0']} tbf 1: rate 625000`,
        `${ifb['uploader']} tbf 1: rate ${(1.5 * 2 ** 30) / 8}`,
      ].sort(),
      filters: [`${t} pref 1 800::800 -> ${ifb['transcoder-0']}`, `${u} pref 1 800::800 -> ${ifb['uploader']}`].sort(),
    };
    expect(liveTc(ns)).toEqual(atV1);

    const again = await run('apply', v1, '--node', NODE, '--format', 'json');
    expect(JSON.parse(again.stdout).result).toBe('unchanged');
    expect((JSON.parse(again.stdout) as { kinds: { kind: string; changes: string[] }[] }).kinds.find((k) => k.kind === 'tc')!.changes).toEqual([]);
    expect((await run('diff', '--live', v1, '--node', NODE)).code).toBe(0);

    const b = await run('apply', v2, '--node', NODE, '--format', 'json');
    expect(b.stderr).toBe('');
    const changes = (JSON.parse(b.stdout) as { kinds: { kind: string; changes: string[] }[] }).kinds.find((k) => k.kind === 'tc')!.changes;
    // Only the transcoder's lines: the uploader's shaping is left alone.
    expect(changes.filter((c) => c.includes(u) || c.includes(ifb['uploader']!))).toEqual([]);
    expect(changes).toContain(`- link del ${ifb['transcoder-0']}`);
    expect(liveTc(ns)).toEqual({
      ifbs: ['bwp0123abcd', `${ifb['uploader']} up`].sort(),
      qdiscs: [...foreign, `${iface['web']} pfifo 5:`, `${t} tbf 1: rate 2500000`, `${u} ingress ffff:`, `${ifb['uploader']} tbf 1: rate ${(1.5 * 2 ** 30) / 8}`].sort(),
      filters: [`${u} pref 1 800::800 -> ${ifb['uploader']}`],
    });
    expect((await run('diff', '--live', v2, '--node', NODE)).code).toBe(0);
    const drift = await run('diff', '--live', v1, '--node', NODE);
    expect(drift.code).toBe(1);
    expect(drift.stdout).toContain('--- live/tc/tc.txt');
    expect(drift.stdout).toContain(`+qdisc replace dev ${t} handle ffff: ingress`);

    expect((await run('apply', v1, '--node', NODE)).code).toBe(0);
    expect(liveTc(ns)).toEqual(atV1);

    // No annotations left: the bundle has no tc/ at all, and what v1 made goes.
    const c = await run('apply', v0, '--node', NODE);
    expect(c.stderr).toBe('');
    expect(liveTc(ns)).toEqual({ ifbs: ['bwp0123abcd'], qdiscs: [...foreign, `${iface['web']} pfifo 5:`].sort(), filters: [] });
    expect((await run('diff', '--live', v0, '--node', NODE)).code).toBe(0);
  }, 300_000);

  test('drift on owned objects is reported by diff --live and repaired by apply', async () => {
    expect((await run('apply', v1, '--node', NODE)).code).toBe(0);
    const u = iface['uploader']!;
    // Someone removes the uploader's redirect and changes the transcoder's rate.
    ns.exec('tc', ['filter', 'del', 'dev', u, 'parent', 'ffff:']);
    ns.exec('tc', ['qdisc', 'replace', 'dev', iface['transcoder-0']!, 'root', 'handle', '1:', 'tbf', 'rate', '3mbit', 'burst', '10kb', 'latency', '50ms']);
    const d = await run('diff', '--live', v1, '--node', NODE);
    expect(d.code).toBe(1);
    expect(d.stdout).toContain(`+filter replace dev ${u} parent ffff: protocol all prio 1 handle 800::800 u32 match u32 0 0 classid 1:1 action mirred egress redirect dev ${ifb['uploader']}`);
    expect(d.stdout).toMatch(new RegExp(`-qdisc replace dev ${iface['transcoder-0']} root handle 1: tbf rate 3000000bit`));
    expect((await run('apply', v1, '--node', NODE, '--full')).code).toBe(0);
    expect((await run('diff', '--live', v1, '--node', NODE)).code).toBe(0);
    expect(liveTc(ns).filters).toContain(`${u} pref 1 800::800 -> ${ifb['uploader']}`);
  }, 300_000);

  test('the files load as they are with ip -batch and tc -batch, twice, into what the runtime holds for the bundle', async () => {
    expect((await run('apply', v0, '--node', NODE)).code).toBe(0);
    const links = readFileSync(join(v1, NODE, 'tc', 'links.txt'), 'utf8');
    const tc = readFileSync(join(v1, NODE, 'tc', 'tc.txt'), 'utf8');
    ns.exec('ip', ['-batch', '-'], links);
    ns.exec('tc', ['-batch', '-'], tc);
    ns.exec('tc', ['-batch', '-'], tc);
    expect((await run('diff', '--live', v1, '--node', NODE)).code).toBe(0);
    const plan = await run('apply', v1, '--node', NODE, '--dry-run', '--format', 'json');
    expect((JSON.parse(plan.stdout) as { kinds: { kind: string; changes: string[] }[] }).kinds.find((k) => k.kind === 'tc')!.changes).toEqual([]);
  }, 300_000);

  test('a line the kernel refuses leaves the previous state', async () => {
    expect((await run('apply', v1, '--node', NODE)).code).toBe(0);
    const before = liveTc(ns);
    // v2's changes, then a redirect on a Pod interface that has no ingress qdisc: the kernel refuses that line last.
    const bad = editBundle(v2, NODE, {
      'tc/tc.txt': (t) => `${t}filter replace dev ${iface['web']} parent ffff: protocol all prio 1 handle 800::800 u32 match u32 0 0 classid 1:1 action mirred egress redirect dev ${ifb['uploader']}\n`,
    });
    const failed = await run('apply', bad, '--node', NODE);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/applying tc failed, tc is as it was/);
    expect(liveTc(ns)).toEqual(before);
    expect((await run('diff', '--live', v1, '--node', NODE)).code).toBe(0);
  }, 300_000);
});
