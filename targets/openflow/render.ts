/** flows.txt: one flow a line in OVS's canonical spelling, ordered by table, priority (high first), then text. */
import type { Flow } from '../../compiler/plan/flow.js';
import { tableId, type TableMap, type TableName } from '../../compiler/plan/pipeline.js';
import { spellAction, spellMatch } from './spelling.js';

export function renderFlow(f: Flow, tables: TableMap): string {
  const id = tableId(tables, f.table);
  const head: string[] = [];
  if (f.cookie !== 0n) head.push(`cookie=0x${f.cookie.toString(16)}`);
  if (id !== 0) head.push(`table=${id}`);
  const match = spellMatch(f.match);
  head.push(match ? `priority=${f.priority},${match}` : `priority=${f.priority}`);
  const actions = f.actions.map((a) => spellAction(a, (name) => tableId(tables, name as TableName))).join(',');
  return `${head.join(', ')} actions=${actions}`;
}

interface Keyed {
  table: number;
  priority: number;
  text: string;
}

/** The order both flows.txt and the tests' sorted dumps use. */
export function compareFlowLines(a: Keyed, b: Keyed): number {
  return a.table - b.table || b.priority - a.priority || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0);
}

export function renderFlows(flows: readonly Flow[], tables: TableMap): string {
  const lines = flows.map((f) => ({ table: tableId(tables, f.table), priority: f.priority, text: renderFlow(f, tables) }));
  lines.sort(compareFlowLines);
  return lines.map((l) => `${l.text}\n`).join('');
}

/** Sorts lines of an `ovs-ofctl dump-flows` the way renderFlows orders them. */
export function sortDumpedFlows(lines: readonly string[]): string[] {
  const keyed = lines
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((text) => ({
      table: Number(/(?:^|, )table=(\d+)/.exec(text)?.[1] ?? 0),
      priority: Number(/priority=(\d+)/.exec(text)?.[1] ?? 32768),
      text,
    }));
  keyed.sort(compareFlowLines);
  return keyed.map((k) => k.text);
}
