/** flows.txt: one flow a line in OVS's canonical spelling, ordered by table, priority (high first), then text. */
import type { Flow } from '../../compiler/plan/flow.js';
import { tableId, type TableMap, type TableName } from '../../compiler/plan/pipeline.js';
import { spellAction, spellMatch } from './spelling.js';

interface Rendered {
  /** `table|priority|match`: what OVS keys a flow by. */
  key: string;
  text: string;
}

/** Flows shared by every Node's plan (the same object) are spelled once per table map. */
const memo = new WeakMap<TableMap, WeakMap<Flow, Rendered>>();

function render(f: Flow, tables: TableMap): Rendered {
  let byFlow = memo.get(tables);
  if (!byFlow) {
    byFlow = new WeakMap();
    memo.set(tables, byFlow);
  }
  const hit = byFlow.get(f);
  if (hit) return hit;
  const id = tableId(tables, f.table);
  const head: string[] = [];
  if (f.cookie !== 0n) head.push(`cookie=0x${f.cookie.toString(16)}`);
  if (id !== 0) head.push(`table=${id}`);
  const match = spellMatch(f.match);
  head.push(match ? `priority=${f.priority},${match}` : `priority=${f.priority}`);
  const actions = f.actions.map((a) => spellAction(a, (name) => tableId(tables, name as TableName))).join(',');
  const out = { key: `${id}|${f.priority}|${match}`, text: `${head.join(', ')} actions=${actions}` };
  byFlow.set(f, out);
  return out;
}

export function renderFlow(f: Flow, tables: TableMap): string {
  return render(f, tables).text;
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

/**
 * Fails loudly on two flows with one (table, priority, match): OVS would keep only one of them, so this is a
 * compiler bug, never an input problem.
 */
export function renderFlows(flows: readonly Flow[], tables: TableMap): string {
  const keys = new Set<string>();
  const lines = flows.map((f) => {
    const r = render(f, tables);
    if (keys.has(r.key)) throw new Error(`internal: two flows share table ${f.table}, priority ${f.priority}, match ${r.key}`);
    keys.add(r.key);
    return { table: tableId(tables, f.table), priority: f.priority, text: r.text };
  });
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
