/**
 * What a measuring child process (bench/worker.ts, bench/parse.ts) needs from the kernel and V8: its resident-set
 * size and high-water mark, a way to reset that mark before a phase, and a full garbage collection before a clock
 * starts (node --expose-gc).
 */
import { readFileSync, writeFileSync } from 'node:fs';

export function procStatusBytes(field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Linux ≥ 4.0: writing 5 to clear_refs sets VmHWM to the current RSS. */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}
