/**
 * A fast reader for the block-style YAML snapshots are made of (`kubectl get -o yaml`, generated manifests). It
 * keeps no positions and knows only a subset of YAML: block maps and sequences, one-line plain and quoted scalars,
 * `|`/`|-` literal blocks, flow collections that end on their line, comments and `---`. On anything else (anchors,
 * tags, folded or multi-line scalars, tabs, repeated keys, and every error) it gives up on the whole text and the
 * full parser reads it (documents.ts). So a text it accepts reads exactly as the full parser would read it, and
 * everything else, errors and their positions included, is left to the full parser. Equivalence is tested on
 * tricky, mutated and real inputs (test/fastYaml.test.ts).
 *
 * Why: the full parser builds a concrete syntax tree and a node tree for every document before the values exist;
 * on a large snapshot that costs ten times JSON.parse and gigabytes of memory (issue 13).
 */

/** Thrown (never escapes this module) when the text leaves the subset. */
const OUTSIDE = Symbol('outside the fast YAML subset');

function giveUp(): never {
  throw OUTSIDE;
}

/**
 * Characters the subset refuses wherever they are: tabs (indentation or separation the full parser rules on),
 * carriage returns, control and non-printable characters, byte-order marks, and Unicode line separators.
 */
const REFUSED_CHARS = /[\t\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/;

const SPACE = 0x20;
const OPEN_SEQ = 0x5b;
const OPEN_MAP = 0x7b;
const HASH = 0x23;
const DASH = 0x2d;
const COLON = 0x3a;
const DQUOTE = 0x22;
const SQUOTE = 0x27;

/** A scalar may not start with these in block context (quotes, `|`, `[` and `{` are read before this check). */
const INDICATOR = /^[,[\]{}#&*!|>'"%@`]/;
/** `-`, `?` and `:` start a scalar only when a non-space follows. */
const LONE_INDICATOR = /^[-?:](?: |$)/;

// The YAML 1.2 core schema's tests, in the order the full parser tries them on a plain scalar.
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

const TAGGED_START: readonly boolean[] = Array.from({ length: 128 }, (_, c) => '~nNtTfF0123456789+-.'.includes(String.fromCharCode(c)));

/**
 * Nesting deeper than this many columns is left to the full parser: the reader recurses once or twice per level
 * (a level adds at least one column every two levels), so this keeps hostile nesting far from the stack's limit.
 */
const MAX_INDENT = 200;

/** Keys the full parser treats specially when it builds objects (prototype, merge). */
const SPECIAL_KEYS = new Set(['__proto__', '<<']);
/** The full parser refuses implicit keys longer than 1024 characters; stay well clear. */
const MAX_KEY_LENGTH = 1000;

/** JSON's escapes, which mean the same in a YAML double-quoted scalar; any other is left to the full parser. */
const JSON_ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/g;
/** What may follow a closing quote on its line. */
const AFTER_SCALAR = /^(?: *| +#.*)$/;

function plainValue(s: string): unknown {
  if (INDICATOR.test(s) || LONE_INDICATOR.test(s) || s.includes(': ') || s.endsWith(':')) giveUp();
  // Only these first characters can start a null, a boolean or a number: the rest are strings, without a test.
  const c = s.charCodeAt(0);
  if (s.length > 0 && !TAGGED_START[c]) return s;
  // The same conversions as the full parser's, so that even -0, 0123 and 1e400 read the same.
  if (NULL.test(s)) return null;
  if (BOOL.test(s)) return s[0] === 't' || s[0] === 'T';
  if (INT_OCT.test(s)) return parseInt(s.substring(2), 8);
  if (INT.test(s)) return parseInt(s, 10);
  if (INT_HEX.test(s)) return parseInt(s.substring(2), 16);
  if (FLOAT_NAN.test(s)) return s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (FLOAT_EXP.test(s) || FLOAT.test(s)) return parseFloat(s);
  return s;
}

/** Trailing spaces off (not String.trimEnd: that also takes Unicode spaces, which YAML keeps). */
function withoutTrailingSpaces(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === SPACE) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** A key as the full parser would make it an object's property name without ado; anything else gives up. */
function checkedKey(name: string, quoted: boolean): string {
  if (SPECIAL_KEYS.has(name) || name.length > MAX_KEY_LENGTH) giveUp();
  if (!quoted && (name.length === 0 || name.charCodeAt(name.length - 1) === SPACE || typeof plainValue(name) !== 'string')) giveUp();
  return name;
}

function skipSpaces(line: string, p: number): number {
  let k = p;
  while (line.charCodeAt(k) === SPACE) k++;
  return k;
}

/** Characters that end a plain scalar or key inside a flow collection, or that the subset refuses there. */
const FLOW_STOP = /[,[\]{}#"']/;
const FLOW_PLAIN_END = /[,\]}]/g;
const MAX_FLOW_DEPTH = 50;

/**
 * A flow collection (`[a, b]`, `{k: v}`, nested) that opens at `p` and closes on the same line: its value and the
 * index after it. Empty entries, trailing commas, entries without a value, single-pair mappings in a sequence and
 * `:` anywhere but after a key are left to the full parser.
 */
function flowCollection(line: string, p: number, depth: number): { value: unknown; end: number } {
  if (depth > MAX_FLOW_DEPTH) giveUp();
  const isSeq = line.charCodeAt(p) === OPEN_SEQ;
  const close = isSeq ? 0x5d : 0x7d;
  const items: unknown[] = [];
  const obj: Record<string, unknown> = {};
  let k = skipSpaces(line, p + 1);
  if (line.charCodeAt(k) === close) return { value: isSeq ? items : obj, end: k + 1 };
  for (;;) {
    if (isSeq) {
      const node = flowNode(line, k, depth);
      items.push(node.value);
      k = node.end;
    } else {
      let name: string;
      const c = line.charCodeAt(k);
      if (c === DQUOTE || c === SQUOTE) {
        const end = closingQuote(line, k);
        name = checkedKey(quotedValue(line, k, end), true);
        k = end + 1;
      } else {
        const colon = line.indexOf(': ', k);
        if (colon < 0) giveUp();
        const text = line.slice(k, colon);
        if (FLOW_STOP.test(text) || text.includes(':')) giveUp();
        name = checkedKey(text, false);
        k = colon;
      }
      if (line.charCodeAt(k) !== COLON || line.charCodeAt(k + 1) !== SPACE) giveUp();
      if (Object.prototype.hasOwnProperty.call(obj, name)) giveUp();
      const node = flowNode(line, skipSpaces(line, k + 1), depth);
      obj[name] = node.value;
      k = node.end;
    }
    k = skipSpaces(line, k);
    const c = line.charCodeAt(k);
    if (c === close) return { value: isSeq ? items : obj, end: k + 1 };
    if (c !== 0x2c) giveUp();
    k = skipSpaces(line, k + 1);
    if (line.charCodeAt(k) === close) giveUp(); // a trailing comma
  }
}

/** A value inside a flow collection, at `k`: a nested collection, a quoted or a plain scalar. */
function flowNode(line: string, k: number, depth: number): { value: unknown; end: number } {
  const c = line.charCodeAt(k);
  if (c === OPEN_SEQ || c === OPEN_MAP) return flowCollection(line, k, depth + 1);
  if (c === DQUOTE || c === SQUOTE) {
    const end = closingQuote(line, k);
    return { value: quotedValue(line, k, end), end: end + 1 };
  }
  FLOW_PLAIN_END.lastIndex = k;
  const stop = FLOW_PLAIN_END.exec(line);
  if (!stop) giveUp(); // runs over the line
  const text = withoutTrailingSpaces(line.slice(k, stop.index));
  if (text.length === 0 || FLOW_STOP.test(text) || /:(?: |$)/.test(text)) giveUp();
  return { value: plainValue(text), end: stop.index };
}

function indentOf(line: string): number {
  let i = 0;
  while (line.charCodeAt(i) === SPACE) i++;
  return i;
}

/** A line that holds nothing: only spaces, or a comment. */
function isBlankOrComment(line: string): boolean {
  const i = indentOf(line);
  return i === line.length || line.charCodeAt(i) === HASH;
}

function isDash(line: string, col: number): boolean {
  return line.charCodeAt(col) === DASH && (line.length === col + 1 || line.charCodeAt(col + 1) === SPACE);
}

/** `---` alone starts a document; any other line opening like a marker or a directive is left to the full parser. */
function isDocumentStart(line: string): boolean {
  if (line === '---') return true;
  if (line.startsWith('---') || line.startsWith('...') || line.startsWith('%')) giveUp();
  return false;
}

/** End of the quoted scalar opening at `p`: the index of its closing quote. */
function closingQuote(line: string, p: number): number {
  const quote = line.charCodeAt(p);
  for (let k = p + 1; k < line.length; k++) {
    const c = line.charCodeAt(k);
    if (quote === DQUOTE && c === 0x5c) k++;
    else if (c === quote) {
      if (quote === SQUOTE && line.charCodeAt(k + 1) === SQUOTE) k++;
      else return k;
    }
  }
  return giveUp(); // runs over the line
}

function quotedValue(line: string, p: number, end: number): string {
  const raw = line.slice(p + 1, end);
  if (line.charCodeAt(p) === SQUOTE) return raw.includes("''") ? raw.replaceAll("''", "'") : raw;
  if (!raw.includes('\\')) return raw;
  if (raw.replace(JSON_ESCAPE, '').includes('\\')) giveUp();
  return JSON.parse(`"${raw}"`) as string;
}

class Reader {
  /** The line being read: the next one holding something, once a node is done. */
  i = 0;

  constructor(private readonly lines: readonly string[]) {}

  /** Index of the first line from `from` that holds something (or lines.length). */
  private next(from: number): number {
    const { lines } = this;
    let j = from;
    while (j < lines.length && isBlankOrComment(lines[j]!)) j++;
    return j;
  }

  /** Indent of the current line, or -1 at the end of the document. */
  private level(): number {
    const line = this.lines[this.i];
    if (line === undefined || isDocumentStart(line)) return -1;
    return indentOf(line);
  }

  documents(): unknown[] {
    const docs: unknown[] = [];
    let open = false; // a `---` began a document nothing has been read into yet
    this.i = this.next(0);
    while (this.i < this.lines.length) {
      const line = this.lines[this.i]!;
      if (isDocumentStart(line)) {
        if (open) docs.push(null);
        open = true;
        this.i = this.next(this.i + 1);
        continue;
      }
      if (indentOf(line) !== 0) giveUp();
      docs.push(this.block(0));
      open = false;
      if (this.level() !== -1) giveUp();
    }
    if (open) docs.push(null);
    return docs;
  }

  /** The map or sequence whose first entry starts at column `col` of the current line. */
  private block(col: number): unknown {
    if (col > MAX_INDENT) giveUp();
    return isDash(this.lines[this.i]!, col) ? this.seq(col) : this.map(col);
  }

  private map(col: number): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    for (;;) {
      const line = this.lines[this.i]!;
      const key = this.key(line, col);
      if (key === undefined) giveUp();
      if (Object.prototype.hasOwnProperty.call(obj, key.name)) giveUp(); // the full parser names the repeated key
      obj[key.name] = this.value(line, key.after, col);
      const level = this.level();
      if (level < col) return obj;
      if (level > col) giveUp();
    }
  }

  private seq(col: number): unknown[] {
    const items: unknown[] = [];
    for (;;) {
      const line = this.lines[this.i]!;
      let p = col + 1;
      while (line.charCodeAt(p) === SPACE) p++;
      if (p === line.length || line.charCodeAt(p) === HASH) items.push(this.nested(col, false));
      else if (isDash(line, p)) giveUp(); // a sequence inside an entry on one line
      else if (line.charCodeAt(p) === OPEN_SEQ || line.charCodeAt(p) === OPEN_MAP) items.push(this.inlineScalar(line, p));
      else if (this.key(line, p) !== undefined) items.push(this.map(p));
      else {
        if (line.charCodeAt(p) === 0x7c) giveUp(); // a block scalar as an entry
        items.push(this.inlineScalar(line, p));
      }
      const level = this.level();
      if (level < col || (level === col && !isDash(this.lines[this.i]!, col))) return items;
      if (level > col) giveUp();
    }
  }

  /** The key at `p` and where its value starts, or undefined when the line holds no key there. */
  private key(line: string, p: number): { name: string; after: number } | undefined {
    const c = line.charCodeAt(p);
    if (c === DQUOTE || c === SQUOTE) {
      const end = closingQuote(line, p);
      if (line.charCodeAt(end + 1) !== COLON) return undefined;
      if (end + 2 < line.length && line.charCodeAt(end + 2) !== SPACE) giveUp();
      return { name: checkedKey(quotedValue(line, p, end), true), after: end + 2 };
    }
    let colon = line.indexOf(':', p);
    while (colon >= 0 && colon + 1 < line.length && line.charCodeAt(colon + 1) !== SPACE) colon = line.indexOf(':', colon + 1);
    if (colon < 0) return undefined;
    const comment = line.indexOf(' #', p);
    if (comment >= 0 && comment < colon) return undefined;
    return { name: checkedKey(line.slice(p, colon), false), after: colon + 1 };
  }

  /** The value after a key's `:` at `after`; `indent` is the map's. Leaves `i` on the next line holding something. */
  private value(line: string, after: number, indent: number): unknown {
    let p = after;
    while (line.charCodeAt(p) === SPACE) p++;
    if (p === line.length || line.charCodeAt(p) === HASH) return this.nested(indent, true);
    if (line.charCodeAt(p) === 0x7c) return this.literalBlock(line.slice(p), indent);
    return this.inlineScalar(line, p);
  }

  /**
   * The node under an entry with nothing after it on its line: a block indented deeper than `indent`, a sequence
   * at the same indent under a map key, or null.
   */
  private nested(indent: number, underKey: boolean): unknown {
    this.i = this.next(this.i + 1);
    const level = this.level();
    if (level > indent) return this.block(level);
    if (underKey && level === indent && isDash(this.lines[this.i]!, indent)) return this.seq(indent);
    return null;
  }

  /** A scalar (or `[]`/`{}`) that ends on its line. */
  private inlineScalar(line: string, p: number): unknown {
    const c = line.charCodeAt(p);
    let value: unknown;
    let rest: string;
    if (c === DQUOTE || c === SQUOTE) {
      const end = closingQuote(line, p);
      value = quotedValue(line, p, end);
      rest = line.slice(end + 1);
    } else if (c === OPEN_SEQ || c === OPEN_MAP) {
      const flow = flowCollection(line, p, 0);
      value = flow.value;
      rest = line.slice(flow.end);
    } else {
      const comment = line.indexOf(' #', p);
      value = plainValue(withoutTrailingSpaces(comment < 0 ? line.slice(p) : line.slice(p, comment)));
      rest = '';
    }
    if (!AFTER_SCALAR.test(rest)) giveUp();
    this.i = this.next(this.i + 1);
    return value;
  }

  /** A `|` or `|-` block under a key of a map indented by `indent`; other block headers are left to the full parser. */
  private literalBlock(header: string, indent: number): string {
    if (header !== '|' && header !== '|-') giveUp();
    const { lines } = this;
    let j = this.i + 1;
    let leadingBlank = 0;
    while (j < lines.length && indentOf(lines[j]!) === lines[j]!.length) leadingBlank = Math.max(leadingBlank, lines[j++]!.length);
    // An empty block, or blank lines indented deeper than the text (an error): the full parser decides.
    const m = j < lines.length ? indentOf(lines[j]!) : -1;
    if (m <= indent || leadingBlank > m) giveUp();
    const parts: string[] = [];
    for (let k = this.i + 1; k < j; k++) parts.push('');
    for (; j < lines.length; j++) {
      const line = lines[j]!;
      const lineIndent = indentOf(line);
      if (lineIndent === line.length) {
        if (line.length > m) giveUp(); // spaces beyond the indent are text: the full parser's call
        parts.push('');
      } else if (lineIndent >= m) parts.push(line.slice(m));
      else break;
    }
    while (parts[parts.length - 1] === '') parts.pop();
    this.i = this.next(j);
    const text = parts.join('\n');
    return header === '|' ? `${text}\n` : text;
  }
}

/**
 * The values of every document of `text`, as the full parser (YAML 1.2 core schema) reads them; undefined when
 * the text is outside the subset this reader knows, errors included.
 */
export function readYamlFast(text: string): unknown[] | undefined {
  if (REFUSED_CHARS.test(text)) return undefined;
  try {
    return new Reader(text.split('\n')).documents();
  } catch (e) {
    if (e === OUTSIDE) return undefined;
    throw e;
  }
}
