/**
 * `dpc diff OLD NEW` on compiled cases with the real bundle interpreter (review/explain): a connection a policy
 * change opens or closes shows up, and only it; a change that alters flows but no verdict shows none. Expected
 * pairs come from the snapshot's own labels (who the policy selects), not from dpc's output.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compile } from '../compiler/compile.js';
import type { SourceText } from '../compiler/ingest/documents.js';
import { diffArtifacts } from '../review/diff/artifacts.js';
import { connectivityDiff } from '../review/diff/connectivity.js';
import { formatConnections } from '../review/diff/connset.js';
import { interpreterEvaluators } from '../review/diff/evaluator.js';
import { versionFromCompile } from '../review/diff/snapshot.js';
import type { CompiledVersion } from '../review/diff/version.js';
import { buildUnlessBuilt, runDpc } from './dpcCommand.js';
import { REPO_ROOT } from './repoRoot.js';

const CASE = join(REPO_ROOT, 'golden', 'policies-k8s', 'input');

function sources(edit: (name: string, text: string) => string = (_, t) => t, dir = CASE): SourceText[] {
  return readdirSync(dir)
    .sort()
    .map((f) => ({ name: join(dir, f), text: edit(f, readFileSync(join(dir, f), 'utf8')) }));
}

function side(label: string, src: SourceText[]): CompiledVersion {
  const r = compile(src);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return versionFromCompile(label, r, src);
}

function diff(oldSrc: SourceText[], newSrc: SourceText[], allPairs = false, classThreshold?: number) {
  const o = side('dir1', oldSrc);
  const n = side('dir2', newSrc);
  return connectivityDiff(o, n, diffArtifacts(o, n), interpreterEvaluators(o, n), { allPairs, ...(classThreshold !== undefined ? { classThreshold } : {}) });
}

/** Pods of the snapshot selected the way api-from-shop selects them, read from the model (not from dpc's output). */
function podsWhere(src: SourceText[], pred: (ns: Record<string, string>, pod: Record<string, string>) => boolean): string[] {
  const m = compile(src, { validateOnly: true }).model!;
  const labels = (l: unknown): Record<string, string> => (l instanceof Map ? Object.fromEntries(l) : { ...(l as Record<string, string>) });
  return m.pods
    .filter((p) => !p.hostNetwork && pred(labels(m.namespaces.get(p.namespace)?.labels ?? {}), labels(p.labels)))
    .map((p) => `${p.namespace}/${p.name}[Pod]`)
    .sort();
}

const addUdp53 = (f: string, t: string) => (f === 'policies.yaml' ? t.replace('    - {protocol: TCP, port: https}\n', '    - {protocol: TCP, port: https}\n    - {protocol: UDP, port: 53}\n') : t);

