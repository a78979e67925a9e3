/**
 * unknownSpecFields (warning): a field the kind's schema does not have, anywhere under `spec`, is named. The API
 * server accepts such an object and drops the field (its default field validation only warns), so dpc accepts it
 * too, but says so: a misspelt `podSelecter` would otherwise widen a rule without a word. Fields a kind has at
 * another place are errors of crdFieldPlacement instead (dpc).
 */
import type { TSchema } from '@sinclair/typebox';
import type { Diagnostic, FieldPath } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { NetworkPolicySpec } from '../../../schemas/networkPolicy.js';
import { AntreaPolicySpec, GroupSpec, TierSpec } from '../../../schemas/antreaPolicy.js';
import { refOf, report, type Located, type PolicyRule } from './context.js';
import type { ObjectRef } from '../../diagnostics/diagnostic.js';

/** Rule fields that belong to the other direction: crdFieldPlacement refuses them. */
const OTHER_DIRECTION = new Set(['from', 'to', 'toServices']);

interface SchemaNode {
  type?: string;
  properties?: Record<string, TSchema>;
  patternProperties?: Record<string, TSchema>;
  items?: TSchema;
  anyOf?: TSchema[];
}

function walk(schema: TSchema, value: unknown, path: FieldPath, found: (path: FieldPath) => void): void {
  const s = schema as SchemaNode;
  if (s.anyOf) {
    // Only object-valued members hold fields; the policy schemas have at most one such member per union.
    const member = s.anyOf.find((m) => (m as SchemaNode).type === (Array.isArray(value) ? 'array' : typeof value));
    if (member) walk(member, value, path, found);
    return;
  }
  if (s.type === 'array' && s.items && Array.isArray(value)) {
    value.forEach((v, i) => walk(s.items!, v, [...path, i], found));
    return;
  }
  if (s.type === 'object' && s.properties && !s.patternProperties && value && typeof value === 'object' && !Array.isArray(value)) {
    const isRule = 'action' in s.properties;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const child = s.properties[k];
      if (child) walk(child, v, [...path, k], found);
      else if (!(isRule && OTHER_DIRECTION.has(k))) found([...path, k]);
    }
  }
}

export const unknownSpecFields: PolicyRule = {
  name: 'unknownSpecFields',
  reference: 'dpc',
  check(ctx) {
    const out: Diagnostic[] = [];
    const visit = (src: Located<{ spec?: unknown }>, ref: ObjectRef, schema: TSchema) => {
      walk(schema, src.obj.spec, ['spec'], (path) => {
        out.push(report(src, ref, path, Msg.unknownField(String(path[path.length - 1])), { severity: 'warning' }));
      });
    };
    for (const s of ctx.objects.networkPolicies) visit(s, refOf('NetworkPolicy', s.obj, true), NetworkPolicySpec);
    for (const v of ctx.antreaPolicies) visit(v.src, v.ref, AntreaPolicySpec);
    for (const s of ctx.objects.tiers) visit(s, refOf('Tier', s.obj, false), TierSpec);
    for (const s of ctx.objects.clusterGroups) visit(s, refOf('ClusterGroup', s.obj, false), GroupSpec);
    for (const s of ctx.objects.groups) visit(s, refOf('Group', s.obj, true), GroupSpec);
    return out;
  },
};
