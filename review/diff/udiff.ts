/**
 * Line diff of two artifact texts (Myers' O(ND) algorithm after stripping the common head and tail), and the
 * unified-diff hunks `diff -u` prints. Unlike the runtime's drift diff, the two sides need no common sort order:
 * iptables rules keep their meaningful order.
 */
import type { Op } from '../../compiler/util/hunks.js';

export { hunks, type Hunk, type Op } from '../../compiler/util/hunks.js';

export function lineOps(a: readonly string[], b: readonly string[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const middle = myers(x, y);
  return [
    ...a.slice(0, head).map((line) => ({ t: ' ' as const, line })),
    ...middle,
    ...a.slice(a.length - tail).map((line) => ({ t: ' ' as const, line })),
  ];
}

function myers(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  if (n === 0) return b.map((line) => ({ t: '+', line }));
  if (m === 0) return a.map((line) => ({ t: '-', line }));
  const max = n + m;
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  // Walk back through the saved frontiers to recover the edit script.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[off + k - 1]! < vd[off + k + 1]!) ? k + 1 : k - 1;
    const prevX = vd[off + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ t: ' ', line: a[--x]! });
      y--;
    }
    if (x === prevX) ops.push({ t: '+', line: b[--y]! });
    else ops.push({ t: '-', line: a[--x]! });
  }
  while (x > 0 && y > 0) {
    ops.push({ t: ' ', line: a[--x]! });
    y--;
  }
  return ops.reverse();
}
