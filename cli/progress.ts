/**
 * The progress line of a long compile: phase, Nodes done of the total, elapsed time, redrawn in place on stderr.
 * Only on a terminal: a pipe or a CI log gets nothing extra (docs/design.md §3a).
 */
import type { CompileProgress } from '../compiler/compile.js';

const PHASE: Record<CompileProgress['phase'], string> = { parse: 'parsing and validating', resolve: 'resolving policies', plan: 'planning and rendering' };
/** Redraws at most this often: a 1,000-Node compile reports a thousand times. */
const INTERVAL_MS = 100;

export interface ProgressLine {
  update(p: CompileProgress): void;
  /** Erases the line, so what follows starts on a clean one. */
  done(): void;
}

export function progressLine(enabled: boolean, out: Pick<NodeJS.WriteStream, 'write'>, now: () => number = () => performance.now()): ProgressLine {
  if (!enabled) return { update: () => {}, done: () => {} };
  const start = now();
  let last = -Infinity;
  let drawn = false;
  return {
    update(p) {
      const t = now();
      const final = p.total !== undefined && p.done === p.total;
      if (t - last < INTERVAL_MS && !final && p.done !== 0) return;
      last = t;
      const nodes = p.total !== undefined ? `: ${p.done ?? 0}/${p.total} Nodes` : '';
      out.write(`\r\x1b[2Kdpc: ${PHASE[p.phase]}${nodes}, ${((t - start) / 1000).toFixed(1)} s`);
      drawn = true;
    },
    done() {
      if (drawn) out.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