describe('connectivity diff through the compiled flows', () => {
  test('a port added to an ingress rule opens exactly it, from exactly the selected sources to the selected Pods', async () => {
    const r = diff(sources(), sources(addUdp53));
    const from = podsWhere(sources(), (ns) => ns['team'] === 'storefront');
    const to = podsWhere(sources(), (_, p) => p['app'] === 'payments-api');
    expect(from.length).toBeGreaterThan(0);
    expect(to.length).toBeGreaterThan(0);
    const want = from.flatMap((s) => to.map((d) => `${s} -> ${d}`)).sort();
    expect(r.changes.map((c) => `${c.src.key} -> ${c.dst.key}`).sort()).toEqual(want);
    for (const c of r.changes) {
      expect(c.type).toBe('changed');
      expect(formatConnections(c.dir2)).toBe(formatConnections(c.dir1).split(',').concat('UDP 53').sort().join(','));
    }
  });

  test('tracing every pair finds nothing the candidate filter skipped', async () => {
    const some = diff(sources(), sources(addUdp53));
    const every = diff(sources(), sources(addUdp53), true);
    const keys = (x: typeof some) => x.changes.map((c) => `${c.type} ${c.src.key} ${c.dst.key} ${formatConnections(c.dir1)} ${formatConnections(c.dir2)}`);
    expect(keys(some)).toEqual(keys(every));
    expect(some.stats.candidatePairs).toBeLessThan(every.stats.candidatePairs);
    // Pods grouped into classes (one traced pair per class pair) give the same answer with fewer traces.
    const grouped = diff(sources(), sources(addUdp53), true, 0);
    expect(keys(grouped)).toEqual(keys(every));
    expect(grouped.stats.classPairsTraced).toBeLessThan(every.stats.classPairsTraced);
  });

  // Antrea-native policies (tiers, Pass, Reject, ICMP, ipBlocks): whatever the edit, the candidate filter and the
  // Pod classes find exactly what tracing every pair finds, and each edit changes something.
  const ANTREA = join(REPO_ROOT, 'golden', 'policies-antrea', 'input');
  const edits: [string, (f: string, t: string) => string][] = [
    ['a port range widened', (f, t) => (f === 'policies.yaml' ? t.replace('port: 9100, endPort: 9103', 'port: 9100, endPort: 9110') : t)],
    ['the ping drop deleted', (f, t) => (f === 'policies.yaml' ? t.replace(/  - name: no-ping-out[\s\S]*?cidr: 0\.0\.0\.0\/0}\n/, '') : t)],
    ['Reject turned into Allow', (f, t) => (f === 'policies.yaml' ? t.replace('action: Reject', 'action: Allow') : t)],
  ];
  test.each(edits)('antrea policies, %s: candidates and classes agree with every pair', async (_, edit) => {
    const o = sources(undefined, ANTREA);
    const n = sources(edit, ANTREA);
    expect(n.map((x) => x.text)).not.toEqual(o.map((x) => x.text));
    const keys = (x: ReturnType<typeof diff>) => x.changes.map((c) => `${c.type} ${c.src.key} ${c.dst.key} ${formatConnections(c.dir1)} ${formatConnections(c.dir2)}`);
    const every = diff(o, n, true);
    expect(every.changes.length).toBeGreaterThan(0);
    expect(keys(diff(o, n))).toEqual(keys(every));
    expect(keys(diff(o, n, false, 0))).toEqual(keys(every));
  });

  test('deleting the policy closes what it allowed: removed, down to No Connections where nothing else allows', async () => {
    const drop = (f: string, t: string) => (f === 'policies.yaml' ? t.split('---\n').filter((d) => !d.includes('name: api-from-shop')).join('---\n') : t);
    const r = diff(sources(), sources(drop));
    const from = podsWhere(sources(), (ns) => ns['team'] === 'storefront');
    const to = podsWhere(sources(), (_, p) => p['app'] === 'payments-api');
    expect(r.changes.map((c) => `${c.src.key} -> ${c.dst.key}`).sort()).toEqual(from.flatMap((s) => to.map((d) => `${s} -> ${d}`)).sort());
    for (const c of r.changes) {
      expect(c.type).toBe('removed');
      expect(formatConnections(c.dir2)).toBe('No Connections');
    }
  });

  test("an ipBlock's except dropped opens the excepted range, cut as its own segment, to the policy's Pods at its ports", async () => {
    const noExcept = (f: string, t: string) => (f === 'policies.yaml' ? t.replace(', except: [203.0.113.128/25]', '') : t);
    const r = diff(sources(), sources(noExcept));
    const from = podsWhere(sources(), (_, p) => p['app'] === 'payments-api');
    // 203.0.113.128/25 as a range, in netpol-analyzer's spelling of an IP block.
    expect(r.changes.map((c) => `${c.type} ${c.src.key} -> ${c.dst.key} ${formatConnections(c.dir1)} => ${formatConnections(c.dir2)}`)).toEqual(
      from.map((s) => `added ${s} -> 203.0.113.128-203.0.113.255[External] No Connections => TCP 8000-8031`),
    );
  });

  test('a new Pod: only its own pairs change, each added, with workloads-diff-info naming it', async () => {
    const newPod = (f: string, t: string) => {
      if (f !== 'pods.yaml') return t;
      const doc = t.split('---\n').find((d) => d.includes('name: redis-0'))!;
      return `${t.replace(/\n?$/, '\n')}---\n${doc.replace('name: redis-0', 'name: redis-1').replace(/10\.10\.1\.12/g, '10.10.1.99')}`;
    };
    const r = diff(sources(), sources(newPod));
    expect(r.changes.length).toBeGreaterThan(0);
    for (const c of r.changes) {
      expect([c.src.key, c.dst.key]).toContain('shop/redis-1[Pod]');
      expect(c.type).toBe('added');
      expect(c.info).toBe('workload shop/redis-1[Pod] added');
    }
    // The same snapshot on both sides: nothing.
    expect(diff(sources(), sources()).changes).toEqual([]);
  });

  test('a change that alters flows but no verdict (a second policy repeating an allow) shows no connectivity change', async () => {
    const twin = (f: string, t: string) => {
      if (f !== 'policies.yaml') return t;
      const redis = t.split('---\n').find((d) => d.includes('name: redis-from-api-tier'))!;
      return `${t.replace(/\n?$/, '\n')}---\n${redis.replace('name: redis-from-api-tier', 'name: redis-from-api-tier-again')}`;
    };
    const o = side('dir1', sources());
    const n = side('dir2', sources(twin));
    const nodes = diffArtifacts(o, n);
    expect(nodes.length).toBeGreaterThan(0);
    expect(connectivityDiff(o, n, nodes, interpreterEvaluators(o, n)).changes).toEqual([]);
  });
});

