import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonicalJson.js';

/** The definition, written plainly: sorted keys, undefined members left out, JSON.stringify for the rest. */
function reference(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(reference).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** A small deterministic generator, so a failure names a seed that reproduces it. */
function randomValue(seed: number): unknown {
  // mulberry32
  let state = seed >>> 0;
  const next = (n: number) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  const keys = ['a', 'B', 'b', '10', '9', 'é', 'z', 'Z', 'app.kubernetes.io/name', 'x"y', 'line\nbreak', '\u{1F600}', '\uFF5E', ''];
  const value = (depth: number): unknown => {
    switch (depth > 3 ? next(4) : next(7)) {
      case 0:
        return keys[next(keys.length)];
      case 1:
        return next(1000) - 500;
      case 2:
        return [true, false, null, undefined, 1.5][next(5)];
      case 3:
        return 'quote " backslash \\ tab \t';
      case 4:
        return Array.from({ length: next(4) }, () => value(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        // More than 32 keys now and then: the sort takes another path there.
        if (next(5) === 0) {
          while (Object.keys(o).length < 40) o[`k${next(1000)}`] = value(depth + 1);
          return o;
        }
        const n = next(6);
        for (let i = 0; i < n; i++) o[keys[next(keys.length)]!] = value(depth + 1);
        return o;
      }
    }
  };
  return value(0);
}

describe('canonicalJson', () => {
  it('sorts keys by UTF-16 code units at every level and leaves undefined members out', () => {
    expect(canonicalJson({ b: 1, a: { z: [3, { y: undefined, x: null }], B: 'q' }, c: undefined })).toBe('{"a":{"B":"q","z":[3,{"x":null}]},"b":1}');
    expect(canonicalJson({ '10': 0, '9': 0, é: 0, z: 0, '\u{1F600}': 0, '\uFF5E': 0 })).toBe('{"10":0,"9":0,"z":0,"é":0,"\u{1F600}":0,"\uFF5E":0}');
    expect(canonicalJson({ only: undefined })).toBe('{}');
    expect(canonicalJson([undefined, () => 1])).toBe('[null,null]');
    expect(canonicalJson('a"\n')).toBe('"a\\"\\n"');
  });

  it('equals the plain definition on many random values', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const v = randomValue(seed);
      expect(canonicalJson(v), `seed ${seed}`).toBe(reference(v));
    }
  });
});
