/**
 * The one place the agent applies a bundle. The runtime's apply is `dpc apply` (runtime/commands.ts); once it is
 * exposed as a function returning what it did (`applyBundle`), this is the only call to change.
 */
import { applyCommand, type NodeOptions } from '../commands.js';

export function applyOnce(dir: string, opts: NodeOptions): void {
  applyCommand(dir, { ...opts, dryRun: false, full: false });
}
