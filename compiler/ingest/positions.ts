/**
 * Finds line and column for diagnostics after the fact. Sources are parsed again only when a diagnostic
 * points into them, so a large clean snapshot never pays for position tracking.
 */
import { LineCounter, isMap, isSeq, isScalar, parseAllDocuments, type Node as YamlNode } from 'yaml';
import type { Diagnostic, SourcePos, SourceRef } from '../diagnostics/diagnostic.js';
import type { SourceText } from './documents.js';
import { withoutBom } from './encoding.js';

interface ParsedFile {
  docs: { contents: unknown }[];
  lines: LineCounter;
  text: string;
}

function childOf(node: unknown, key: string | number): unknown {
  if (isMap(node)) {
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? pair.key.value : pair.key;
      if (k === key || String(k) === String(key)) return pair.value ?? pair.key;
    }
    return undefined;
  }
  if (isSeq(node) && typeof key === 'number') return node.items[key];
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const r = (node as YamlNode | undefined)?.range;
  return r ? r[0] : undefined;
}

export function createPositionResolver(sources: readonly SourceText[]): (ref: SourceRef) => SourcePos {
  const byName = new Map(sources.map((s) => [s.name, s]));
  const cache = new Map<string, ParsedFile>();
  const parsed = (file: string): ParsedFile | undefined => {
    let p = cache.get(file);
    if (p) return p;
    const src = byName.get(file);
    if (!src) return undefined;
    const lines = new LineCounter();
    const text = withoutBom(src.text);
    const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false });
    p = { docs: Array.isArray(docs) ? docs : [docs], lines, text };
    cache.set(file, p);
    return p;
  };
  return (ref: SourceRef): SourcePos => {
    const file = ref.loc.file;
    const p = parsed(file);
    const doc = p?.docs[ref.loc.doc];
    if (!p || !doc) return { file, line: 1, col: 1 };
    // Walk as deep as the path exists; a missing field points at its closest existing parent.
    let node: unknown = doc.contents;
    let best = rangeStart(node) ?? 0;
    for (const key of [...ref.loc.path, ...(ref.field ?? [])]) {
      const next = childOf(node, key);
      if (next === undefined) break;
      node = next;
      best = rangeStart(node) ?? best;
    }
    const lp = p.lines.linePos(best);
    if (ref.embedded) {
      // A block scalar's text starts on the line after its indicator; columns shift by the block's indent.
      const line = lp.line + ref.embedded.line;
      const indent = /^\s*/.exec(p.text.split('\n')[line - 1] ?? '')?.[0].length ?? 0;
      return { file, line, col: indent + ref.embedded.col };
    }
    return { file, line: lp.line, col: lp.col };
  };
}

/** Line and column of a field inside a text embedded in another document (1-based). */
export function embeddedPosition(text: string, path: readonly (string | number)[]): { line: number; col: number } {
  const lines = new LineCounter();
  const doc = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false });
  const first = Array.isArray(doc) ? doc[0] : doc;
  let node: unknown = first?.contents;
  let best = rangeStart(node) ?? 0;
  for (const key of path) {
    const next = childOf(node, key);
    if (next === undefined) break;
    node = next;
    best = rangeStart(node) ?? best;
  }
  return lines.linePos(best);
}

/** Fills `pos` of every diagnostic (and related note) that carries an `at`. */
export function resolvePositions(diags: Diagnostic[], sources: readonly SourceText[]): Diagnostic[] {
  const resolve = createPositionResolver(sources);
  return diags.map((d) => {
    const { at, ...rest } = d;
    const out: Diagnostic = { ...rest };
    if (at && !out.pos) out.pos = resolve(at);
    if (d.related) out.related = d.related.map((r) => (r.at && !r.pos ? { pos: resolve(r.at), message: r.message } : r));
    return out;
  });
}
