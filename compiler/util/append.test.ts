import { describe, expect, it } from 'vitest';
import { appendAll } from './append.js';

describe('appendAll', () => {
  it('appends more items than a spread call can pass as arguments', () => {
    const items = Array.from({ length: 300_000 }, (_, i) => i);
    expect(() => [0].push(...items)).toThrow(RangeError);
    const out = appendAll([-1], items);
    expect(out).toHaveLength(300_001);
    expect(out[0]).toBe(-1);
    expect(out[300_000]).toBe(299_999);
  });
});
