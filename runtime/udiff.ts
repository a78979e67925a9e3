/**
 * Unified diff of two line lists sorted by the same order (every artifact is canonical and sorted, and the live
 * side is put in that order), so one linear merge finds the edit script; hunks carry three lines of context.
 */
const CONTEXT = 3;

type Op = { t: ' ' | '-' | '+'; line: string };

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
  let k = 0;
  // Positions in a and b of each op, for the hunk headers.
  const pos: { ai: number; bi: number }[] = [];
  let ai = 0;
  let bi = 0;
  for (const o of ops) {
    pos.push({ ai, bi });
    if (o.t !== '+') ai++;
    if (o.t !== '-') bi++;
  }
  while (k < ops.length) {
    while (k < ops.length && ops[k]!.t === ' ') k++;
    if (k >= ops.length) break;
    const start = Math.max(0, k - CONTEXT);
    let end = k;
    // Extend while the next change is within 2*CONTEXT unchanged lines.
    for (;;) {
      while (end < ops.length && ops[end]!.t !== ' ') end++;
      let next = end;
      while (next < ops.length && ops[next]!.t === ' ') next++;
      if (next < ops.length && next - end <= 2 * CONTEXT) end = next;
      else break;
    }
    const stop = Math.min(ops.length, end + CONTEXT);
    const hunk = ops.slice(start, stop);
    const aLen = hunk.filter((o) => o.t !== '+').length;
    const bLen = hunk.filter((o) => o.t !== '-').length;
    const p = pos[start]!;
    out.push(`@@ -${aLen ? p.ai + 1 : p.ai},${aLen} +${bLen ? p.bi + 1 : p.bi},${bLen} @@`);
    for (const o of hunk) out.push(`${o.t}${o.line}`);
    k = stop;
  }
  return `${out.join('\n')}\n`;
}
