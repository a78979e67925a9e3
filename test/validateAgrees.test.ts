/**
 * `dpc validate` refuses exactly what `dpc compile` refuses (docs/design.md §3a): the same diagnostics and the same exit
 * code, for refusals made by every stage (ingest rules, resolve, allocate), run through the real command.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildUnlessBuilt, runDpc } from './dpcCommand.js';
import { clusterSources, twoNodes, type ClusterSpec } from './fixtures/clusters.js';
import { tempDir } from './harness/tempDir.js';


beforeAll(buildUnlessBuilt, 120_000);

function cnp(name: string, spec: string): string {
  return `apiVersion: crd.antrea.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {name: ${name}}\nspec:\n${spec}`;
}

const egressRule = (rule: string) => `  priority: 1\n  appliedTo:\n  - podSelector: {}\n  egress:\n${rule}`;

/** A baseline policy with more distinct rule priorities than the baseline tables have (180 down to 10). */
function exhaustedBaseline(): string {
  const rules = Array.from({ length: 172 }, (_, i) => `  - {name: r${i}, action: Drop, from: [{ipBlock: {cidr: 10.9.${i}.0/24}}]}`);
  return cnp('too-many', `  priority: 1\n  tier: baseline\n  appliedTo:\n  - podSelector: {}\n  ingress:\n${rules.join('\n')}\n`);
}

const inventory = `apiVersion: dpc/v1alpha1
kind: NodeInventory
metadata: {name: alpha}
spec:
  pods:
  - {namespace: web, name: client, ofport: 7}
  - {namespace: web, name: server, ofport: 7}
`;

/** Each case: what compile refuses, the code it refuses with, the extra input and agent config. */
const CASES: { what: string; code: string; text: string; agent?: string }[] = [
  { what: 'an fqdn peer', code: 'DPC3101', text: cnp('fqdn', egressRule('  - {name: r, action: Allow, to: [{fqdn: "*.example.com"}]}\n')) },
  { what: 'a toServices peer', code: 'DPC3101', text: cnp('svc', egressRule('  - {name: r, action: Allow, toServices: [{name: db, namespace: web}]}\n')) },
  {
    what: 'an L7 rule with its feature gate on',
    code: 'DPC3101',
    text: cnp('l7', egressRule('  - {name: r, action: Allow, l7Protocols: [{http: {path: /}}]}\n')),
    agent: 'featureGates: {L7NetworkPolicy: true}\ntunnelType: geneve',
  },
  { what: 'an IGMP rule', code: 'DPC3101', text: cnp('igmp', egressRule('  - {name: r, action: Drop, protocols: [{igmp: {igmpType: 0x12, groupAddress: 225.1.2.3}}]}\n')) },
  {
    what: 'a Node policy rule whose iptables comment would pass 255 bytes',
    code: 'DPC3191',
    text: cnp('nodes', `  priority: 1\n  appliedTo:\n  - nodeSelector: {}\n  ingress:\n  - {name: ${'r'.repeat(250)}, action: Drop, from: [{ipBlock: {cidr: 10.0.0.0/8}}]}\n`),
    agent: 'featureGates: {NodeNetworkPolicy: true}\ntunnelType: geneve',
  },
  {
    what: 'a ClusterSet-scoped peer',
    code: 'DPC3101',
    text: cnp('cs', '  priority: 1\n  appliedTo:\n  - podSelector: {}\n  ingress:\n  - {name: r, action: Drop, from: [{podSelector: {}, scope: ClusterSet}]}\n'),
  },
  {
    what: 'an Antrea policy while AntreaPolicy is off',
    code: 'DPC3105',
    text: cnp('off', egressRule('  - {name: r, action: Drop, to: [{podSelector: {}}]}\n')),
    agent: 'featureGates: {AntreaPolicy: false}\ntunnelType: geneve',
  },
  { what: 'an unknown Tier', code: 'DPC1107', text: cnp('tier', `  tier: nowhere\n${egressRule('  - {name: r, action: Drop, to: [{podSelector: {}}]}\n')}`) },
  { what: 'exhausted baseline priorities', code: 'DPC4001', text: exhaustedBaseline() },
  { what: 'an ofport used twice by the inventory', code: 'DPC2015', text: inventory },
];

const run = (args: string[]) => runDpc(args);


function snapshotDir(spec: ClusterSpec, extra: string): string {
  const dir = tempDir('dpc-agree-');
  for (const s of clusterSources(spec)) writeFileSync(join(dir, s.name), s.text);
  writeFileSync(join(dir, 'extra.yaml'), extra);
  return dir;
}

describe('validate and compile agree', () => {
  test.each(CASES)('$what', async ({ code, text, agent }) => {
    const dir = snapshotDir({ ...twoNodes, ...(agent ? { agentConfig: agent } : {}) }, text);
    const out = join(dir, 'out');
    const compiled = await run(['compile', dir, '-o', out, '--format', 'json']);
    const validated = await run(['validate', dir, '--format', 'json']);
    expect(compiled.code).toBe(1);
    expect(validated.code).toBe(compiled.code);
    const c = JSON.parse(compiled.stdout) as { ok: boolean; diagnostics: { code: string }[] };
    const v = JSON.parse(validated.stdout) as { ok: boolean; diagnostics: { code: string }[] };
    expect(c.diagnostics.map((d) => d.code)).toContain(code);
    expect(v).toEqual({ ...c, command: 'validate' });
    expect(existsSync(out)).toBe(false);
  });

  test('the human form prints the same lines; only the closing sentence names the command', async () => {
    const dir = snapshotDir(twoNodes, CASES[0]!.text);
    const human = async (args: string[]) => {
      const r = await run(args);
      return { code: r.code, stderr: r.stderr.replace(`dpc: ${args[0]} failed`, 'dpc: failed') };
    };
    const compiled = await human(['compile', dir, '-o', join(dir, 'out')]);
    expect(compiled.stderr).toMatch(/extra\.yaml:\d+:\d+: error: ClusterNetworkPolicy fqdn: spec\.egress\[0\]\.to\[0\]\.fqdn: an fqdn peer is not compiled/);
    expect(await human(['validate', dir])).toEqual(compiled);
  });

  test('an input both accept is valid for validate and compiles', async () => {
    const dir = snapshotDir(twoNodes, cnp('fine', egressRule('  - {name: r, action: Drop, to: [{podSelector: {}}]}\n')));
    expect((await run(['validate', dir])).code).toBe(0);
    expect((await run(['compile', dir, '-o', join(dir, 'out')])).code).toBe(0);
  });
});
