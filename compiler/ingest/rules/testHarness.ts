/**
 * Test helper for the policy rules: compiles an inline YAML snapshot with ingest(), resolves positions, and
 * returns the policy diagnostics (DPC11xx/DPC12xx and schema errors of policy kinds). A line of the input that
 * ends in `#!` (or `#!label`) marks where an expected diagnostic must point.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { SourceText } from '../documents.js';
import { ingest, type IngestResult } from '../ingest.js';
import { resolvePositions } from '../positions.js';

export const INPUT = 'input.yaml';
export const PREVIOUS = 'previous.yaml';

const POLICY_KINDS = new Set(['NetworkPolicy', 'ClusterNetworkPolicy', 'Tier', 'ClusterGroup', 'Group', 'Egress', 'ExternalIPPool']);

export interface Run {
  result: IngestResult;
  /** Policy diagnostics, positions resolved. */
  diagnostics: Diagnostic[];
  /** 1-based line of each `#!label` marker of the input. */
  markers: Map<string, number>;
}

/** An agent config document turning the given feature gates on or off. */
export function agentConfig(gates: Record<string, boolean>): string {
  return `featureGates: ${JSON.stringify(gates)}\n`;
}

export function markersOf(text: string): Map<string, number> {
  const out = new Map<string, number>();
  text.split('\n').forEach((line, i) => {
    const m = /#!(\w*)\s*$/.exec(line);
    if (m) out.set(m[1] ?? '', i + 1);
  });
  return out;
}

export function run(yaml: string, previous?: string): Run {
  const sources: SourceText[] = [{ name: INPUT, text: yaml }];
  const prior: SourceText[] | undefined = previous === undefined ? undefined : [{ name: PREVIOUS, text: previous }];
  const result = ingest(sources, prior);
  const diagnostics = resolvePositions(result.diagnostics, sources).filter(
    (d) => /^DPC1[123]\d\d$/.test(d.code) || (d.code === 'DPC1006' && d.object && POLICY_KINDS.has(d.object.kind)),
  );
  return { result, diagnostics, markers: markersOf(yaml) };
}

export interface Expected {
  code: string;
  kind: string;
  name: string;
  namespace?: string;
  field?: string;
  severity?: 'error' | 'warning';
  /** The `#!label` marker of the line the diagnostic points at ('' for a bare `#!`). */
  at?: string;
}

/** A comparable digest of a diagnostic, in the terms of `Expected`. */
export function digest(d: Diagnostic): Record<string, unknown> {
  const out: Record<string, unknown> = { code: d.code, kind: d.object?.kind, name: d.object?.name, severity: d.severity };
  if (d.object?.namespace !== undefined) out['namespace'] = d.object.namespace;
  if (d.field !== undefined) out['field'] = d.field;
  if (d.pos) out['line'] = d.pos.line;
  return out;
}

export function expectedDigest(e: Expected, markers: Map<string, number>): Record<string, unknown> {
  const out: Record<string, unknown> = { code: e.code, kind: e.kind, name: e.name, severity: e.severity ?? 'error' };
  if (e.namespace !== undefined) out['namespace'] = e.namespace;
  if (e.field !== undefined) out['field'] = e.field;
  const line = markers.get(e.at ?? '');
  if (line === undefined) throw new Error(`test input has no #!${e.at ?? ''} marker`);
  out['line'] = line;
  return out;
}

const key = (d: Record<string, unknown>) => JSON.stringify(d);

/** Sorted, so that tests do not depend on the order rules report in. */
export function sortDigests(list: Record<string, unknown>[]): Record<string, unknown>[] {
  return [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
