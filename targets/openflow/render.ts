/** flows.txt: one flow a line in OVS's canonical spelling, ordered by table, priority (high first), then text. */
import type { Flow, Match } from '../../compiler/plan/flow.js';
import { tableId, type TableMap, type TableName } from '../../compiler/allocate/pipeline.js';
import { spellAction, spellMatch } from './spelling.js';
import { joinPieces, textBuilder } from '../bundle/text.js';

/**
 * Text already spelled within one compile: matches by record (clause matches are shared by every Node that
 * has the rule) and whole lines of records marked shared. Created by the compile, passed explicitly, so no
 * state outlives it.
 */
export interface SpellingCache {
  readonly matches: WeakMap<Match, string>;
  /** Whole lines, newline included, of records marked shared. */
  readonly sharedLines: WeakMap<Flow, string>;
  /** `cookie=0x…, ` by cookie: a few hundred distinct values spelled for millions of lines. */
  readonly cookies: Map<bigint, string>;
}

export const createSpellingCache = (): SpellingCache => ({ matches: new WeakMap(), sharedLines: new WeakMap(), cookies: new Map() });

function cookieText(c: bigint, cache: SpellingCache): string {
  let text = cache.cookies.get(c);
  if (text === undefined) {
    text = c !== 0n ? `cookie=0x${c.toString(16)}, ` : '';
    cache.cookies.set(c, text);
  }
  return text;
}

/**
 * The line with its newline: a newline sorts below every character a line holds, so lines compare as they would
 * without it, and each is added to the text in one piece. Joined from parts, the line is one flat string: built
 * with `+=` it would be a tree of pieces that every later copy (a cached line is copied into each Node's text)
 * walks again.
 */
function spell(f: Flow, tables: TableMap, match: string, cache: SpellingCache): string {
  const id = tableId(tables, f.table);
  const parts = [cookieText(f.cookie, cache), id !== 0 ? `table=${id}, ` : '', `priority=${f.priority}`, match ? `,${match} actions=` : ' actions='];
  const tid = (name: string) => tableId(tables, name as TableName);
  for (let i = 0; i < f.actions.length; i++) parts.push(i === 0 ? '' : ',', spellAction(f.actions[i]!, tid));
  parts.push('\n');
  return parts.join('');
}

function matchText(m: Match, cache: SpellingCache): string {
  let text = cache.matches.get(m);
  if (text === undefined) {
    text = spellMatch(m);
    cache.matches.set(m, text);
  }
  return text;
}

function render(f: Flow, tables: TableMap, match: string, cache: SpellingCache): string {
  if (!f.shared) return spell(f, tables, match, cache);
  let text = cache.sharedLines.get(f);
  if (text === undefined) {
    text = spell(f, tables, match, cache);
    cache.sharedLines.set(f, text);
  }
  return text;
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
export function renderFlows(flows: readonly Flow[], tables: TableMap, cache: SpellingCache = createSpellingCache()): string {
  return joinPieces(renderFlowPieces(flows, tables, cache));
}

/** flows.txt as pieces (targets/bundle/text.ts), for the bundle. */
export function renderFlowPieces(flows: readonly Flow[], tables: TableMap, cache: SpellingCache = createSpellingCache()): string[] {
  // Flows grouped by (table, priority): the group key orders the file, and within a group the matches must be
  // distinct (the uniqueness check) and the lines are sorted as plain strings.
  const groups = new Map<number, { matches: Set<string>; lines: Line[] }>();
  for (const f of flows) {
    const table = tableId(tables, f.table);
    const match = matchText(f.match, cache);
    // Higher priority first: the slot counts priorities down within a table.
    const slot = table * 0x10000 + (0xffff - f.priority);
    let g = groups.get(slot);
    if (!g) groups.set(slot, (g = { matches: new Set(), lines: [] }));
    if (g.matches.has(match)) throw new Error(`internal: two flows share table ${f.table}, priority ${f.priority}, match ${match}`);
    g.matches.add(match);
    g.lines.push({ cookie: f.cookie, match, text: render(f, tables, match, cache) });
  }
  const text = textBuilder();
  for (const slot of [...groups.keys()].sort((a, b) => a - b)) {
    for (const l of groups.get(slot)!.lines.sort(compareInGroup)) text.add(l.text);
  }
  return text.done();
}

interface Line {
  cookie: bigint;
  match: string;
  text: string;
}

/**
 * The plain string order of two lines of one (table, priority), cheaply: with one cookie, the lines are the same
 * up to the match, and a match's characters all sort above the space that ends it, so the lines compare as their
 * matches do (the short, already spelled strings, never equal within a group). Otherwise the whole lines decide.
 */
function compareInGroup(a: Line, b: Line): number {
  if (a.cookie === b.cookie) return a.match < b.match ? -1 : 1;
  return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
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
