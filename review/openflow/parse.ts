/**
 * Reads a bundle's OpenFlow artifacts (flows.txt, groups.txt, meters.txt: OVS's canonical spelling, one flow or
 * `add-group`/`add-meter` argument a line) into match/action records the interpreter runs.
 */
import { CT_STATE_BITS, FIELDS, fieldName, ones } from './fields.js';

export interface FieldMatch {
  readonly field: string;
  readonly value: bigint;
  readonly mask: bigint;
}

/** A bit range of a field, as `NXM_NX_REG0[0..3]` or `reg1` spell it. */
export interface FieldRef {
  readonly field: string;
  readonly start: number;
  readonly bits: number;
}

export type Action =
  | { readonly op: 'set'; readonly field: string; readonly value: bigint; readonly mask: bigint }
  | { readonly op: 'load'; readonly dst: FieldRef; readonly value: bigint }
  | { readonly op: 'move'; readonly src: FieldRef; readonly dst: FieldRef }
  | { readonly op: 'goto'; readonly table: number }
  | { readonly op: 'resubmit'; readonly port?: number; readonly table?: number }
  | { readonly op: 'conjunction'; readonly id: number; readonly clause: number; readonly clauses: number }
  | { readonly op: 'ct'; readonly commit: boolean; readonly zone?: number; readonly zoneRef?: FieldRef; readonly table?: number; readonly nat?: string; readonly exec: readonly Action[] }
  | { readonly op: 'ct_clear' }
  | { readonly op: 'group'; readonly id: number }
  | { readonly op: 'meter'; readonly id: number }
  | { readonly op: 'output'; readonly port?: number; readonly ref?: FieldRef }
  | { readonly op: 'in_port' }
  | { readonly op: 'normal' }
  | { readonly op: 'local' }
  | { readonly op: 'controller'; readonly reason?: string; readonly userdata?: string; readonly id?: number }
  | { readonly op: 'drop' }
  | { readonly op: 'dec_ttl' }
  | { readonly op: 'note'; readonly text: string }
  | { readonly op: 'learn'; readonly text: string }
  | { readonly op: 'other'; readonly text: string };

export interface OfFlow {
  readonly table: number;
  readonly priority: number;
  readonly cookie: bigint;
  readonly match: readonly FieldMatch[];
  readonly actions: readonly Action[];
  /** The line as flows.txt spells it, and its 1-based line number there. */
  readonly text: string;
  readonly line: number;
  /** The conjunction this flow is a clause of, when its actions are only `conjunction(...)`. */
  readonly clauses?: readonly { id: number; clause: number; clauses: number }[];
}

export interface OfGroup {
  readonly id: number;
  readonly type: 'all' | 'select' | 'indirect' | 'ff';
  readonly buckets: readonly { readonly id: number; readonly weight?: number; readonly actions: readonly Action[] }[];
  readonly text: string;
}

export interface OfMeter {
  readonly id: number;
  readonly unit: 'kbps' | 'pktps';
  readonly rate: number;
  readonly burst?: number;
  readonly text: string;
}

export class FlowSyntaxError extends Error {}

/** Splits at commas outside parentheses. */
export function splitTop(text: string, sep = ','): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === sep && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

