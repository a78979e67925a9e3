/**
 * Turns source texts into raw Kubernetes objects, each with the place it came from. YAML (multi-document),
 * JSON, `List` objects and `kubectl get -o yaml|json` output are all accepted. Positions are not kept in memory:
 * an ObjectLocation is enough to find any field again when a diagnostic needs it (see positions.ts).
 */
import { isCollection, parseAllDocuments, visit, type YAMLError } from 'yaml';
import type { Diagnostic, ObjectLocation } from '../diagnostics/diagnostic.js';
import { Msg } from '../diagnostics/messages.js';
import { withoutBom } from './encoding.js';
import { readYamlFast } from './fastYaml.js';

export interface SourceText {
  /** File name as the user gave it, or `<stdin>`. */
  name: string;
  text: string;
}

export interface RawObject {
  value: Record<string, unknown>;
  loc: ObjectLocation;
}

export interface ReadResult {
  objects: RawObject[];
  diagnostics: Diagnostic[];
}

/** Guard against alias bombs ("billion laughs") in hostile YAML. */
export const MAX_ALIAS_COUNT = 1000;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function looksLikeJson(name: string, text: string): boolean {
  if (/\.json$/i.test(name)) return true;
  const first = text.trimStart()[0];
  return first === '{' || first === '[';
}

/** 1-based line and column of a character offset. Only called for errors, so a linear scan is fine. */
export function positionAt(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart + 1 };
}

export interface TextError {
  message: string;
  line: number;
  col: number;
}

/** The parser's message, naming the key when one repeats (the parser says only that keys must be unique). */
function yamlErrorText(e: YAMLError, text: string): string {
  const key = e.code === 'DUPLICATE_KEY' ? /^("(?:[^"\\]|\\.)*"|'[^']*'|[^\s:"'][^:\n]*?)\s*:/.exec(text.slice(e.pos[0], e.pos[0] + 300))?.[1] : undefined;
  if (key === undefined) return e.message.split('\n')[0] ?? e.message;
  const name = key.startsWith("'") ? key.slice(1, -1) : key.startsWith('"') ? (JSON.parse(key) as string) : key;
  return `duplicate key ${JSON.stringify(name)}`;
}

/**
 * Each YAML document of `text`: its value, or the errors that keep it from having one, each at the offending
 * line and column (a tab used as indentation, a repeated key, an alias with no anchor before it).
 */
export function readYamlDocuments(text: string): ({ value: unknown } | { errors: TextError[] })[] {
  const fast = readYamlFast(text);
  if (fast) return fast.map((value) => ({ value }));
  return readYamlPrecisely(text);
}

/** readYamlDocuments with the full parser, for any text: the only one that reports errors. */
export function readYamlPrecisely(text: string): ({ value: unknown } | { errors: TextError[] })[] {
  // logLevel 'error': what the library would only warn about on stderr is refused here, with a position.
  const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  const at = (message: string, offset: number): TextError => ({ message, ...positionAt(text, offset) });
  return (Array.isArray(docs) ? docs : [docs]).map((doc) => {
    if (doc.errors.length > 0) return { errors: doc.errors.map((e) => at(yamlErrorText(e, text), e.pos[0])) };
    let refused: TextError | undefined;
    visit(doc, {
      Alias(_, node) {
        if (node.resolve(doc)) return undefined;
        refused = at('alias has no anchor defined before it', node.range?.[0] ?? 0);
        return visit.BREAK;
      },
      // A mapping or sequence as a key (`? [a, b]`) has no JSON spelling: Kubernetes' YAML decoding refuses it,
      // where the library would turn it into a string and warn.
      Pair(_, pair) {
        if (!isCollection(pair.key)) return undefined;
        refused = at('a mapping key must be a string, number or boolean, not a mapping or sequence', pair.key.range?.[0] ?? 0);
        return visit.BREAK;
      },
    });
    if (refused !== undefined) return { errors: [refused] };
    try {
      return { value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
    } catch (e) {
      return { errors: [at((e as Error).message, doc.contents?.range?.[0] ?? 0)] };
    }
  });
}

/**
 * The first key that repeats within one object of a JSON text JSON.parse accepted (JSON.parse keeps the last
 * silently; the API server's strict decoding refuses it).
 */
export function duplicateJsonKey(text: string): { key: string; offset: number } | undefined {
  const objects: (Set<string> | undefined)[] = []; // undefined for an array
  let keyNext = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let end = text.indexOf('"', i + 1);
      for (;;) {
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === 0x5c) slashes++;
        if (slashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      const keys = objects[objects.length - 1];
      if (keyNext && keys) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (keys.has(key)) return { key, offset: i };
        keys.add(key);
        keyNext = false;
      }
      i = end;
    } else if (c === 0x7b) {
      objects.push(new Set());
      keyNext = true;
    } else if (c === 0x5b) objects.push(undefined);
    else if (c === 0x7d || c === 0x5d) objects.pop();
    else if (c === 0x2c) keyNext = objects[objects.length - 1] !== undefined;
  }
  return undefined;
}

/** Expands `List` (and `PodList`, `NodeList`, …) objects into their items; anything else must be an object. */
function collect(value: unknown, loc: ObjectLocation, out: RawObject[], diags: Diagnostic[]): void {
  if (value === null || value === undefined) return; // an empty document
  if (!isPlainObject(value)) {
    diags.push({ severity: 'error', ...Msg.notAnObject(), at: { loc } });
    return;
  }
  const kind = value['kind'];
  if (typeof kind === 'string' && /List$/.test(kind) && Array.isArray(value['items'])) {
    (value['items'] as unknown[]).forEach((item, i) => {
      if (item === null || item === undefined) diags.push({ severity: 'error', ...Msg.notAnObject(), at: { loc: { ...loc, path: [...loc.path, 'items', i] } } });
      else collect(item, { ...loc, path: [...loc.path, 'items', i] }, out, diags);
    });
    return;
  }
  out.push({ value, loc });
}

/** Reads a JSON text; false when it is not JSON after all (text that merely starts like JSON may be YAML). */
function readJson(name: string, text: string, objects: RawObject[], diagnostics: Diagnostic[]): boolean {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const at = /at position (\d+)/.exec(message);
    // Only a .json file must be JSON; without a position from JSON.parse, the YAML parser gives one.
    if (!at || !/\.json$/i.test(name)) return false;
    const why = message.replace(/ in JSON at position \d+.*$/, '');
    diagnostics.push({ severity: 'error', ...Msg.syntax(why), pos: { file: name, ...positionAt(text, Number(at[1])) } });
    return true;
  }
  const dup = duplicateJsonKey(text);
  if (dup) {
    diagnostics.push({ severity: 'error', ...Msg.syntax(`duplicate key ${JSON.stringify(dup.key)}`), pos: { file: name, ...positionAt(text, dup.offset) } });
    return true;
  }
  collect(value, { file: name, doc: 0, path: [] }, objects, diagnostics);
  return true;
}

export function readSources(sources: readonly SourceText[]): ReadResult {
  const objects: RawObject[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const source of sources) {
    const text = withoutBom(source.text);
    if (looksLikeJson(source.name, text) && readJson(source.name, text, objects, diagnostics)) continue;
    readYamlDocuments(text).forEach((doc, index) => {
      if ('errors' in doc) {
        for (const e of doc.errors) diagnostics.push({ severity: 'error', ...Msg.syntax(e.message), pos: { file: source.name, line: e.line, col: e.col } });
      } else collect(doc.value, { file: source.name, doc: index, path: [] }, objects, diagnostics);
    });
  }
  return { objects, diagnostics };
}
