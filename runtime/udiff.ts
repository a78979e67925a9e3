/**
 * Unified diff of two line lists sorted by the same order (every artifact is canonical and sorted, and the live
 * side is put in that order), so one linear merge finds the edit script; hunks carry three lines of context.
 */
import { hunks, type Op } from '../compiler/util/hunks.js';

const CONTEXT = 3;

export function unifiedDiff(
  oldName: string,
  newName: string,
  a: readonly string[],
  b: readonly string[],
  cmp: (x: string, y: string) => number,
): string {
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const c = i >= a.length ? 1 : j >= b.length ? -1 : a[i] === b[j] ? 0 : cmp(a[i]!, b[j]!) || (a[i]! < b[j]! ? -1 : 1);
    if (c === 0) {
      ops.push({ t: ' ', line: a[i++]! });
      j++;
    } else if (c < 0) ops.push({ t: '-', line: a[i++]! });
    else ops.push({ t: '+', line: b[j++]! });
  }
  if (!ops.some((o) => o.t !== ' ')) return '';
  const out = [`--- ${oldName}`, `+++ ${newName}`];
  for (const h of hunks(ops, CONTEXT)) out.push(h.header, ...h.ops.map((o) => `${o.t}${o.line}`));
  return `${out.join('\n')}\n`;
}
