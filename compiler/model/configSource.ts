/**
 * The one config of a component (agent or controller) a snapshot may give: more than one is an error, and a
 * diagnostic about one of its fields points into it, whether it is a file of its own or a key of antrea-config.
 */
import type { Diagnostic, SourceRef } from '../diagnostics/diagnostic.js';
import type { MessageText } from '../diagnostics/messages.js';
import { embeddedPosition } from '../ingest/positions.js';
import type { LocatedConfig } from '../ingest/embeddedConfig.js';

export interface ConfigSource<T> {
  first: LocatedConfig<T> | undefined;
  /** The object a diagnostic names: the ConfigMap holding the config, or the config itself. */
  objectRef: { kind: string; name?: string };
  at: (...field: (string | number)[]) => SourceRef | undefined;
}

export function configSource<T>(
  sources: readonly LocatedConfig<T>[],
  kind: string,
  duplicate: MessageText,
  firstNote: string,
  diagnostics: Diagnostic[],
): ConfigSource<T> {
  const first = sources[0];
  for (const extra of sources.slice(1)) {
    diagnostics.push({
      severity: 'error',
      ...duplicate,
      object: { kind },
      at: { loc: extra.loc },
      related: first ? [{ at: { loc: first.loc }, message: firstNote }] : [],
    });
  }
  const objectRef = first?.embedded ? { kind: 'ConfigMap', name: 'antrea-config' } : { kind };
  const at = (...field: (string | number)[]): SourceRef | undefined => {
    if (!first) return undefined;
    if (!first.embedded) return { loc: first.loc, field };
    return { loc: first.loc, field: ['data', first.embedded.key], embedded: embeddedPosition(first.embedded.text, field) };
  };
  return { first, objectRef, at };
}
