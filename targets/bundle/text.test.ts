/** Artifact text in pieces: the pieces concatenate to the text, and their digest is the whole text's. */
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { digestPieces, joinPieces, textBuilder } from './text.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('artifact text pieces', () => {
  test('small pieces are joined into chunks, big ones kept whole, order kept, digest of the whole text', () => {
    const big = `${'x'.repeat(70_000)}é€😀`;
    const added = ['{\n', ...Array.from({ length: 3000 }, (_, i) => `line ${i} ünïcode\n`), big, 'tail\n'];
    const b = textBuilder();
    for (const p of added) b.add(p);
    const pieces = b.done();
    expect(pieces.length).toBeGreaterThan(2);
    expect(pieces.length).toBeLessThan(added.length);
    expect(pieces).toContain(big);
    expect(joinPieces(pieces)).toBe(added.join(''));
    expect(digestPieces(pieces)).toBe(sha(added.join('')));
  });

  test('no pieces: the empty text', () => {
    expect(textBuilder().done()).toEqual([]);
    expect(joinPieces([])).toBe('');
    expect(digestPieces([])).toBe(sha(''));
  });
});
