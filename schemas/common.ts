/**
 * Building blocks shared by the schemas. Each schema is a TypeBox value: the same declaration is the JSON
 * Schema ajv validates with and, through `Static`, the TypeScript type the compiler reads. One source of truth.
 */
import { Type, type TSchema } from '@sinclair/typebox';

/** Kubernetes objects carry many fields dpc does not read; they are allowed and ignored. */
export const Open = { additionalProperties: true } as const;

/** RFC 1123 subdomain, as Kubernetes requires of most object names. Names also become file names in bundles. */
export const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** RFC 1123 label: Namespace names. */
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** Label keys: an optional DNS-subdomain prefix and a name of up to 63 characters. */
const LABEL_KEY = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';

export const LabelValue = Type.String({
  maxLength: 63,
  pattern: LABEL_VALUE,
  description: 'a label value (at most 63 letters, digits, "-", "_" or ".", starting and ending alphanumeric)',
});
export const Labels = Type.Record(Type.String({ pattern: LABEL_KEY, maxLength: 316, description: 'a label key' }), LabelValue, {
  description: 'label key to value',
});

export const ObjectMeta = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN, description: 'a lowercase RFC 1123 subdomain name' }),
    namespace: Type.Optional(Type.String({ minLength: 1, maxLength: 63, pattern: DNS_LABEL, description: 'a lowercase RFC 1123 label' })),
    uid: Type.Optional(Type.String()),
    labels: Type.Optional(Type.Union([Labels, Type.Null()])),
    annotations: Type.Optional(Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()])),
  },
  Open,
);

/** The envelope every input object has, with `spec`/`status` typed per kind. */
export function KubeObject<S extends TSchema>(apiVersion: string, kind: string, body: S) {
  return Type.Intersect([
    Type.Object(
      {
        apiVersion: Type.Literal(apiVersion),
        kind: Type.Literal(kind),
        metadata: ObjectMeta,
      },
      Open,
    ),
    body,
  ]);
}

export const Protocol = Type.Union([Type.Literal('TCP'), Type.Literal('UDP'), Type.Literal('SCTP')]);

/** A port given as a number or as a name (IntOrString). */
export const IntOrString = Type.Union([Type.Integer(), Type.String({ minLength: 1 })]);
