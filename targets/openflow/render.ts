/** flows.txt: one flow a line in OVS's canonical spelling, ordered by table, priority (high first), then text. */
import type { Action, Flow, Match } from '../../compiler/plan/flow.js';
import { tableId, type TableMap, type TableName } from '../../compiler/allocate/pipeline.js';
import { spellAction, spellMatch } from './spelling.js';
import { CHUNK, joinPieces, textBuilder, type TextBuilder } from '../bundle/text.js';
import { LOCAL_GATEWAY_MAC, type ClauseFamily, type FamilyUse, type FlowFamily, type ListedFamily } from '../../compiler/plan/family.js';
import type { KeyedMatch } from '../../compiler/plan/matchKey.js';

/**
 * Text already spelled within one compile: cookies and flow families. Created by the compile, passed explicitly,
 * so no state outlives it. Matches are not kept across Nodes: a weak map of every Node's match records cost the
 * garbage collector more than spelling the Node's own matches again saves.
 */
export interface SpellingCache {
  /** `cookie=0x…, ` by cookie: a few hundred distinct values spelled for millions of lines. */
  readonly cookies: Map<bigint, string>;
  /** Each flow family spelled and ordered once (see FamilyBlock). */
  readonly families: WeakMap<FlowFamily, FamilyBlock>;
  /** Family members' matches: one record serves every rule with that peer (a Pod's address), spelled once. */
  readonly familyMatches: WeakMap<Match, string>;
  /** matchShape of each spelled family match. */
  readonly shapes: Map<string, string>;
  /** A clause's match list (one many rules share) spelled and in line order. */
  readonly clauseLists: WeakMap<readonly KeyedMatch[], SpelledList>;
  /** Lists of flows many Nodes share as these records (NodePlan.sharedFlows), spelled. */
  readonly sharedLines: WeakMap<readonly Flow[], readonly SlotLine[]>;
}

interface SlotLine {
  readonly slot: number;
  readonly flow: Flow;
  readonly line: Line;
}

export const createSpellingCache = (): SpellingCache => ({
  cookies: new Map(),
  families: new WeakMap(),
  familyMatches: new WeakMap(),
  shapes: new Map(),
  clauseLists: new WeakMap(),
  sharedLines: new WeakMap(),
});

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
function spell(f: Flow, tables: TableMap, match: string, cache: SpellingCache, actions = spellActions(f.actions, tables)): string {
  return [lineHead(f.cookie, f.table, f.priority, tables, cache), match ? `,${match} actions=` : ' actions=', actions, '\n'].join('');
}

/** A line up to its match: `cookie=0x…, table=…, priority=…`. */
function lineHead(cookie: bigint, table: TableName, priority: number, tables: TableMap, cache: SpellingCache): string {
  const id = tableId(tables, table);
  return `${cookieText(cookie, cache)}${id !== 0 ? `table=${id}, ` : ''}priority=${priority}`;
}

