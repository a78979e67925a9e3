/**
 * The connectivity changes as a matrix picture: sources down, destinations across, one coloured cell per changed
 * pair (its before and after in a tooltip). Deterministic (sorted, fixed geometry, no clock or randomness) and every
 * name XML-escaped, so a Pod named `<script>` is text.
 */
import { formatConnections } from './connset.js';
import type { ConnectivityChange, DiffType } from './connectivity.js';

export const xmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

const COLOUR: Record<DiffType, string> = { added: '#2da44e', removed: '#cf222e', changed: '#bf8700' };
const CELL = 18;
const CHAR = 7;
/** Beyond this many endpoints a side, the picture would be unreadable; the table lists everything. */
export const MATRIX_LIMIT = 60;

export function matrixSvg(changes: readonly ConnectivityChange[]): string {
  const sort = (xs: Iterable<string>) => [...new Set(xs)].sort().slice(0, MATRIX_LIMIT);
  const rows = sort(changes.map((c) => c.src.key));
  const cols = sort(changes.map((c) => c.dst.key));
  const left = Math.max(40, ...rows.map((r) => r.length * CHAR)) + 10;
  const top = Math.max(40, ...cols.map((c) => c.length * CHAR)) + 10;
  const width = left + cols.length * CELL + 10;
  const legendY = top + rows.length * CELL + 20;
  const height = legendY + 20;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  rows.forEach((r, i) => out.push(`<text x="${left - 6}" y="${top + i * CELL + 13}" text-anchor="end">${xmlEscape(r)}</text>`));
  cols.forEach((c, j) => {
    const x = left + j * CELL + 13;
    out.push(`<text x="${x}" y="${top - 6}" transform="rotate(-90 ${x} ${top - 6})">${xmlEscape(c)}</text>`);
  });
  for (let i = 0; i <= rows.length; i++) out.push(`<line x1="${left}" y1="${top + i * CELL}" x2="${left + cols.length * CELL}" y2="${top + i * CELL}" stroke="#d0d7de"/>`);
  for (let j = 0; j <= cols.length; j++) out.push(`<line x1="${left + j * CELL}" y1="${top}" x2="${left + j * CELL}" y2="${top + rows.length * CELL}" stroke="#d0d7de"/>`);
  const rowOf = new Map(rows.map((r, i) => [r, i]));
  const colOf = new Map(cols.map((c, j) => [c, j]));
  const cells = [...changes].sort((a, b) => (a.src.key + a.dst.key < b.src.key + b.dst.key ? -1 : 1));
  for (const c of cells) {
    const i = rowOf.get(c.src.key);
    const j = colOf.get(c.dst.key);
    if (i === undefined || j === undefined) continue;
    const tip = `${c.src.key} -> ${c.dst.key}: ${formatConnections(c.dir1)} => ${formatConnections(c.dir2)}`;
    out.push(`<rect x="${left + j * CELL + 1}" y="${top + i * CELL + 1}" width="${CELL - 2}" height="${CELL - 2}" fill="${COLOUR[c.type]}"><title>${xmlEscape(tip)}</title></rect>`);
  }
  (['added', 'removed', 'changed'] as const).forEach((t, k) => {
    out.push(`<rect x="${10 + k * 90}" y="${legendY - 10}" width="12" height="12" fill="${COLOUR[t]}"/>`, `<text x="${26 + k * 90}" y="${legendY}">${t}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
