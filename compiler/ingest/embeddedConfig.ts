/**
 * Antrea's component configs: the agent's and the controller's, each a YAML file of its own (antrea-agent.conf,
 * antrea-controller.conf) or a key of the antrea-config ConfigMap, whose value is that file's text. Reading the
 * text inside a ConfigMap and pointing diagnostics into it is the same for both.
 */
import { basename } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import type { Diagnostic, Located, ObjectLocation } from '../diagnostics/diagnostic.js';
import { Msg } from '../diagnostics/messages.js';
import type { ConfigMapObject } from '../../schemas/core.js';
import { CONTROLLER_CONFIG_KEYS, type ControllerConfig } from '../../schemas/controllerConfig.js';
import { validateAgainst, type ObjectIdentity } from './validate.js';
import { readYamlDocuments } from './documents.js';
import { embeddedPosition } from './positions.js';
import { appendAll } from '../util/append.js';

export const AGENT_CONFIG_KEY = 'antrea-agent.conf';
export const CONTROLLER_CONFIG_KEY = 'antrea-controller.conf';
/** The CNI network configuration list antrea-agent's install container writes to /etc/cni/net.d. */
export const CNI_CONFIG_KEY = 'antrea-cni.conflist';

/** A config, wherever it came from; for one inside a ConfigMap, the key and the text it came from. */
export interface LocatedConfig<T> extends Located<T> {
  embedded?: { key: string; text: string };
}
export type LocatedControllerConfig = LocatedConfig<ControllerConfig>;

/**
 * The config held under `key` of a ConfigMap, checked against `schema`; undefined (with diagnostics) when it
 * does not parse or validate. Positions point into the embedded text, not at the key that holds it.
 */
export function readEmbeddedConfig<T>(
  cm: { obj: ConfigMapObject; loc: ObjectLocation },
  key: string,
  schema: TSchema,
  diagnostics: Diagnostic[],
): LocatedConfig<T> | undefined {
  const text = cm.obj.data?.[key];
  const object: ObjectIdentity = { kind: 'ConfigMap', name: cm.obj.metadata.name, namespace: cm.obj.metadata.namespace };
  const field = ['data', key];
  if (text === undefined) {
    diagnostics.push({ severity: 'error', ...Msg.schema('is required'), object, field: `data.${key}`, at: { loc: cm.loc, field } });
    return undefined;
  }
  const doc = readYamlDocuments(text)[0] ?? { value: {} };
  if ('errors' in doc) {
    for (const e of doc.errors) {
      diagnostics.push({
        severity: 'error',
        ...Msg.syntax(e.message),
        object,
        field: `data.${key}`,
        at: { loc: cm.loc, field, embedded: { line: e.line, col: e.col } },
      });
    }
    return undefined;
  }
  const value = doc.value ?? {};
  const diags = validateAgainst(schema, value, cm.loc, object, field);
  if (diags.length > 0) {
    for (const d of diags) {
      const inner = d.at?.field?.slice(field.length) ?? [];
      if (d.at) d.at = { loc: cm.loc, field, embedded: embeddedPosition(text, inner) };
    }
    appendAll(diagnostics, diags);
    return undefined;
  }
  return { obj: value as T, loc: cm.loc, embedded: { key, text } };
}

/**
 * A document without apiVersion and kind is a standalone antrea-controller.conf when its file is named so (as
 * the chart mounts it; `antrea-controller.conf.yaml` too), or when it has a key only the controller's config has.
 */
export function isStandaloneControllerConfig(value: Record<string, unknown>, file: string): boolean {
  if ('apiVersion' in value || 'kind' in value) return false;
  return basename(file).startsWith(CONTROLLER_CONFIG_KEY) || CONTROLLER_CONFIG_KEYS.some((k) => k in value);
}
