/**
 * The shared conformance cases, through ingest only: every step a case marks `invalid` is refused with an error
 * naming exactly that object (its predecessor given as the previous snapshot, so update rules apply), and every
 * other step of every case is admitted without a policy error.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { SourceText } from './documents.js';
import { ingest, type Snapshot } from './ingest.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const sharedDir = process.env['DPC_SHARED_DIR'] ?? path.resolve(repoRoot, '..', 'shared');
const conformanceDir = path.join(sharedDir, 'conformance');
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

/** The nearest `fixtures/` folder at or above the case's folder holds its fixture (conformance/README.md). */
function fixturePath(caseDir: string, fixture: string): string {
  let dir = caseDir;
  for (;;) {
    const p = path.join(dir, 'fixtures', `${fixture}.yaml`);
    if (existsSync(p) || dir === conformanceDir || path.dirname(dir) === dir) return p;
    dir = path.dirname(dir);
  }
}

function loadCases(): { file: string; dir: string; c: Case }[] {
  const out: { file: string; dir: string; c: Case }[] = [];
  for (const source of SOURCES) {
    const dir = path.join(conformanceDir, source);
    if (!existsSync(dir)) continue;
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

const available = existsSync(conformanceDir);
const cases = available ? loadCases() : [];

describe('shared conformance cases through ingest', () => {
  it.skipIf(available)(`needs the shared conformance cases (looked in ${conformanceDir}; set DPC_SHARED_DIR)`, () => {
    if (process.env['CI'] === 'true') throw new Error(`shared conformance cases not found in ${conformanceDir}`);
  });

  it.runIf(available)('finds the validation cases', () => {
    const invalid = cases.filter(({ c }) => c.steps.some((s) => s.invalid));
    expect(invalid.length).toBeGreaterThanOrEqual(8);
  });

  for (const { file, dir, c } of cases) {
    it(file, () => {
      const fixtureFile = fixturePath(dir, c.fixture);
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
