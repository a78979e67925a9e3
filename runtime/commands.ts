/**
 * The Node-side commands: inventory, apply, status, diff --live. Each returns its exit code and writes its own
 * output; the work is in runtime/apply.ts (which an agent calls directly), the CLI only parses arguments.
 */
import { nodeName } from './bundle.js';
import { applyBundle, connect, diffBundle, nodeStatus, type NodeOptions } from './apply.js';
import { inventoryDocument, readInventory } from './inventory.js';
import { readBridge } from './ovs.js';

export { DEFAULT_STATE_DIR } from './apply.js';

export interface OutputOptions extends NodeOptions {
  format: 'text' | 'json';
}

/** What every Node command takes (the agent's options extend it). */
export type { OutputOptions as NodeCommandOptions };

const out = (text: string): void => void process.stdout.write(text);

export async function inventoryCommand(opts: OutputOptions): Promise<number> {
  const inv = readInventory(await readBridge(connect(opts)));
  const doc = inventoryDocument(nodeName(opts.node), inv);
  // YAML is loaded only here: apply, the command a Node runs often, does not pay for it.
  out(opts.format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : (await import('yaml')).stringify(doc));
  return 0;
}

export async function applyCommand(dir: string, opts: OutputOptions & { dryRun: boolean; full: boolean }): Promise<number> {
  const r = await applyBundle(dir, opts);
  if (opts.format === 'json') {
    out(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  }
  const changes = r.kinds.reduce((n, k) => n + k.changes.length, 0);
  const upToDate = r.result === 'unchanged';
  const verb = r.result === 'dry-run' ? 'would change' : upToDate ? 'in sync, nothing changed' : 'applied';
  out(`Node ${r.node}: bundle ${r.digest.slice(0, 19)} ${verb}${upToDate ? '' : ` (${changes} change${changes === 1 ? '' : 's'})`}\n`);
  for (const k of r.kinds) {
    const add = k.changes.filter((c) => c.startsWith('+')).length;
    const del = k.changes.filter((c) => c.startsWith('-')).length;
    out(`  ${k.kind.padEnd(9)} +${add} -${del} ~${k.changes.length - add - del}\n`);
    if (opts.dryRun) for (const c of k.changes) out(`    ${c}\n`);
  }
  return 0;
}

export async function diffCommand(dir: string, opts: OutputOptions): Promise<number> {
  const r = await diffBundle(dir, opts);
  if (opts.format === 'json') {
    out(`${JSON.stringify(r, null, 2)}\n`);
  } else {
    for (const m of r.inventory) out(`inventory: ${m}\n`);
    for (const d of r.kinds) out(d.diff);
    if (r.inSync) out(`Node ${r.node} is in sync with bundle ${r.digest.slice(0, 19)}\n`);
  }
  return r.inSync ? 0 : 1;
}

export async function statusCommand(opts: OutputOptions): Promise<number> {
  const status = await nodeStatus(opts);
  if (opts.format === 'json') out(`${JSON.stringify(status, null, 2)}\n`);
  else if (!status.digest) out(`${status.bridge}: no dpc bundle applied\n`);
  else out(`${status.bridge}: Node ${status.node}, bundle ${status.digest}, applied ${status.appliedAt} by dpc ${status.version}\n`);
  return 0;
}
