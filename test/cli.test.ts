/** The dpc command as users run it: exit codes, messages, and what is (not) written. */
import { beforeAll, describe, expect, test } from 'vitest';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './repoRoot.js';
import { buildUnlessBuilt, runDpc } from './dpcCommand.js';
import { clusterSources, twoNodes } from './fixtures/clusters.js';
import { tempDir } from './harness/tempDir.js';


const dpc = (args: string[], opts: { input?: string; cwd?: string } = {}) => runDpc(args, { input: opts.input ?? '', cwd: opts.cwd ?? REPO_ROOT });


function writeCluster(dir: string): void {
  for (const s of clusterSources(twoNodes)) writeFileSync(join(dir, s.name), s.text);
}

beforeAll(buildUnlessBuilt, 120_000);

describe('dpc CLI', () => {
  test('the summary says per Node which Pods each TrafficControl captures, where to, and who lost a Pod', async () => {
    const out = tempDir('dpc-cli-tc-');
    const r = await dpc(['compile', 'golden/traffic-control/input', '-o', join(out, 'b')]);
    expect(r.code, r.stderr).toBe(0);
    const section = r.stdout.slice(r.stdout.indexOf('TrafficControl on k8s-node-worker-1:')).split('\n').slice(0, 5);
    expect(section).toEqual([
      'TrafficControl on k8s-node-worker-1:',
      '  ids-payments: Mirror Both to geneve geneve-d4c287 to 192.168.77.250 VNI 100: payments/fraud-check-9f8e-t3v6b',
      '  inline-frontend: Redirect Ingress to device ids-in, back through device ids-out: shop/frontend-6f7b9c-x2k4p',
      '  erspan-api: Mirror Egress to erspan v2 erspan-863748 to 192.168.77.251 session 12: shop/cart-5d8f7-h4j9k; loses payments/fraud-check-9f8e-t3v6b to ids-payments',
      '  legacy-gre: Mirror Both to gre gre-legacy to 192.168.77.252 key 7: shop/redis-0',
    ]);
    // A TrafficControl that does nothing on a Node is left out of the text; JSON lists every one.
    expect(r.stdout).not.toMatch(/parked/);
    const json = JSON.parse((await dpc(['compile', 'golden/traffic-control/input', '-o', join(out, 'c'), '--format', 'json'])).stdout) as {
      trafficControl: { node: string; trafficControls: { trafficControl: string; pods: string[] }[] }[];
    };
    expect(json.trafficControl.find((n) => n.node === 'k8s-node-worker-1')!.trafficControls.find((t) => t.trafficControl === 'parked')!.pods).toEqual([]);
  });

  test('--version and --help', async () => {
    expect((await dpc(['--version'])).stdout).toMatch(/^dpc \d+\.\d+\.\d+\n$/);
    const help = await dpc(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('dpc compile [PATH...|-]');
  });

  test('usage errors exit 2 and say why', async () => {
    for (const args of [[], ['frobnicate', 'x'], ['compile'], ['compile', 'x', '--format', 'yaml'], ['compile', 'x', '--bogus'], ['compile', '-o']]) {
      const r = await dpc(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^dpc: /);
    }
  });

  test('compile writes one bundle per Node and prints a summary', async () => {
    const dir = tempDir('dpc-cli-');
    writeCluster(dir);
    const out = join(dir, 'out');
    const r = await dpc(['compile', dir, '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/compiled 2 Node bundles/);
    expect(r.stdout).toMatch(/alpha\s+2\s+\d+/);
    expect(readdirSync(out).sort()).toEqual(['alpha', 'beta', 'manifest.json']);
    expect(readFileSync(join(out, 'alpha', 'openflow', 'flows.txt'), 'utf8')).toContain('table=');
  });

  test('--node limits the bundles; JSON output is machine-readable', async () => {
    const dir = tempDir('dpc-cli-');
    writeCluster(dir);
    const r = await dpc(['compile', dir, '-o', join(dir, 'out'), '--node', 'beta', '--format', 'json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { ok: boolean; nodes: { name: string; flows: number }[] };
    expect(summary.ok).toBe(true);
    expect(summary.nodes.map((n) => n.name)).toEqual(['beta']);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['beta', 'manifest.json']);
  });

  test('stdin is read with -', async () => {
    const text = clusterSources(twoNodes).map((s) => s.text).join('---\n');
    const r = await dpc(['validate', '-'], { input: text });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid: \d+ objects, 2 Nodes, 4 Pods/);
  });

  test('input errors exit 1, name file:line:col, object and field, and leave the output as it was', async () => {
    const dir = tempDir('dpc-cli-');
    writeCluster(dir);
    const out = join(dir, 'out');
    expect((await dpc(['compile', dir, '-o', out])).code).toBe(0);
    const before = readFileSync(join(out, 'alpha', 'openflow', 'flows.txt'), 'utf8');
    writeFileSync(
      join(dir, 'bad.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata: {name: lost, namespace: web}\nspec:\n  nodeName: gamma\n  containers: []\nstatus: {podIP: 172.30.9.50}\n',
    );
    const r = await dpc(['compile', dir, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'bad.yaml')}:5:13: error: Pod web/lost: spec.nodeName: Pod is scheduled on Node "gamma", which is not in the snapshot`);
    expect(r.stderr).toMatch(/nothing was written/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(readFileSync(join(out, 'alpha', 'openflow', 'flows.txt'), 'utf8')).toBe(before);
    expect(readdirSync(dir).filter((n) => n.startsWith('.out'))).toEqual([]);
  });

  test('files and stdin in UTF-16 or UTF-8 with a byte order mark are read as kubectl reads them', async () => {
    const dir = tempDir('dpc-cli-');
    const sources = clusterSources(twoNodes);
    sources.forEach((s, i) => {
      const le = Buffer.from(s.text, 'utf16le');
      const bytes = [Buffer.concat([Buffer.from([0xff, 0xfe]), le]), Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(le).swap16()])][i % 2]!;
      writeFileSync(join(dir, s.name), bytes);
    });
    const r = await dpc(['validate', dir]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.stdout).toMatch(/valid: \d+ objects, 2 Nodes, 4 Pods/);
    const bom = await runDpc(['validate', '-'], { input: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(sources.map((s) => s.text).join('---\n'))]) });
    expect(bom.stdout).toMatch(/valid: \d+ objects, 2 Nodes, 4 Pods/);
  });

  test('a missing path is an input error', async () => {
    const r = (await dpc(['validate', join(tmpdir(), 'does-not-exist-dpc')]));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no such file or directory/);
  });

  test('unknown kinds are warned about and skipped', async () => {
    const dir = tempDir('dpc-cli-');
    writeCluster(dir);
    mkdirSync(join(dir, 'extra'));
    writeFileSync(join(dir, 'extra', 'cm.yml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: web}\nspec: {}\n');
    const r = await dpc(['validate', dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: Deployment web/web: unknown kind Deployment (apiVersion apps/v1); skipped');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});
