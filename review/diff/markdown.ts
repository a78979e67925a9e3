/**
 * `--format markdown`: a pull-request comment rendered with handlebars (templates/comment.md.hbs). The comment
 * is Markdown with HTML in it, so the template is compiled with HTML escaping on, and every name from the input
 * also goes through `md`, which additionally escapes what Markdown would read (table pipes, emphasis, links,
 * code spans). Only text the code builds itself (the diff inside a code fence, the matrix) goes in unescaped,
 * and it is made safe where it is built: a fence longer than any backtick run it holds.
 */
import Handlebars from 'handlebars';
import type { ResponsibleRule } from './annotations.js';
import type { DiffReport } from './formats.js';
import { orderedRows } from './formats.js';

/** Rows beyond this go to the CSV: a comment has a size limit (65,536 characters on GitHub). */
export const TABLE_LIMIT = 200;

/** HTML-escaped (handlebars' own escaping), then Markdown's active characters backslash-escaped. */
export function mdEscape(s: string): string {
  // Backticks are already entities (&#x60;, no code span); `#` and digits are left alone so entities stay whole.
  return Handlebars.Utils.escapeExpression(s).replace(/([\\*_{}[\]()+!|~])/g, '\\$1').replace(/\n/g, ' ');
}

function fenced(text: string): string {
  // The enclosing ``` fence holds the diff; a line of backticks inside would close it, so they are broken up.
  return text.replace(/```/g, '`\u200b``').replace(/\n$/, '');
}

/** Lines of artifact diff per Node in the comment; `dpc diff` prints them all. */
export const DIFF_LINES = 300;
export const NODE_DIFFS = 10;

function capLines(text: string): string {
  const lines = text.split('\n');
  return lines.length <= DIFF_LINES ? text : `${lines.slice(0, DIFF_LINES).join('\n')}\n… ${lines.length - DIFF_LINES} more lines (dpc diff prints them all)\n`;
}

function textMatrix(r: DiffReport): string {
  const srcs = [...new Set(r.connectivity.map((c) => c.src.key))].sort().slice(0, 40);
  const dsts = [...new Set(r.connectivity.map((c) => c.dst.key))].sort().slice(0, 40);
  const mark = { added: '+', removed: '−', changed: '~' } as const;
  const cell = new Map(r.connectivity.map((c) => [`${c.src.key}\u0000${c.dst.key}`, mark[c.type]]));
  const head = `| source \\ destination | ${dsts.map((d, i) => `${i + 1}`).join(' | ')} |`;
  const sep = `|---|${dsts.map(() => ':-:').join('|')}|`;
  const body = srcs.map((s) => `| ${mdEscape(s)} | ${dsts.map((d) => cell.get(`${s}\u0000${d}`) ?? ' ').join(' | ')} |`);
  const legend = dsts.map((d, i) => `${i + 1}. ${mdEscape(d)}`);
  return [head, sep, ...body, '', ...legend].join('\n');
}

/** `template` is the text of templates/comment.md.hbs (the command line reads it: review/ touches no file). */
export function markdownComment(template: string, r: DiffReport, responsible: readonly ResponsibleRule[], svgUrl?: string): string {
  const hb = Handlebars.create();
  hb.registerHelper('md', (s: unknown) => new hb.SafeString(mdEscape(String(s ?? ''))));
  const render = hb.compile(template, { strict: false });
  const all = orderedRows(r.connectivity);
  const view = {
    old: r.labels.old,
    new: r.labels.new,
    oneNode: r.nodes.length === 1,
    nodes: r.nodes.map((n) => ({
      node: n.node,
      status: n.status,
      files: n.files.map((f) => ({ path: f.path, added: f.added, removed: f.removed })),
      diff: fenced(capLines(n.files.map((f) => f.unified).join(''))),
    })),
    note: r.connectivityNote,
    changes: all.slice(0, TABLE_LIMIT).map((x) => ({
      type: x['diff-type'],
      source: x.source,
      destination: x.destination,
      dir1: x.dir1,
      dir2: x.dir2,
      info: x['workloads-diff-info'],
    })),
    truncated: all.length > TABLE_LIMIT ? all.length - TABLE_LIMIT : 0,
    matrix: textMatrix(r),
    svgUrl,
    responsible: responsible.map((x) => ({
      text: x.text,
      when: x.when === 'after' ? 'now decides' : 'decided before',
      where: x.position ? `${x.position.file}:${x.position.line}` : undefined,
      changes: x.changes.length,
      one: x.changes.length === 1,
    })),
  };
  // Nodes beyond the first few are summarised in the table only: a comment has a size limit.
  view.nodes = view.nodes.map((n, i) => (i < NODE_DIFFS ? n : { ...n, diff: '' }));
  return render(view).replace(/\n{3,}/g, '\n\n');
}
