/**
 * The one place the agent applies a bundle: the runtime's apply as a function (runtime/apply.ts), in-process, on
 * the agent's own OpenFlow connection when it is up (flow changes as flow_mods in one bundle, no ovs-ofctl).
 */
import { applyAndRead, type ApplyOptions, type ApplyReport } from '../apply.js';
import type { LoadedBundle } from '../bundle.js';

export function applyOnce(dir: string, opts: ApplyOptions): Promise<{ report: ApplyReport; bundle: LoadedBundle }> {
  return applyAndRead(dir, opts);
}
