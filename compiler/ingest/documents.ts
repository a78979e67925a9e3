/**
 * Turns source texts into raw Kubernetes objects, each with the place it came from. YAML (multi-document),
 * JSON, `List` objects and `kubectl get -o yaml|json` output are all accepted. Positions are not kept in memory:
 * an ObjectLocation is enough to find any field again when a diagnostic needs it (see positions.ts).
 */
import { parseAllDocuments } from 'yaml';
import type { Diagnostic, ObjectLocation } from '../diagnostics/diagnostic.js';
import { Msg } from '../diagnostics/messages.js';

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
const MAX_ALIAS_COUNT = 1000;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function looksLikeJson(source: SourceText): boolean {
  if (/\.json$/i.test(source.name)) return true;
  const first = source.text.trimStart()[0];
  return first === '{' || first === '[';
}

/** Expands `List` (and `PodList`, `NodeList`, …) objects and top-level JSON arrays into their items. */
function collect(value: unknown, loc: ObjectLocation, out: RawObject[], diags: Diagnostic[]): void {
  if (value === null || value === undefined) return; // an empty document
  if (Array.isArray(value)) {
    value.forEach((item, i) => collect(item, { ...loc, path: [...loc.path, i] }, out, diags));
    return;
  }
  if (!isPlainObject(value)) {
    diags.push({ severity: 'error', ...Msg.notAnObject(), at: { loc } });
    return;
  }
  const kind = value['kind'];
  if (typeof kind === 'string' && /List$/.test(kind) && Array.isArray(value['items'])) {
    (value['items'] as unknown[]).forEach((item, i) =>
      collect(item, { ...loc, path: [...loc.path, 'items', i] }, out, diags),
    );
    return;
  }
  out.push({ value, loc });
}

export function readSources(sources: readonly SourceText[]): ReadResult {
  const objects: RawObject[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const source of sources) {
    if (looksLikeJson(source)) {
      let value: unknown;
      try {
        value = JSON.parse(source.text);
      } catch (e) {
        const message = (e as Error).message;
        const at = /at position (\d+)/.exec(message);
        // Only a .json file must be JSON; other text that merely starts like JSON may be YAML flow style.
        if (at && /\.json$/i.test(source.name)) {
          const before = source.text.slice(0, Number(at[1]));
          const line = before.split('\n').length;
          const col = Number(at[1]) - before.lastIndexOf('\n');
          diagnostics.push({ severity: 'error', ...Msg.syntax(message.replace(/ in JSON at position \d+.*$/, '')), pos: { file: source.name, line, col } });
          continue;
        }
        // Without a position from JSON.parse, fall through: the YAML parser reads JSON too and gives one.
      }
      if (value !== undefined) {
        collect(value, { file: source.name, doc: 0, path: [] }, objects, diagnostics);
        continue;
      }
    }
    const docs = parseAllDocuments(source.text, { prettyErrors: false, uniqueKeys: true });
    const list = Array.isArray(docs) ? docs : [docs];
    list.forEach((doc, index) => {
      const errors = doc.errors;
      if (errors.length > 0) {
        for (const e of errors) {
          const lp = e.linePos?.[0];
          diagnostics.push({
            severity: 'error',
            ...Msg.syntax(e.message.split('\n')[0] ?? e.message),
            pos: { file: source.name, line: lp?.line ?? 1, col: lp?.col ?? 1 },
          });
        }
        return;
      }
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      } catch (e) {
        const start = doc.contents?.range?.[0] ?? 0;
        const line = source.text.slice(0, start).split('\n').length;
        diagnostics.push({ severity: 'error', ...Msg.syntax((e as Error).message), pos: { file: source.name, line, col: 1 } });
        return;
      }
      collect(value, { file: source.name, doc: index, path: [] }, objects, diagnostics);
    });
  }
  return { objects, diagnostics };
}
