/**
 * The repository's conformance cases (conformance/), through ingest only: every step a case marks `invalid` is refused with an error
 * naming exactly that object (its predecessor given as the previous snapshot, so update rules apply), and every
 * other step of every case is admitted without a policy error.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFORMANCE_DIR, findFixture } from '../../test/conformance/cases.js';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { SourceText } from './documents.js';
import { ingest, type Snapshot } from './ingest.js';

const conformanceDir = CONFORMANCE_DIR;
const SOURCES = ['antrea-e2e', 'k8s-netpol-e2e'];

interface Step {
  objects?: Record<string, unknown>[];
  invalid?: { kind: string; name: string; apiVersion?: string };
}
interface Case {
  id: string;
  fixture: string;
  steps: Step[];
}

const POLICY_KINDS = new Set(['NetworkPolicy', 'ClusterNetworkPolicy', 'Tier', 'ClusterGroup', 'Group']);

function loadCases(): { file: string; dir: string; c: Case }[] {
  const out: { file: string; dir: string; c: Case }[] = [];
  for (const source of SOURCES) {
    const dir = path.join(conformanceDir, source);
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml')).sort()) {
      out.push({ file: `${source}/${f}`, dir, c: parse(readFileSync(path.join(dir, f), 'utf8')) as Case });
    }
  }
  return out;
}

function stepSources(fixtureText: string, fixtureName: string, c: Case, index: number): SourceText[] {
  const objects = c.steps[index]!.objects ?? [];
  return [
    { name: fixtureName, text: fixtureText },
    { name: `${c.id}/step-${index + 1}.yaml`, text: objects.map((o) => stringify(o)).join('---\n') },
  ];
}

function policyErrors(diags: readonly Diagnostic[]): Diagnostic[] {
  return diags.filter(
    (d) => d.severity === 'error' && ((d.object && POLICY_KINDS.has(d.object.kind)) || /^DPC1[12]\d\d$/.test(d.code)),
  );
}

function collectionFor(invalid: NonNullable<Step['invalid']>): keyof Snapshot {
  switch (invalid.kind) {
    case 'ClusterNetworkPolicy':
      return 'clusterNetworkPolicies';
    case 'Tier':
      return 'tiers';
    case 'ClusterGroup':
      return 'clusterGroups';
    case 'Group':
      return 'groups';
    default:
      return invalid.apiVersion?.startsWith('crd.antrea.io/') ? 'antreaNetworkPolicies' : 'networkPolicies';
  }
}

const cases = loadCases();

describe('conformance cases through ingest', () => {
  it('finds the validation cases', () => {
    const invalid = cases.filter(({ c }) => c.steps.some((s) => s.invalid));
    expect(invalid.length).toBeGreaterThanOrEqual(8);
  });

  for (const { file, dir, c } of cases) {
    it(file, () => {
      const fixtureFile = findFixture(dir, c.fixture) ?? expect.fail(`${file}: no fixture ${c.fixture}`);
      const fixtureText = readFileSync(fixtureFile, 'utf8');
      const fixtureName = path.relative(conformanceDir, fixtureFile);
      let previous: SourceText[] | undefined;
      c.steps.forEach((step, i) => {
        const sources = stepSources(fixtureText, fixtureName, c, i);
        const { snapshot, diagnostics } = ingest(sources, previous);
        const errors = policyErrors(diagnostics);
        const where = `${file} step ${i + 1}`;
        if (step.invalid) {
          const { kind, name } = step.invalid;
          expect(errors.length, `${where}: expected an error naming ${kind} ${name}`).toBeGreaterThan(0);
          for (const e of errors) {
            expect({ where, kind: e.object?.kind, name: e.object?.name }).toEqual({ where, kind, name });
          }
          const kept = (snapshot[collectionFor(step.invalid)] as { obj: { metadata: { name: string } } }[]).map((s) => s.obj.metadata.name);
          expect(kept, `${where}: ${kind} ${name} must be left out`).not.toContain(name);
          // An invalid step changes nothing: the next step replaces the one before it.
        } else {
          expect(errors.map((e) => `${e.object?.kind} ${e.object?.name}: ${e.field ?? ''}: ${e.message}`), where).toEqual([]);
          previous = sources;
        }
      });
    });
  }
});

describe('ingest wiring of the policy kinds', () => {
  const annpBad = `apiVersion: crd.antrea.io/v1beta1
kind: NetworkPolicy
metadata: {name: same, namespace: x}
spec:
  tier: missing
  priority: 1
  appliedTo: [{podSelector: {}}]
  ingress: [{action: Drop}]
`;
  const knp = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: same, namespace: x}
spec: {podSelector: {}, policyTypes: [Ingress]}
`;
  const namespaceX = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n';

  it('sorts the kinds into their collections and leaves refused objects out, by object, not by name', () => {
    const { snapshot, diagnostics } = ingest([{ name: 'a.yaml', text: `${namespaceX}---\n${annpBad}---\n${knp}` }]);
    expect(snapshot.antreaNetworkPolicies).toEqual([]);
    expect(snapshot.networkPolicies.map((s) => s.obj.metadata.name)).toEqual(['same']);
    expect(diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual(['DPC1107']);
  });

  it('no longer refuses the policy kinds as not compiled, but still the kinds it does not compile', () => {
    const egress = 'apiVersion: crd.antrea.io/v1beta1\nkind: Egress\nmetadata: {name: e}\nspec: {appliedTo: {}, egressIP: 10.0.0.5}\n';
    const { diagnostics } = ingest([{ name: 'a.yaml', text: `${namespaceX}---\n${knp}---\n${egress}` }]);
    expect(diagnostics.filter((d) => d.code === 'DPC1007')).toEqual([]);
  });

  it('reports nothing about the previous snapshot, and what it refused never existed', () => {
    const tier = (name: string, p: number) => `apiVersion: crd.antrea.io/v1beta1\nkind: Tier\nmetadata: {name: ${name}}\nspec: {priority: ${p}}\n`;
    const previous = [{ name: 'old.yaml', text: `${tier('t1', 20)}---\n${tier('t2', 20)}---\n${annpBad}` }];
    const { snapshot, diagnostics } = ingest([{ name: 'new.yaml', text: tier('t1', 21) }], previous);
    // t1 was refused in the previous snapshot (clash with t2), so 20 → 21 is a creation, not a change.
    expect(diagnostics).toEqual([]);
    expect(snapshot.tiers.map((t) => t.obj.spec.priority)).toEqual([21]);
  });
});