function spellActions(actions: readonly Action[], tables: TableMap): string {
  const tid = (name: string) => tableId(tables, name as TableName);
  return actions.map((a) => spellAction(a, tid)).join(',');
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
 * compiler bug, never an input problem. `families` are the Node's shared flow families (compiler/plan/family.ts),
 * `gatewayMac` the MAC their LOCAL_GATEWAY_MAC stands for, `sharedFlows` as renderFlowPieces says.
 */
export const renderFlows = (...args: Parameters<typeof renderFlowPieces>): string => joinPieces(renderFlowPieces(...args));

/** A flow's place in the file: tables in order, higher priority first within one (the slot counts priorities down). */
const slotOf = (table: number, priority: number): number => table * 0x10000 + (0xffff - priority);

/**
 * flows.txt as pieces (targets/bundle/text.ts), for the bundle. `sharedFlows` are lists of flows other Nodes have
 * as the same records: spelled once per compile, then placed like the Node's own.
 */
export function renderFlowPieces(
  flows: readonly Flow[],
  tables: TableMap,
  cache: SpellingCache = createSpellingCache(),
  families: readonly FamilyUse[] = [],
  gatewayMac = '',
  sharedFlows: readonly (readonly Flow[])[] = [],
): string[] {
  // Flows grouped by (table, priority): the group key orders the file, and within a group the matches must be
  // distinct (the uniqueness check) and the lines are sorted as plain strings.
  const groups = new Map<number, { matches: Set<string>; lines: Line[] }>();
  const place = (slot: number, f: Flow, line: Line) => {
    let g = groups.get(slot);
    if (!g) groups.set(slot, (g = { matches: new Set(), lines: [] }));
    if (g.matches.has(line.match)) throw new Error(`internal: two flows share table ${f.table}, priority ${f.priority}, match ${line.match}`);
    g.matches.add(line.match);
    g.lines.push(line);
  };
  // One record can serve several flows of the Node (a local Pod's clause in each rule protecting it).
  const perNode = new Map<Match, string>();
  for (const f of flows) {
    let match = perNode.get(f.match);
    if (match === undefined) perNode.set(f.match, (match = spellMatch(f.match)));
    place(slotOf(tableId(tables, f.table), f.priority), f, { cookie: f.cookie, match, text: spell(f, tables, match, cache) });
  }
  for (const list of sharedFlows) {
    let lines = cache.sharedLines.get(list);
    if (!lines) {
      lines = list.map((flow) => {
        const match = spellMatch(flow.match);
        return { slot: slotOf(tableId(tables, flow.table), flow.priority), flow, line: { cookie: flow.cookie, match, text: spell(flow, tables, match, cache) } };
      });
      cache.sharedLines.set(list, lines);
    }
    for (const { slot, flow, line } of lines) place(slot, flow, line);
  }
  const shared = new Map<number, FamilyPart[]>();
  for (const use of families) {
    const fb = familyBlock(use.family, tables, cache);
    for (const block of fb.slots) {
      const part: FamilyPart = { block, skips: [], next: 0 };
      let parts = shared.get(block.slot);
      if (!parts) shared.set(block.slot, (parts = []));
      parts.push(part);
    }
    const except = (key: string, line?: (spelled: string) => string) => {
      const own = memberLine(fb, key);
      if (own) shared.get(own.block.slot)!.find((p) => p.block === own.block)!.skips.push({ index: own.index, ...(line ? { line } : {}) });
    };
    if (use.without !== undefined) except(use.without);
    use.dropped?.forEach((key) => except(key));
    use.extra?.forEach((actions, key) => {
      const more = `,${spellActions(actions, tables)}`;
      except(key, (spelled) => `${spelled.slice(0, -1)}${more}\n`);
    });
  }
  const text = textBuilder();
  for (const slot of [...new Set([...groups.keys(), ...shared.keys()])].sort((a, b) => a - b)) {
    const g = groups.get(slot);
    const local = g?.lines.sort(compareInGroup) ?? [];
    const parts = shared.get(slot);
    if (!parts) {
      for (const l of local) text.add(l.text);
      continue;
    }
    for (const part of parts) part.skips.sort((a, b) => a.index - b.index);
    if (parts.length === 1) mergeOneFamily(text, parts[0]!, local, gatewayMac);
    else mergeRuleFamilies(text, parts, local);
  }
  return text.done();
}

/** A family's lines in one (table, priority) on a Node: the lines it leaves out or extends, in line order. */
interface FamilyPart {
  readonly block: SlotBlock;
  readonly skips: { index: number; line?: (spelled: string) => string }[];
  /** The first skip not yet passed while the part is written. */
  next: number;
}

/** The family's lines are in order already: each local line goes where a binary search puts it. */
function mergeOneFamily(text: TextBuilder, part: FamilyPart, local: readonly Line[], mac: string): void {
  const { block } = part;
  let from = 0;
  for (const l of local) {
    const same = lineOfMatch(block, l.match);
    if (same !== undefined && !part.skips.some((s) => s.index === same && !s.line)) {
      throw new Error(`internal: two flows share table ${block.table}, priority ${block.priority}, match ${l.match}`);
    }
    const at = insertionPoint(block, l, mac);
    addFamilyLines(text, part, from, at, mac);
    text.add(l.text);
    from = at;
  }
  addFamilyLines(text, part, from, block.keys.length, mac);
}

/**
 * Several families at one (table, priority): rule clause families (compiler/plan/networkPolicy.ts), each of one
 * rule's cookie. Lines of different cookies order by the cookie alone (the texts first differ inside it), so each
 * family is a run of the slot, the runs in the order of their first lines, and a local line of a family's cookie
 * goes into its run by binary search. Families leave out the matches another family has (the plan merges those),
 * and a local line never has a family's match: checked for the local lines whose match shape a family has.
 */
function mergeRuleFamilies(text: TextBuilder, parts: FamilyPart[], local: readonly Line[]): void {
  const byShape = new Map<string, Line[]>();
  for (const l of local) {
    const shape = matchShape(l.match);
    const same = byShape.get(shape);
    if (same) same.push(l);
    else byShape.set(shape, [l]);
  }
  for (const { block: b } of parts) {
    if (b.holed || b.cookie === undefined) throw new Error(`internal: two flow families share table ${b.table}, priority ${b.priority}`);
    for (const [shape, lines] of byShape) {
      if (!b.shapes.has(shape)) continue;
      const clash = lines.find((l) => lineOfMatch(b, l.match) !== undefined);
      if (clash) throw new Error(`internal: two flows share table ${b.table}, priority ${b.priority}, match ${clash.match}`);
    }
  }
  const first = (part: FamilyPart) => part.block.first;
  parts.sort((a, b) => {
    if (a.block.cookie === b.block.cookie) throw new Error(`internal: two flow families share table ${a.block.table}, priority ${a.block.priority}`);
    return first(a) < first(b) ? -1 : 1;
  });
  let p = 0;
  let from = 0;
  for (const l of local) {
    while (p < parts.length) {
      const part = parts[p]!;
      if (part.block.cookie === l.cookie) {
        const at = insertionPoint(part.block, l, '');
        addFamilyLines(text, part, from, at, '');
        from = at;
        break;
      }
      if (first(part) > l.text) break;
      addFamilyLines(text, part, from, part.block.keys.length, '');
      p++;
      from = 0;
    }
    text.add(l.text);
  }
  for (; p < parts.length; p++, from = 0) addFamilyLines(text, parts[p]!, from, parts[p]!.block.keys.length, '');
}

/**
 * One (table, priority) of a family, spelled and sorted once per compile. Lines without the gateway MAC are kept
 * joined (a range of them is a slice, no copy); a line with it is kept as the text before and after the MAC, and
 * `glue[i]` is the text between line i-1's MAC and line i's, so a range is one join with the Node's MAC.
 */
interface SlotBlock {
  readonly slot: number;
  readonly table: string;
  readonly priority: number;
  /** Per line, in file order. */
  readonly keys: readonly string[];
  /** The cookie of every line, when they have one; else `cookies` has each line's. */
  readonly cookie?: bigint;
  readonly cookies?: readonly bigint[];
  readonly matches: readonly string[];
  /**
   * The field names of each distinct match shape (`ip,nw_src`): a line can only have a match the block has if its
   * shape is here, so the uniqueness check of a Node's lines against a family costs a lookup, not a map per family.
   */
  readonly shapes: ReadonlySet<string>;
  /** Index of the line by its match, made when a line of a shape the block has needs it. */
  byMatch?: ReadonlyMap<string, number>;
  readonly holed: boolean;
  /** The first line's text. */
  readonly first: string;
  /** Unholed: every line joined, and where line i starts (offsets[n] = length). */
  readonly joined: string;
  readonly offsets: readonly number[];
  /** Holed: the text before and after the MAC, and the glue (see above). */
  readonly before: readonly string[];
  readonly after: readonly string[];
  readonly glue: readonly string[];
  /** Lines per piece handed to the text builder: about one CHUNK. */
  readonly perPiece: number;
}

interface FamilyBlock {
  readonly family: FlowFamily;
  readonly tables: TableMap;
  readonly slots: readonly SlotBlock[];
  /** Each member's line, made when a Node first leaves a member out or extends one. */
  byKey?: ReadonlyMap<string, { block: SlotBlock; index: number }>;
}

function familyBlock(family: FlowFamily, tables: TableMap, cache: SpellingCache): FamilyBlock {
  const cached = cache.families.get(family);
  if (cached && cached.tables === tables) return cached;
  const fb: FamilyBlock = { family, tables, slots: 'members' in family ? listedSlots(family, tables, cache) : [clauseSlot(family, tables, cache)] };
  cache.families.set(family, fb);
  return fb;
}

function listedSlots(family: ListedFamily, tables: TableMap, cache: SpellingCache): SlotBlock[] {
  const bySlot = new Map<number, { flow: Flow; key: string; line: Line }[]>();
  // A rule's members share one actions record per clause: spelled once.
  const actionTexts = new Map<readonly Action[], string>();
  for (const { key, flow } of family.members) {
    let match = cache.familyMatches.get(flow.match);
    if (match === undefined) cache.familyMatches.set(flow.match, (match = spellMatch(flow.match)));
    let actions = actionTexts.get(flow.actions);
    if (actions === undefined) actionTexts.set(flow.actions, (actions = spellActions(flow.actions, tables)));
    const slot = slotOf(tableId(tables, flow.table), flow.priority);
    let list = bySlot.get(slot);
    if (!list) bySlot.set(slot, (list = []));
    list.push({ flow, key, line: { cookie: flow.cookie, match, text: spell(flow, tables, match, cache, actions) } });
  }
  const slots: SlotBlock[] = [];
  for (const slot of [...bySlot.keys()].sort((a, b) => a - b)) {
    const entries = bySlot.get(slot)!;
    const { table, priority } = entries[0]!.flow;
    const holed = entries.some((e) => e.line.text.includes(LOCAL_GATEWAY_MAC));
    if (holed && entries.some((e) => e.line.cookie !== entries[0]!.line.cookie)) {
      // Lines of different cookies order by their whole text, which the gateway MAC would then be part of.
      throw new Error(`internal: flow family ${family.name} mixes cookies at table ${table}, priority ${priority}`);
    }
    entries.sort((a, b) => compareInGroup(a.line, b.line));
    const before: string[] = [];
    const after: string[] = [];
    const offsets = [0];
    const shapes = new Set<string>();
    // One cookie: the lines are in match order, so equal matches are neighbours.
    const seen = entries.every((e) => e.line.cookie === entries[0]!.line.cookie) ? undefined : new Set<string>();
    entries.forEach((e, i) => {
      const match = e.line.match;
      if (seen ? seen.has(match) : i > 0 && entries[i - 1]!.line.match === match) {
        throw new Error(`internal: two flows of family ${family.name} share table ${table}, priority ${priority}, match ${match}`);
      }
      seen?.add(match);
      let shape = cache.shapes.get(match);
      if (shape === undefined) cache.shapes.set(match, (shape = matchShape(match)));
      shapes.add(shape);
      offsets.push(offsets[i]! + e.line.text.length);
      if (!holed) return;
      const parts = e.line.text.split(LOCAL_GATEWAY_MAC);
      if (parts.length !== 2) throw new Error(`internal: flow family ${family.name}: a line holds the local gateway MAC ${parts.length - 1} times`);
      before.push(parts[0]!);
      after.push(parts[1]!);
    });
    const average = offsets[entries.length]! / entries.length;
    const joined = holed ? '' : entries.map((e) => e.line.text).join('');
    slots.push({
      slot,
      table,
      priority,
      keys: entries.map((e) => e.key),
      ...(entries.every((e) => e.line.cookie === entries[0]!.line.cookie) ? { cookie: entries[0]!.line.cookie } : { cookies: entries.map((e) => e.line.cookie) }),
      matches: entries.map((e) => e.line.match),
      shapes,
      holed,
      first: entries[0]!.line.text,
      joined,
      offsets,
      before,
      after,
      glue: before.map((b, i) => (i === 0 ? b : after[i - 1]! + b)),
      perPiece: Math.max(1, Math.ceil(CHUNK / average)),
    });
  }
  return slots;
}

/** A clause's matches spelled, in the order of their lines (one cookie: the order of the matches). */
interface SpelledList {
  readonly keys: readonly string[];
  readonly matches: readonly string[];
  readonly shapes: ReadonlySet<string>;
}

function spelledList(list: readonly KeyedMatch[], cache: SpellingCache): SpelledList {
  let spelled = cache.clauseLists.get(list);
  if (spelled) return spelled;
  const entries = list.map(({ key, match }) => {
    let text = cache.familyMatches.get(match);
    if (text === undefined) cache.familyMatches.set(match, (text = spellMatch(match)));
    return { key, text };
  });
  entries.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  const shapes = new Set<string>();
  entries.forEach(({ text }, i) => {
    if (i > 0 && entries[i - 1]!.text === text) throw new Error(`internal: a clause lists match ${text} twice`);
    let shape = cache.shapes.get(text);
    if (shape === undefined) cache.shapes.set(text, (shape = matchShape(text)));
    shapes.add(shape);
  });
  spelled = { keys: entries.map((e) => e.key), matches: entries.map((e) => e.text), shapes };
  cache.clauseLists.set(list, spelled);
  return spelled;
}

/**
 * Several clauses' lists in match order, each line the head, the match and its clause's tail. A service clause
 * holds a few matches and a peer clause thousands, so the lists are taken in runs: the longest stretch of one list
 * that sorts before every other list's next match, found by binary search and joined at once. Each line's end
 * offset is appended to `offsets` (SlotBlock.offsets).
 */
function mergeLists(family: ClauseFamily, lists: readonly SpelledList[], tails: readonly string[], head: string, offsets: number[]) {
  // Keys and matches by run, flattened once at the end: a slice per run, not a push per line.
  const keyRuns: (readonly string[])[] = [];
  const matchRuns: (readonly string[])[] = [];
  const parts: string[] = [];
  let end = offsets[offsets.length - 1]!;
  let last: string | undefined;
  const at = lists.map(() => 0);
  for (;;) {
    // The list whose next match sorts first, and the least of the others' next matches.
    let next = -1;
    let bound: string | undefined;
    for (let i = 0; i < lists.length; i++) {
      if (at[i]! === lists[i]!.matches.length) continue;
      const m = lists[i]!.matches[at[i]!]!;
      if (next < 0 || m < lists[next]!.matches[at[next]!]!) {
        if (next >= 0) bound = lists[next]!.matches[at[next]!]!;
        next = i;
      } else if (bound === undefined || m < bound) bound = m;
    }
    if (next < 0) break;
    const list = lists[next]!;
    const from = at[next]!;
    let to = list.matches.length;
    if (bound !== undefined) {
      let lo = from + 1;
      while (lo < to) {
        const mid = (lo + to) >>> 1;
        if (list.matches[mid]! < bound) lo = mid + 1;
        else to = mid;
      }
    }
    // An empty match (sorted first) has no comma before it: a run of its own.
    if (list.matches[from] === '') to = from + 1;
    at[next] = to;
    // Within a list matches are distinct (spelledList); two lists' equal matches would meet here as neighbours.
    if (last === list.matches[from]) {
      throw new Error(`internal: two flows of family ${family.name} share table ${family.table}, priority ${family.priority}, match ${list.matches[from]}`);
    }
    const tail = tails[next]!;
    const run = list.matches.slice(from, to);
    keyRuns.push(list.keys.slice(from, to));
    matchRuns.push(run);
    last = run[run.length - 1];
    parts.push(run[0] === '' ? `${head}${tail}` : `${head},${run.join(`${tail}${head},`)}${tail}`);
    const fixed = head.length + tail.length;
    for (const match of run) offsets.push((end += fixed + (match ? 1 + match.length : 0)));
  }
  const flat = (runs: (readonly string[])[]) => (runs.length === 1 ? runs[0]! : runs.flat());
  return { keys: flat(keyRuns), matches: flat(matchRuns), joined: parts.length === 1 ? parts[0]! : parts.join('') };
}

/**
 * A rule's clause family is one (table, priority) of one cookie: its lines are its clauses' spelled lists merged
 * in match order, each line the rule's head, the match and its clause's actions.
 */
function clauseSlot(family: ClauseFamily, tables: TableMap, cache: SpellingCache): SlotBlock {
  const { table, priority, cookie } = family;
  const head = lineHead(cookie, table, priority, tables, cache);
  const lists = family.clauses.map((c) => spelledList(c.matches, cache));
  const tails = family.clauses.map((c) => ` actions=${spellActions(c.actions, tables)}\n`);
  const shapes = new Set<string>();
  for (const l of lists) for (const shape of l.shapes) shapes.add(shape);
  let keys: readonly string[];
  let matches: readonly string[];
  let joined: string;
  const offsets = [0];
  const only = lists.length === 1 ? lists[0]! : undefined;
  if (only && only.matches[0] !== '') {
    // One clause (no service clause): the list's order is the block's, and the lines are one join.
    const tail = tails[0]!;
    keys = only.keys;
    matches = only.matches;
    joined = `${head},${matches.join(`${tail}${head},`)}${tail}`;
    const fixed = head.length + 1 + tail.length;
    for (let i = 0; i < matches.length; i++) offsets.push(offsets[i]! + fixed + matches[i]!.length);
  } else {
    ({ keys, matches, joined } = mergeLists(family, lists, tails, head, offsets));
  }
  if (matches.length === 0) throw new Error(`internal: flow family ${family.name} has no members`);
  return {
    slot: slotOf(tableId(tables, table), priority),
    table,
    priority,
    keys,
    cookie,
    matches,
    shapes,
    holed: false,
    first: joined.slice(0, offsets[1]),
    joined,
    offsets,
    before: [],
    after: [],
    glue: [],
    perPiece: 1,
  };
}

/** A match's field names without their values: `ip,nw_src=10.1.0.4` → `ip,nw_src`. */
const matchShape = (match: string): string => match.replace(/=[^,]*/g, '');

/** The block's line with this match, if any. */
function lineOfMatch(b: SlotBlock, match: string): number | undefined {
  if (!b.shapes.has(matchShape(match))) return undefined;
  b.byMatch ??= new Map(b.matches.map((m, i) => [m, i]));
  return b.byMatch.get(match);
}

/** The block and line of a family member. */
function memberLine(fb: FamilyBlock, key: string): { block: SlotBlock; index: number } | undefined {
  if (!fb.byKey) {
    const byKey = new Map<string, { block: SlotBlock; index: number }>();
    for (const block of fb.slots) {
      block.keys.forEach((k, index) => {
        if (byKey.has(k)) throw new Error(`internal: flow family ${fb.family.name} has two members ${k}`);
        byKey.set(k, { block, index });
      });
    }
    fb.byKey = byKey;
  }
  return fb.byKey.get(key);
}

const familyLine = (b: SlotBlock, i: number, mac: string): string =>
  b.holed ? b.before[i]! + mac + b.after[i]! : b.joined.slice(b.offsets[i]!, b.offsets[i + 1]!);

/** The first family line that sorts after the local line (the order compareInGroup gives). */
function insertionPoint(b: SlotBlock, l: Line, mac: string): number {
  let lo = 0;
  let hi = b.keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = b.matches[mid]!;
    const after = l.cookie === (b.cookie ?? b.cookies![mid]) ? m > l.match : familyLine(b, mid, mac) > l.text;
    if (after) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Family lines [from, to) into the text, less those the part leaves out, with the lines it extends rewritten. */
function addFamilyLines(text: TextBuilder, part: FamilyPart, from: number, to: number, mac: string): void {
  const { block, skips } = part;
  while (part.next < skips.length && skips[part.next]!.index < to) {
    const skip = skips[part.next++]!;
    if (skip.index < from) continue;
    addFamilyRange(text, block, from, skip.index, mac);
    if (skip.line) text.add(skip.line(familyLine(block, skip.index, mac)));
    from = skip.index + 1;
  }
  addFamilyRange(text, block, from, to, mac);
}

function addFamilyRange(text: TextBuilder, b: SlotBlock, from: number, to: number, mac: string): void {
  if (from >= to) return;
  if (!b.holed) {
    text.add(b.joined.slice(b.offsets[from]!, b.offsets[to]!));
    return;
  }
  for (let start = from; start < to; start += b.perPiece) {
    const end = Math.min(to, start + b.perPiece);
    const parts = b.glue.slice(start, end);
    parts[0] = b.before[start]!;
    parts.push(b.after[end - 1]!);
    text.add(parts.join(mac));
  }
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
