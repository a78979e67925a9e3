import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { caseSources, GOLDEN_DIR, listCases, readExpected, renderCase } from './golden/golden.js';
import { compile } from '../compiler/compile.js';
import { allFlows } from '../compiler/plan/nodePlan.js';

describe('golden cases (make golden-update regenerates; review the diff)', () => {
  const cases = listCases();
  test('there are golden cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(3);
  });
  test.each(cases)('%s', (name) => {
    const dir = join(GOLDEN_DIR, name);
    const actual = renderCase(dir);
    const expected = readExpected(dir);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [path, content] of actual) expect(content, `golden/${name}/expected/${path}`).toBe(expected.get(path));
  });
});

describe('provenance: every NetworkPolicy flow of the policy goldens traces back to its policy and rule', () => {
  test.each(['policies-k8s', 'policies-antrea'])('%s', (name) => {
    const dir = join(GOLDEN_DIR, name);
    const result = compile(caseSources(dir), { keepPlans: true });
    expect(result.ok).toBe(true);
    let traced = 0;
    for (const plan of result.plans!) {
      const rules = new Map([...plan.policy.rules, ...plan.policy.isolation].map((r) => [r.id, r]));
      const flows = allFlows(plan);
      for (const f of flows) {
        if (f.origin.feature !== 'NetworkPolicy' || f.origin.kind === 'Node') continue;
        const id = Number(f.cookie & 0xffffffffn);
        const rule = rules.get(id);
        expect(rule, `${plan.node.name}: a flow in ${f.table} whose cookie names no rule`).toBeDefined();
        expect(f.origin.name).toBe(rule!.policy.name);
        expect(f.origin.namespace).toBe(rule!.policy.namespace);
        expect(f.origin.kind).toBe(rule!.policy.type);
        if ('ruleName' in rule! && rule.ruleName) expect(f.origin.rule).toBe(rule.ruleName);
        // Conjunctions that several rules share name each of them in rules.json.
        for (const a of f.actions) if (a.kind === 'conjunction') expect(rules.has(a.id)).toBe(true);
        traced++;
      }
      // No policy flow is anonymous: the only NetworkPolicy flows without a rule are the Node's shared path.
      for (const f of flows) if (f.cookie & 0xffffffffn) expect(f.origin.kind).not.toBe('Node');
    }
    expect(traced).toBeGreaterThan(20);
  });
});
