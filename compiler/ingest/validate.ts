/** Schema validation with ajv, turning ajv's errors into dpc diagnostics that name the field. */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { fieldPathText, type Diagnostic, type ObjectLocation } from '../diagnostics/diagnostic.js';
import { Msg } from '../diagnostics/messages.js';

const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
const compiled = new WeakMap<TSchema, ValidateFunction>();

function validatorFor(schema: TSchema): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

function pathOf(instancePath: string): (string | number)[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

/** A received value as a message quotes it: JSON, cut short when long. */
function received(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** One readable sentence per field: a union's failed alternatives are folded into "must be A or B". */
function describe(group: ErrorObject[]): string {
  const allowed = group.flatMap((e) =>
    e.keyword === 'const' ? [e.params['allowedValue']] : e.keyword === 'enum' ? (e.params['allowedValues'] as unknown[]) : [],
  );
  // Say what was received: a value the user mistyped is easier to find than a list of right ones.
  if (allowed.length > 0) {
    const got = received(group[0]!.data);
    const list = allowed.map((v) => JSON.stringify(v));
    return allowed.length === 1 ? `${got} is not ${list[0]}` : `${got} is not one of ${list.join(', ')}`;
  }
  const types = [...new Set(group.filter((e) => e.keyword === 'type').map((e) => String(e.params['type'])))];
  if (group.some((e) => e.keyword === 'anyOf') && types.length > 0) return `must be ${types.join(' or ')}`;
  const first = group.find((e) => e.keyword !== 'anyOf' && e.keyword !== 'allOf') ?? group[0]!;
  // Patterns are unreadable as messages; schemas describe what they accept instead.
  const described = (first.parentSchema as { description?: string } | undefined)?.description;
  if (first.keyword === 'pattern' && described) return `must be ${described}`;
  if (first.keyword === 'propertyNames') return 'has an invalid key';
  return first.message ?? 'is invalid';
}

export interface ObjectIdentity {
  kind: string;
  namespace?: string;
  name?: string;
}

export function validateAgainst(
  schema: TSchema,
  value: unknown,
  loc: ObjectLocation,
  object: ObjectIdentity,
  base: (string | number)[] = [],
): Diagnostic[] {
  const validate = validatorFor(schema);
  if (validate(value)) return [];
  const groups = new Map<string, ErrorObject[]>();
  for (const e of validate.errors ?? []) {
    // A missing required property is reported on the property itself, not on its parent.
    const path =
      e.keyword === 'required' ? `${e.instancePath}/${String(e.params['missingProperty'])}` : e.instancePath;
    const g = groups.get(path) ?? [];
    g.push(e);
    groups.set(path, g);
  }
  // A union that failed only because a branch failed deeper down says nothing new: report the deeper error.
  const unionOnly = (g: ErrorObject[]) => g.every((e) => e.keyword === 'anyOf' || e.keyword === 'type' || e.keyword === 'const');
  for (const [path, group] of [...groups]) {
    if (unionOnly(group) && [...groups.keys()].some((other) => other.startsWith(`${path}/`))) groups.delete(path);
  }
  const out: Diagnostic[] = [];
  for (const [path, group] of groups) {
    const field = [...base, ...pathOf(path)];
    const isRequired = group.some((e) => e.keyword === 'required');
    out.push({
      severity: 'error',
      ...Msg.schema(isRequired ? 'is required' : describe(group)),
      object,
      field: field.length > 0 ? fieldPathText(field) : undefined,
      at: { loc, field },
    });
  }
  return out;
}
