/**
 * Unified-diff hunks from an edit script, as `diff -u` prints them: shared by the runtime's drift report (whose
 * edit script is a merge of two sorted sides) and review's artifact diff (Myers over ordered text).
 */
export type Op = { readonly t: ' ' | '-' | '+'; readonly line: string };

export interface Hunk {
  readonly header: string;
  readonly ops: readonly Op[];
}

/** Hunks with `context` unchanged lines around each change, joined when closer than twice that. */
export function hunks(ops: readonly Op[], context = 3): Hunk[] {
  const pos: { ai: number; bi: number }[] = [];
  let ai = 0;
  let bi = 0;
  for (const o of ops) {
    pos.push({ ai, bi });
    if (o.t !== '+') ai++;
    if (o.t !== '-') bi++;
  }
  const out: Hunk[] = [];
  let k = 0;
  while (k < ops.length) {
    while (k < ops.length && ops[k]!.t === ' ') k++;
    if (k >= ops.length) break;
    const start = Math.max(0, k - context);
    let end = k;
    for (;;) {
      while (end < ops.length && ops[end]!.t !== ' ') end++;
      let next = end;
      while (next < ops.length && ops[next]!.t === ' ') next++;
      if (next < ops.length && next - end <= 2 * context) end = next;
      else break;
    }
    const stop = Math.min(ops.length, end + context);
    const hunk = ops.slice(start, stop);
    const aLen = hunk.filter((o) => o.t !== '+').length;
    const bLen = hunk.filter((o) => o.t !== '-').length;
    const p = pos[start]!;
    out.push({ header: `@@ -${aLen ? p.ai + 1 : p.ai},${aLen} +${bLen ? p.bi + 1 : p.bi},${bLen} @@`, ops: hunk });
    k = stop;
  }
  return out;
}
