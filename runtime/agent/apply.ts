/**
 * The one place the agent applies a bundle: the runtime's apply as a function (runtime/apply.ts), in-process.
 */
import { applyBundle, type ApplyReport, type NodeOptions } from '../apply.js';

export function applyOnce(dir: string, opts: NodeOptions): Promise<ApplyReport> {
  return applyBundle(dir, opts);
}