function parseIPv4(text: string): bigint {
  const parts = text.split('.');
  if (parts.length !== 4) throw new FlowSyntaxError(`not an IPv4 address: ${text}`);
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function parseIPv6(text: string): bigint {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

const parseMac = (text: string): bigint => BigInt(`0x${text.split(':').join('')}`);

function parseNumber(text: string): bigint {
  if (/^0x[0-9a-f]+$/i.test(text)) return BigInt(text);
  if (/^\d+$/.test(text)) return BigInt(text);
  throw new FlowSyntaxError(`not a number: ${text}`);
}

/** A value in a field's own spelling, with an optional /mask or /prefix. */
export function parseValue(field: string, text: string): { value: bigint; mask: bigint } {
  const def = FIELDS.get(field);
  if (!def) throw new FlowSyntaxError(`unknown field ${field}`);
  const full = ones(def.bits);
  const slash = text.indexOf('/');
  const v = slash < 0 ? text : text.slice(0, slash);
  const m = slash < 0 ? undefined : text.slice(slash + 1);
  const one = (s: string): bigint => {
    switch (def.kind) {
      case 'ipv4':
        return s.includes('.') ? parseIPv4(s) : parseNumber(s);
      case 'ipv6':
        return s.includes(':') ? parseIPv6(s) : parseNumber(s);
      case 'mac':
        return s.includes(':') ? parseMac(s) : parseNumber(s);
      default:
        return parseNumber(s);
    }
  };
  const value = one(v);
  let mask = full;
  if (m !== undefined) {
    const prefix = (def.kind === 'ipv4' || def.kind === 'ipv6') && /^\d+$/.test(m) ? Number(m) : undefined;
    mask = prefix !== undefined ? full ^ ones(def.bits - prefix) : one(m);
  }
  return { value: value & mask, mask };
}

function parseCtState(text: string): { value: bigint; mask: bigint } {
  if (/^0x|^\d/.test(text)) return parseValue('ct_state', text);
  let value = 0n;
  let mask = 0n;
  for (const m of text.matchAll(/([+-])([a-z]+)/g)) {
    const bit = CT_STATE_BITS[m[2]!];
    if (bit === undefined) throw new FlowSyntaxError(`unknown ct_state flag ${m[2]}`);
    mask |= bit;
    if (m[1] === '+') value |= bit;
  }
  return { value, mask };
}

/** Shorthands that stand for a dl_type and an IP protocol. */
const PROTOCOLS: Record<string, [number, number?]> = {
  ip: [0x0800],
  ipv6: [0x86dd],
  arp: [0x0806],
  tcp: [0x0800, 6],
  udp: [0x0800, 17],
  sctp: [0x0800, 132],
  icmp: [0x0800, 1],
  tcp6: [0x86dd, 6],
  udp6: [0x86dd, 17],
  sctp6: [0x86dd, 132],
  icmp6: [0x86dd, 58],
};

/** Parsed match and action pieces of one read, by their text: flows of one bundle repeat most of them. */
export interface ParseCache {
  readonly parts: Map<string, readonly FieldMatch[]>;
  readonly actions: Map<string, Action>;
}

export const newParseCache = (): ParseCache => ({ parts: new Map(), actions: new Map() });

export function parseMatch(text: string, cache?: ParseCache): FieldMatch[] {
  const out: FieldMatch[] = [];
  for (const part of splitTop(text)) {
    const hit = cache?.parts.get(part);
    if (hit) {
      for (const m of hit) out.push(m);
      continue;
    }
    const from = out.length;
    parseMatchPart(part, out);
    cache?.parts.set(part, out.slice(from));
  }
  return out;
}

function parseMatchPart(part: string, out: FieldMatch[]): void {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const val = eq < 0 ? undefined : part.slice(eq + 1);
    const proto = PROTOCOLS[key];
    if (proto && val === undefined) {
      out.push({ field: 'dl_type', value: BigInt(proto[0]), mask: 0xffffn });
      if (proto[1] !== undefined) out.push({ field: 'nw_proto', value: BigInt(proto[1]), mask: 0xffn });
      return;
    }
    if (val === undefined) throw new FlowSyntaxError(`match ${part} has no value`);
    if (key === 'ct_state') {
      out.push({ field: 'ct_state', ...parseCtState(val) });
      return;
    }
    const field = fieldName(key);
    if (!field) throw new FlowSyntaxError(`unknown match field ${key}`);
    if (field === 'nw_frag') {
      const frag: Record<string, [bigint, bigint]> = { no: [0n, 1n], yes: [1n, 1n], first: [1n, 3n], later: [3n, 3n], not_later: [0n, 2n] };
      const f = frag[val];
      if (!f) throw new FlowSyntaxError(`unknown nw_frag ${val}`);
      out.push({ field, value: f[0], mask: f[1] });
      return;
    }
    out.push({ field, ...parseValue(field, val) });
}

export function parseFieldRef(text: string): FieldRef {
  const m = /^([A-Za-z_0-9]+)(?:\[(?:(\d+)(?:\.\.(\d+))?)?\])?$/.exec(text.trim());
  if (!m) throw new FlowSyntaxError(`not a field reference: ${text}`);
  const field = fieldName(m[1]!);
  if (!field) throw new FlowSyntaxError(`unknown field ${m[1]}`);
  const width = FIELDS.get(field)!.bits;
  if (m[2] === undefined) return { field, start: 0, bits: width };
  const start = Number(m[2]);
  const end = m[3] === undefined ? start : Number(m[3]);
  return { field, start, bits: end - start + 1 };
}

function inner(action: string, name: string): string {
  return action.slice(name.length + 1, action.lastIndexOf(')'));
}

function parseCt(body: string): Action {
  let commit = false;
  let zone: number | undefined;
  let zoneRef: FieldRef | undefined;
  let table: number | undefined;
  let nat: string | undefined;
  let exec: Action[] = [];
  for (const part of splitTop(body)) {
    if (part === 'commit') commit = true;
    else if (part.startsWith('zone=')) {
      const z = part.slice(5);
      if (/^\d+$/.test(z)) zone = Number(z);
      else zoneRef = parseFieldRef(z);
    } else if (part.startsWith('table=')) table = Number(part.slice(6));
    else if (part === 'nat' || part.startsWith('nat(')) nat = part;
    else if (part.startsWith('exec(')) exec = parseActions(inner(part, 'exec'));
    else if (part === 'force' || part.startsWith('alg=')) continue;
    else throw new FlowSyntaxError(`unknown ct argument ${part}`);
  }
  return { op: 'ct', commit, exec, ...(zone !== undefined ? { zone } : {}), ...(zoneRef ? { zoneRef } : {}), ...(table !== undefined ? { table } : {}), ...(nat ? { nat } : {}) };
}

export function parseAction(a: string): Action {
  if (a === 'drop') return { op: 'drop' };
  if (a === 'IN_PORT' || a === 'in_port') return { op: 'in_port' };
  if (a === 'NORMAL') return { op: 'normal' };
  if (a === 'LOCAL') return { op: 'local' };
  if (a === 'dec_ttl') return { op: 'dec_ttl' };
  if (a === 'ct_clear') return { op: 'ct_clear' };
  if (a === 'CONTROLLER' || a.startsWith('CONTROLLER:')) return { op: 'controller' };
  let m = /^goto_table:(\d+)$/.exec(a);
  if (m) return { op: 'goto', table: Number(m[1]) };
  m = /^resubmit\((\d*),(\d*)\)$/.exec(a);
  if (m) return { op: 'resubmit', ...(m[1] ? { port: Number(m[1]) } : {}), ...(m[2] ? { table: Number(m[2]) } : {}) };
  m = /^resubmit:(\d+)$/.exec(a);
  if (m) return { op: 'resubmit', port: Number(m[1]) };
  m = /^conjunction\((\d+),(\d+)\/(\d+)\)$/.exec(a);
  if (m) return { op: 'conjunction', id: Number(m[1]), clause: Number(m[2]), clauses: Number(m[3]) };
  m = /^set_field:(.+)->([A-Za-z_0-9]+)$/.exec(a);
  if (m) {
    const field = fieldName(m[2]!);
    if (!field) throw new FlowSyntaxError(`unknown field ${m[2]}`);
    if (field === 'ct_state') throw new FlowSyntaxError('ct_state cannot be set');
    return { op: 'set', field, ...parseValue(field, m[1]!) };
  }
  m = /^load:([^-]+)->(.+)$/.exec(a);
  if (m) return { op: 'load', dst: parseFieldRef(m[2]!), value: parseNumber(m[1]!) };
  m = /^move:(.+)->(.+)$/.exec(a);
  if (m) return { op: 'move', src: parseFieldRef(m[1]!), dst: parseFieldRef(m[2]!) };
  m = /^mod_(dl_src|dl_dst|nw_src|nw_dst|tp_src|tp_dst|nw_tos|nw_ttl):(.+)$/.exec(a);
  if (m) return { op: 'set', field: m[1]!, ...parseValue(m[1]!, m[2]!) };
  m = /^group:(\d+)$/.exec(a);
  if (m) return { op: 'group', id: Number(m[1]) };
  m = /^meter:(\d+)$/.exec(a);
  if (m) return { op: 'meter', id: Number(m[1]) };
  m = /^output:(\d+)$/.exec(a);
  if (m) return { op: 'output', port: Number(m[1]) };
  m = /^output:(.+)$/.exec(a);
  if (m) return { op: 'output', ref: parseFieldRef(m[1]!) };
  if (/^\d+$/.test(a)) return { op: 'output', port: Number(a) };
  if (a.startsWith('ct(')) return parseCt(inner(a, 'ct'));
  if (a === 'ct') return parseCt('');
  if (a.startsWith('controller(')) {
    const args = Object.fromEntries(splitTop(inner(a, 'controller')).map((p) => [p.split('=')[0]!, p.slice(p.indexOf('=') + 1)]));
    return { op: 'controller', ...(args['reason'] ? { reason: args['reason'] } : {}), ...(args['userdata'] ? { userdata: args['userdata'] } : {}), ...(args['id'] ? { id: Number(args['id']) } : {}) };
  }
  if (a.startsWith('note:')) return { op: 'note', text: a.slice(5) };
  if (a.startsWith('learn(')) return { op: 'learn', text: a };
  return { op: 'other', text: a };
}

export function parseActions(text: string, cache?: ParseCache): Action[] {
  return splitTop(text).map((a) => {
    let hit = cache?.actions.get(a);
    if (!hit) {
      hit = parseAction(a);
      cache?.actions.set(a, hit);
    }
    return hit;
  });
}

const STATS = /^(duration|n_packets|n_bytes|idle_age|hard_age|idle_timeout|hard_timeout|reset_counts|importance)=/;

/** One line of flows.txt (`ovs-ofctl dump-flows --no-stats` spelling). */
export function parseFlow(text: string, line = 0, cache?: ParseCache): OfFlow {
  const at = text.indexOf(' actions=');
  const head = at < 0 ? text : text.slice(0, at);
  const actionsText = at < 0 ? '' : text.slice(at + 9);
  let table = 0;
  let priority = 32768;
  let cookie = 0n;
  const match: FieldMatch[] = [];
  // Matches never hold parentheses, so the head splits at every comma.
  for (const raw of head.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    if (part.startsWith('cookie=')) cookie = BigInt(part.slice(7).split('/')[0]!);
    else if (part.startsWith('table=')) table = Number(part.slice(6));
    else if (part.startsWith('priority=')) priority = Number(part.slice(9));
    else if (STATS.test(part)) continue;
    else {
      const hit = cache?.parts.get(part);
      if (hit) for (const m of hit) match.push(m);
      else {
        const from = match.length;
        parseMatchPart(part, match);
        cache?.parts.set(part, match.slice(from));
      }
    }
  }
  const actions = parseActions(actionsText, cache);
  let clauses: { id: number; clause: number; clauses: number }[] | undefined;
  for (const a of actions) {
    if (a.op !== 'conjunction') {
      clauses = undefined;
      break;
    }
    (clauses ??= []).push({ id: a.id, clause: a.clause, clauses: a.clauses });
  }
  return clauses ? { table, priority, cookie, match, actions, text, line, clauses } : { table, priority, cookie, match, actions, text, line };
}

export function parseFlows(text: string): OfFlow[] {
  const out: OfFlow[] = [];
  const cache = newParseCache();
  text.split('\n').forEach((l, i) => {
    const t = l.trim();
    if (t !== '' && !t.startsWith('#')) out.push(parseFlow(t, i + 1, cache));
  });
  return out;
}

/** One `add-group` argument: group_id=N,type=T,bucket=bucket_id:0,[weight:W,]actions=...,bucket=... */
export function parseGroup(text: string): OfGroup {
  const pieces = text.split(/,bucket=/);
  const head = Object.fromEntries(splitTop(pieces[0]!).map((p) => [p.split('=')[0]!, p.slice(p.indexOf('=') + 1)]));
  const buckets = pieces.slice(1).map((b, i) => {
    const at = b.indexOf('actions=');
    const props = at < 0 ? '' : b.slice(0, at);
    const id = /bucket_id:(\d+)/.exec(props);
    const weight = /weight:(\d+)/.exec(props);
    return { id: id ? Number(id[1]) : i, ...(weight ? { weight: Number(weight[1]) } : {}), actions: at < 0 ? [] : parseActions(b.slice(at + 8)) };
  });
  const type = (head['type'] ?? 'all') as OfGroup['type'];
  return { id: Number(head['group_id']), type, buckets, text };
}

export function parseMeter(text: string): OfMeter {
  const id = /meter=(\d+)/.exec(text);
  const rate = /rate=(\d+)/.exec(text);
  const burst = /burst_size=(\d+)/.exec(text);
  return { id: Number(id?.[1] ?? 0), unit: /pktps/.test(text) ? 'pktps' : 'kbps', rate: Number(rate?.[1] ?? 0), ...(burst ? { burst: Number(burst[1]) } : {}), text };
}

const nonEmpty = (text: string) => text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
export const parseGroups = (text: string): OfGroup[] => nonEmpty(text).map(parseGroup);
export const parseMeters = (text: string): OfMeter[] => nonEmpty(text).map(parseMeter);
