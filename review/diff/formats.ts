/**
 * Text, CSV and JSON outputs of `dpc diff OLD NEW`. The connectivity lines are netpol-analyzer's (pkg/netpol/diff:
 * diff_formatter_text.go, diff_formatter_csv.go): same columns (diff-type, source, destination, dir1, dir2,
 * workloads-diff-info), same order (changed, then added, then removed; lines sorted within each), same
 * connection notation, so the two tools' outputs compare line by line.
 */
import { annotatedText, type NodeArtifactDiff } from './artifacts.js';
import { formatConnections } from './connset.js';
import type { ConnectivityChange, DiffType } from './connectivity.js';

export interface DiffReport {
  readonly labels: { readonly old: string; readonly new: string };
  readonly nodes: readonly NodeArtifactDiff[];
  readonly connectivity: readonly ConnectivityChange[];
  /** Why the connectivity diff was not computed, when it was not. */
  readonly connectivityNote?: string;
  /** Rule ID → readable rule, from either side's rules.json. */
  readonly ruleNames: ReadonlyMap<number, string>;
}

export interface Row {
  readonly 'diff-type': DiffType;
  readonly source: string;
  readonly destination: string;
  readonly dir1: string;
  readonly dir2: string;
  readonly 'workloads-diff-info': string;
}

export const ORDER: readonly DiffType[] = ['changed', 'added', 'removed'];

export function rows(changes: readonly ConnectivityChange[]): Row[] {
  return changes.map((c) => ({
    'diff-type': c.type,
    source: c.src.key,
    destination: c.dst.key,
    dir1: formatConnections(c.dir1),
    dir2: formatConnections(c.dir2),
    'workloads-diff-info': c.info,
  }));
}

/** Rows in netpol-analyzer's order (by category, then by the text line within each). */
export function orderedRows(changes: readonly ConnectivityChange[]): Row[] {
  const all = rows(changes);
  return ORDER.flatMap((t) => all.filter((r) => r['diff-type'] === t).sort((a, b) => (textLine(a) < textLine(b) ? -1 : textLine(a) > textLine(b) ? 1 : 0)));
}

/** netpol-analyzer's order: by category, then each category's formatted lines sorted as strings. */
function ordered(changes: readonly ConnectivityChange[], line: (r: Row) => string): string[] {
  const all = rows(changes);
  return ORDER.flatMap((t) => all.filter((r) => r['diff-type'] === t).map(line).sort());
}

const textLine = (r: Row): string =>
  `diff-type: ${r['diff-type']}, source: ${r.source}, destination: ${r.destination}, dir1: ${r.dir1}, dir2: ${r.dir2}` +
  (r['workloads-diff-info'] ? `, workloads-diff-info: ${r['workloads-diff-info']}` : '');

export function connectivityText(changes: readonly ConnectivityChange[]): string {
  return `Connectivity diff:\n${ordered(changes, textLine).map((l) => `${l}\n`).join('')}`;
}

/** Go's encoding/csv rule: quote a field holding a comma, a quote, a line break, or starting with a space. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) || s.startsWith(' ') ? `"${s.replace(/"/g, '""')}"` : s;
}

export function connectivityCsv(changes: readonly ConnectivityChange[]): string {
  const header = 'diff-type,source,destination,dir1,dir2,workloads-diff-info';
  // netpol-analyzer sorts the ;-joined fields, then writes them as CSV.
  const sorted = ordered(changes, (r) => [r['diff-type'], r.source, r.destination, r.dir1, r.dir2, r['workloads-diff-info']].join(';'));
  return `${[header, ...sorted.map((l) => l.split(';').map(csvField).join(','))].join('\n')}\n`;
}

export function reportText(r: DiffReport): string {
  let out = '';
  for (const n of r.nodes) {
    const files = n.files.map((f) => `${f.path} +${f.added} -${f.removed}`).join(', ');
    out += `Node ${n.node}${n.status === 'changed' ? '' : ` (${n.status})`}: ${files || 'no artifact changes'}\n`;
    out += annotatedText(n);
  }
  if (r.nodes.length === 0) out += 'No Node bundle changed.\n';
  out += r.connectivityNote ? `Connectivity diff: ${r.connectivityNote}\n` : connectivityText(r.connectivity);
  return out;
}

export function reportJson(r: DiffReport): string {
  const conn = ORDER.flatMap((t) =>
    r.connectivity
      .filter((c) => c.type === t)
      .map((c) => ({ ...rows([c])[0]!, rules: { dir1: c.rules.old.map((id) => ruleRef(r, id)), dir2: c.rules.new.map((id) => ruleRef(r, id)) } }))
      .sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0)),
  );
  const doc = {
    dir1: r.labels.old,
    dir2: r.labels.new,
    nodes: r.nodes.map((n) => ({
      node: n.node,
      status: n.status,
      files: n.files.map((f) => ({
        path: f.path,
        added: f.added,
        removed: f.removed,
        diff: f.unified,
        lines: f.lines.map((l) => ({ op: l.t, line: l.line, ...(l.origin ? { origin: l.origin.text } : {}), ...(l.origin?.rule ? { ruleId: l.origin.rule.id } : {}) })),
      })),
    })),
    ...(r.connectivityNote ? { connectivityNote: r.connectivityNote } : {}),
    connectivity: conn,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

const ruleRef = (r: DiffReport, id: number) => ({ id, rule: r.ruleNames.get(id) ?? `rule ${id}` });
