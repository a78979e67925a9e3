/** The registry itself: one module per rule, named for the rule, each documenting the Antrea rule it mirrors. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { POLICY_RULES, refusedObjects, validatePolicies, withoutRefused, EMPTY_POLICY_OBJECTS } from './index.js';
import { run } from './testHarness.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('rule registry', () => {
  it('lists each rule once, in a module named for it, with a doc comment citing its source', () => {
    const names = POLICY_RULES.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    expect(Object.isFrozen(POLICY_RULES)).toBe(true);
    for (const rule of POLICY_RULES) {
      const file = path.join(here, `${rule.name}.ts`);
      expect(existsSync(file), file).toBe(true);
      const text = readFileSync(file, 'utf8');
      expect(text.startsWith('/**'), `${rule.name}: doc comment first`).toBe(true);
      expect(text).toContain(`name: '${rule.name}'`);
      expect(rule.reference.length).toBeGreaterThan(0);
      expect(/§6\.[1-5]|Kubernetes API|dpc/.test(rule.reference), `${rule.name}: ${rule.reference}`).toBe(true);
    }
  });

  it('runs the Tier rules before the policy rules that look Tiers up, and group rules before group references', () => {
    const at = (n: string) => POLICY_RULES.findIndex((r) => r.name === n);
    for (const t of ['tierPriorityReserved', 'tierPriorityImmutable', 'tierPriorityUnique', 'tierCountLimit']) {
      expect(at(t)).toBeLessThan(at('policyTierExists'));
    }
    for (const g of ['groupSelectorsExclusive', 'ipBlocksValid', 'labelSelectorsValid', 'childGroupsOneLevel']) {
      expect(at(g)).toBeLessThan(at('groupReferencesExist'));
    }
  });

  it('never throws on an empty snapshot and refuses nothing', () => {
    const v = validatePolicies(EMPTY_POLICY_OBJECTS, EMPTY_POLICY_OBJECTS, {});
    expect(v.diagnostics).toEqual([]);
    expect(v.refused.size).toBe(0);
  });

  it('refuses the object an error names and points into, and only that one', () => {
    const r = run(`apiVersion: crd.antrea.io/v1beta1
kind: Tier
metadata: {name: t1}
spec: {priority: 254}
---
apiVersion: crd.antrea.io/v1beta1
kind: Tier
metadata: {name: t2}
spec: {priority: 30}
`);
    expect(r.result.snapshot.tiers.map((t) => t.obj.metadata.name)).toEqual(['t2']);
    const objects = { ...EMPTY_POLICY_OBJECTS, tiers: [...r.result.snapshot.tiers] };
    // A warning refuses nothing; an error about another object refuses nothing either.
    const warn = { ...r.diagnostics[0]!, severity: 'warning' as const, at: { loc: objects.tiers[0]!.loc }, object: { kind: 'Tier', name: 't2' } };
    const other = { ...warn, severity: 'error' as const, object: { kind: 'Tier', name: 'elsewhere' } };
    expect(refusedObjects([warn, other], objects).size).toBe(0);
    const mine = { ...other, object: { kind: 'Tier', name: 't2' } };
    const refused = refusedObjects([mine], objects);
    expect(withoutRefused(objects, refused).tiers).toEqual([]);
  });
});
