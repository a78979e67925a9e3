import { describe, expect, test } from 'vitest';
import { unifiedDiff } from './udiff.js';

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

describe('unifiedDiff', () => {
  test('equal lists give no diff', () => {
    expect(unifiedDiff('a', 'b', ['1', '2'], ['1', '2'], cmp)).toBe('');
  });

  test('hunks carry three lines of context and correct ranges; distant changes make separate hunks', () => {
    const a = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm'];
    const b = ['a', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'll', 'm'];
    expect(unifiedDiff('live/x', 'bundle/x', a, b, cmp)).toBe(
      ['--- live/x', '+++ bundle/x', '@@ -1,5 +1,4 @@', ' a', '-b', ' c', ' d', ' e', '@@ -10,4 +9,5 @@', ' j', ' k', ' l', '+ll', ' m', ''].join('\n'),
    );
  });

  test('an empty side is all additions or all removals', () => {
    expect(unifiedDiff('o', 'n', [], ['x', 'y'], cmp)).toBe('--- o\n+++ n\n@@ -0,0 +1,2 @@\n+x\n+y\n');
    expect(unifiedDiff('o', 'n', ['x'], [], cmp)).toBe('--- o\n+++ n\n@@ -1,1 +0,0 @@\n-x\n');
  });
});
