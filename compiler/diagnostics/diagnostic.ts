/**
 * Diagnostics are data: every stage reports problems as records and never throws for bad input.
 * The CLI decides how to print them; the compiler only decides whether they stop the compile.
 */

export type Severity = 'error' | 'warning';

/** A position in an input file, 1-based like editors and compilers print it. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** The object a diagnostic is about, as a user would name it. */
export interface ObjectRef {
  kind: string;
  namespace?: string;
  name?: string;
}

export type FieldPath = readonly (string | number)[];

/** Where an object sits in the input: enough to find any of its fields again when a message needs a position. */
export interface ObjectLocation {
  file: string;
  /** Index of the YAML document within the file (0 for JSON). */
  doc: number;
  /** Path from the document root to the object (non-empty for items of a List). */
  path: FieldPath;
}

/** An input object with the place it came from. */
export interface Located<T> {
  obj: T;
  loc: ObjectLocation;
}

export interface Diagnostic {
  severity: Severity;
  /** Stable code from the catalogue in messages.ts (DPC1xxx ingest, 2xxx model, 3xxx resolve/allocate, 4xxx plan). */
  code: string;
  message: string;
  pos?: SourcePos;
  object?: ObjectRef;
  /** Dotted path of the offending field inside the object, e.g. `spec.podCIDR`. */
  field?: string;
  /** Other places involved, e.g. the first definition of a duplicate. */
  related?: { pos?: SourcePos; at?: SourceRef; message: string }[];
  /** Where to point, resolved to `pos` once, after all checks ran (positions.ts). */
  at?: SourceRef;
}

export interface SourceRef {
  loc: ObjectLocation;
  /** Path of the field inside the object; the object itself when absent. */
  field?: FieldPath;
  /**
   * For text embedded in a string field (the agent config inside the antrea-config ConfigMap): the 1-based
   * line and column inside that text. `field` then names the string field.
   */
  embedded?: { line: number; col: number };
}

/** `spec.containers[0].ports` from a field path. */
export function fieldPathText(path: FieldPath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

export function objectLabel(ref: ObjectRef): string {
  if (ref.name === undefined) return ref.kind;
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}

/** `FILE:LINE:COL: error: KIND NAMESPACE/NAME: FIELD: what is wrong` (docs/design.md §3a). */
export function formatDiagnostic(d: Diagnostic): string {
  const parts: string[] = [];
  if (d.pos) parts.push(`${d.pos.file}:${d.pos.line}:${d.pos.col}`);
  parts.push(d.severity);
  if (d.object) parts.push(objectLabel(d.object));
  if (d.field) parts.push(d.field);
  parts.push(`${d.message} [${d.code}]`);
  let text = parts.join(': ');
  for (const r of d.related ?? []) {
    text += `\n  ${r.pos ? `${r.pos.file}:${r.pos.line}:${r.pos.col}: ` : ''}note: ${r.message}`;
  }
  return text;
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

/** Order diagnostics by file position so output does not depend on the order checks ran in. */
export function sortDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  return [...diags].sort((a, b) => {
    const fa = a.pos?.file ?? '';
    const fb = b.pos?.file ?? '';
    if (fa !== fb) return fa < fb ? -1 : 1;
    const la = a.pos?.line ?? 0;
    const lb = b.pos?.line ?? 0;
    if (la !== lb) return la - lb;
    const ca = a.pos?.col ?? 0;
    const cb = b.pos?.col ?? 0;
    if (ca !== cb) return ca - cb;
    return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
  });
}
