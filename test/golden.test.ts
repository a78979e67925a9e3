import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { GOLDEN_DIR, listCases, readExpected, renderCase } from './golden/golden.js';

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