describe('dpc diff OLD NEW', () => {
  let dir: string;
  const run = async (...args: string[]) => {
    const r = await runDpc(args);
    return { status: r.code, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(async () => {
    buildUnlessBuilt();
    dir = mkdtempSync(join(tmpdir(), 'dpc-review-'));
    cpSync(CASE, join(dir, 'old'), { recursive: true });
    cpSync(CASE, join(dir, 'new|<b>'), { recursive: true });
    const p = join(dir, 'new|<b>', 'policies.yaml');
    writeFileSync(p, addUdp53('policies.yaml', readFileSync(p, 'utf8')));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('exit 0 for no difference, 1 for differences, 2 for an error', async () => {
    expect((await run('diff', join(dir, 'old'), join(dir, 'old'))).status).toBe(0);
    const r = await run('diff', join(dir, 'old'), join(dir, 'new|<b>'));
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^Node k8s-node-worker-2: openflow\/flows.txt/m);
    expect(r.stdout).toMatch(/^\+cookie=.*udp,tp_dst=53 .*\t# K8sNetworkPolicy payments\/api-from-shop Ingress rule 0 \(Allow\)$/m);
    expect(r.stdout).toContain('Connectivity diff:\ndiff-type: changed, source: ');
    expect((await run('diff', join(dir, 'old'), join(dir, 'missing'))).status).toBe(2);
    expect((await run('diff', join(dir, 'old'))).status).toBe(2);
    const usage = [
      (await run('compile', join(dir, 'old'), '--format', 'csv')),
      (await run('diff', join(dir, 'old'), join(dir, 'old'), '--format', 'yaml')),
      (await run('diff', join(dir, 'old'), join(dir, 'old'), '--node', 'x')),
      (await run('diff', '--live', join(dir, 'old'), join(dir, 'old'))),
    ];
    for (const u of usage) expect([u.status, u.stderr]).toEqual([2, expect.stringMatching(/^dpc: .+\nRun 'dpc --help' for usage\.\n$/)]);
  });

  test('a compiled output and its snapshot give the same CSV', async () => {
    expect((await run('compile', join(dir, 'old'), '-o', join(dir, 'out-old'))).status).toBe(0);
    const fromDir = await run('diff', join(dir, 'out-old'), join(dir, 'new|<b>'), '--format', 'csv');
    const fromSnap = await run('diff', join(dir, 'old'), join(dir, 'new|<b>'), '--format', 'csv');
    expect(fromDir.status).toBe(1);
    expect(fromDir.stdout).toBe(fromSnap.stdout);
    expect(fromSnap.stdout.split('\n')[0]).toBe('diff-type,source,destination,dir1,dir2,workloads-diff-info');
    expect(fromSnap.stdout).toContain(',"TCP 8443,UDP 53",');
  });

  test('SARIF and GitHub annotations point at the YAML line of the rule that opened the connections', async () => {
    const text = readFileSync(join(dir, 'new|<b>', 'policies.yaml'), 'utf8').split('\n');
    const policyAt = text.findIndex((l) => l.includes('name: api-from-shop'));
    const ruleLine = text.findIndex((l, i) => i > policyAt && l.startsWith('  - from:')) + 1;
    const sarif = JSON.parse((await run('diff', join(dir, 'old'), join(dir, 'new|<b>'), '--format', 'sarif')).stdout);
    expect(sarif.version).toBe('2.1.0');
    const results = sarif.runs[0].results as { message: { text: string }; locations?: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[];
    const opened = results.find((x) => x.message.text.startsWith('K8sNetworkPolicy payments/api-from-shop Ingress rule 0 (Allow)'));
    expect(opened?.locations?.[0]?.physicalLocation.region.startLine).toBe(ruleLine);
    expect(opened?.locations?.[0]?.physicalLocation.artifactLocation.uri).toBe(join(dir, 'new|<b>', 'policies.yaml'));
    const gh = (await run('diff', join(dir, 'old'), join(dir, 'new|<b>'), '--format', 'github')).stdout;
    expect(gh).toMatch(new RegExp(`^::warning file=[^,]*policies.yaml,line=${ruleLine},col=\\d+,title=dpc%3A K8sNetworkPolicy payments/api-from-shop Ingress rule 0 \\(Allow\\)::`, 'm'));
    expect(gh.split('\n').filter(Boolean).every((l) => l.startsWith('::warning ') && !l.slice(10).includes('\n'))).toBe(true);
  });

  test('markdown: names from the input are escaped, the table has netpol-analyzer columns, the SVG is deterministic', async () => {
    const a = await run('diff', join(dir, 'old'), join(dir, 'new|<b>'), '--format', 'markdown', '--svg', join(dir, 'a.svg'));
    const b = await run('diff', join(dir, 'old'), join(dir, 'new|<b>'), '--format', 'markdown', '--svg', join(dir, 'b.svg'));
    expect(a.status).toBe(1);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toContain('<b>');
    expect(a.stdout).toContain('new\\|&lt;b&gt;');
    expect(a.stdout).toContain('| diff-type | source | destination | dir1 | dir2 | workloads-diff-info |');
    expect(a.stdout).toMatch(/^\| changed \| shop\/\S+\\\[Pod\\\] \| payments\/payments-api\S+ \| TCP 8443 \| TCP 8443,UDP 53 \|/m);
    expect(a.stdout).toContain('#### Rules responsible');
    const svg = readFileSync(join(dir, 'a.svg'), 'utf8');
    expect(svg).toBe(readFileSync(join(dir, 'b.svg'), 'utf8'));
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('<title>');
  });
});
