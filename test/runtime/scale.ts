/** Bundles grown to a realistic Node's size: synthetic policy flows added to a compiled bundle, digests redone. */
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sortDumpedFlows } from '../../targets/openflow/render.js';
import { tempDir } from '../harness/tempDir.js';

const sha = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/** A copy of `out`'s bundle for `node` whose named artifacts are rewritten by `edit`, with bundle.json's digests redone. */
export function editBundle(out: string, node: string, edit: Record<string, (text: string) => string>): string {
  const copy = join(tempDir('dpc-edit-'), 'out');
  cpSync(out, copy, { recursive: true });
  const dir = join(copy, node);
  const meta = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8')) as { artifacts: Record<string, string> };
  for (const [file, f] of Object.entries(edit)) {
    const path = join(dir, file);
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      // a new artifact
    }
    const next = f(text);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, next);
    meta.artifacts[file] = sha(next);
  }
  meta.artifacts = Object.fromEntries(Object.entries(meta.artifacts).sort(([a], [b]) => (a < b ? -1 : 1)));
  writeFileSync(join(dir, 'bundle.json'), `${JSON.stringify(meta, null, 2)}\n`);
  return copy;
}

/**
 * `count` conjunction clause flows as a large policy set gives a Node, in OVS's canonical spelling, with the
 * cookie of the bundle's policy flows; `changed` picks one rule whose flows are spelled differently (v2).
 */
export function policyFlows(cookie: string, table: number, count: number, changed?: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const rule = 100 + Math.floor(i / 50);
    const ip = `172.${16 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
    const port = rule === changed ? 8443 : 443;
    out.push(
      i % 50 === 0
        ? `cookie=${cookie}, table=${table}, priority=14000,tcp,nw_dst=10.200.${(rule >> 8) & 255}.${rule & 255},tp_dst=${port} actions=conjunction(${rule},2/2)`
        : `cookie=${cookie}, table=${table}, priority=14000,ip,nw_src=${ip} actions=conjunction(${rule},1/2)`,
    );
  }
  return out;
}

/**
 * The one-node golden bundle grown by `flows` policy flows (v1), and the same with one rule's two flows spelled
 * differently (v2): the Node of issue 12's performance target.
 */
export function grownBundles(node: string, flows: number, compile: (node: string) => string): { v1: string; v2: string; v1Flows: string; v2Flows: string; v2Lines: string[] } {
  const base = compile(node);
  const baseFlows = readFileSync(join(base, node, 'openflow/flows.txt'), 'utf8');
  const meta = JSON.parse(readFileSync(join(base, node, 'bundle.json'), 'utf8')) as { tables: Record<string, number> };
  const cookie = /^cookie=(0x[0-9a-f]+)/.exec(baseFlows)![1]!;
  const table = meta.tables.AntreaPolicyIngressRule!;
  const grow = (changed?: number) => (text: string): string => `${sortDumpedFlows([...text.split('\n'), ...policyFlows(cookie, table, flows, changed)]).join('\n')}\n`;
  const v1 = editBundle(base, node, { 'openflow/flows.txt': grow() });
  const v2 = editBundle(base, node, { 'openflow/flows.txt': grow(517) });
  const v2Flows = join(v2, node, 'openflow/flows.txt');
  return { v1, v2, v1Flows: join(v1, node, 'openflow/flows.txt'), v2Flows, v2Lines: readFileSync(v2Flows, 'utf8').split('\n').filter(Boolean) };
}
