/**
 * Large artifact text kept as a few pieces rather than one string. One string of a megabyte lands in V8's
 * large-object space, whose memory is fresh from the kernel every time (page faults on each Node's bundle, the
 * biggest single cost of rendering one-namespace); pieces of a few tens of KiB come from the young generation,
 * whose pages are reused. Text shared by many Nodes (a rule entry listing ten thousand others) stays one piece,
 * shared, never copied into each Node's text. The digest is taken piece by piece, so it is the digest of the
 * whole text without the whole text ever being laid out in one string.
 */
import { createHash } from 'node:crypto';

/** Small pieces are joined up to about this many characters: well below V8's large-object threshold (128 KiB). */
export const CHUNK = 32_768;

export interface TextBuilder {
  add(piece: string): void;
  /** The pieces, in order; concatenated they are the text. */
  done(): string[];
}

export function textBuilder(): TextBuilder {
  const parts: string[] = [];
  let pending: string[] = [];
  let size = 0;
  const flush = () => {
    if (pending.length > 0) parts.push(pending.join(''));
    pending = [];
    size = 0;
  };
  return {
    add(piece) {
      if (piece.length >= CHUNK) {
        flush();
        parts.push(piece);
        return;
      }
      pending.push(piece);
      size += piece.length;
      if (size >= CHUNK) flush();
    },
    done() {
      flush();
      return parts;
    },
  };
}

/** The text as one string value without copying the pieces (V8 links them; it copies only when asked to). */
export const joinPieces = (parts: readonly string[]): string => parts.reduce((text, p) => text + p, '');

/** sha256 of the pieces' concatenation, hex. */
export function digestPieces(parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}
