/**
 * Antrea's controller-benchmark shapes (bench/antreaShapes.ts), shrunk: each compiles without errors, the same for a
 * seed, and the one-Namespace shape (every policy the same) compiles to the rules and flows of one policy.
 */
import { describe, expect, test } from 'vitest';
import { ANTREA_SHAPES, antreaShapeCounts, generateAntreaShape } from '../bench/antreaShapes.js';
import { compile } from '../compiler/compile.js';

describe("Antrea's controller-benchmark shapes", () => {
  test.each(ANTREA_SHAPES)('%s compiles at 1/100 of its size, with the counts it promises', (shape) => {
    const sources = generateAntreaShape({ shape, nodes: 8, scale: 0.01 });
    expect(generateAntreaShape({ shape, nodes: 8, scale: 0.01 })).toEqual(sources);
    const r = compile(sources);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const c = antreaShapeCounts(shape, 0.01);
    expect(r.stats.pods).toBe(c.pods);
    expect(r.stats.objects).toBe(1 + 8 + c.namespaces + c.pods + c.policies);
  });

  test('one Namespace: a hundred identical policies compile to the rules and flows of one', () => {
    const r = compile(generateAntreaShape({ shape: 'one-namespace', nodes: 4, scale: 0.01 }));
    expect(r.stats.pods).toBe(100);
    for (const b of r.bundles) {
      // One rule and the two isolations, each standing for every policy.
      const rules = JSON.parse(b.files.get('visibility/rules.json')!).rules as { sharedWith?: string[] }[];
      expect(rules.map((e) => e.sharedWith?.length)).toEqual([99, 99, 99]);
      // The rule's conjunction: one match flow per peer (every Pod) and per local Pod; no flow per policy.
      const conj = b.files.get('openflow/flows.txt')!.split('\n').filter((l) => l.includes('conjunction('));
      expect(conj).toHaveLength(100 + b.podCount);
    }
  });
});
