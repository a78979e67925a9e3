/**
 * The `trace` check kind (conformance/README.md): the Traceflow observations `dpc explain` derives from the compiled
 * bundles (review/explain, the engine of the command), compared Node by Node with the case's, field by field as
 * Antrea's e2e compareObservations does. A `live: true` trace is also sent as a real packet through the loaded
 * switches, and the verdict it meets there must be the one the observations end with.
 */
import type { CompileResult } from '../../compiler/compile.js';
import type { SourceText } from '../../compiler/ingest/documents.js';
import { loadBundles, tracePacket, type Observation, type Trace } from '../../review/explain/trace.js';
import type { Cell, ProbeSpec, Verdict } from './cases.js';

export interface TraceCheck {
  kind: 'trace';
  label: string;
  probe: ProbeSpec;
  live: boolean;
  observations: { node: string; steps: Observation[] }[];
  /** For a live trace: the real packet, with the verdict the expected observations end with. */
  cell?: Cell;
}

type Fail = (where: string, message: string) => never;

/** The fields Antrea's test compares; a field the case leaves out must be empty. */
export const COMPARED = ['component', 'componentInfo', 'action', 'pod', 'srcPodIP', 'translatedDstIP', 'egress', 'egressIP', 'egressNode', 'networkPolicy', 'networkPolicyRule'] as const;

/** What a real packet meets when the observations end with `action`. */
const LIVE_VERDICT: Record<string, Verdict> = { Delivered: 'allow', Dropped: 'drop', Rejected: 'reject' };

export function parseTraceCheck(o: Record<string, unknown>, where: string, probe: ProbeSpec, label: string, fail: Fail): TraceCheck {
  for (const k of Object.keys(o)) {
    if (!['from', 'to', 'protocol', 'port', 'sourcePort', 'icmp', 'live', 'observations'].includes(k)) fail(`${where}.${k}`, 'unknown field');
  }
  if (typeof o['live'] !== 'boolean') fail(`${where}.live`, 'must be true or false');
  const raw = o['observations'];
  if (!Array.isArray(raw) || raw.length === 0) fail(`${where}.observations`, 'must list the Nodes, sender first');
  const observations = (raw as unknown[]).map((n, i) => {
    const at = `${where}.observations[${i}]`;
    if (typeof n !== 'object' || n === null) fail(at, 'must be a mapping');
    const node = (n as Record<string, unknown>)['node'];
    const steps = (n as Record<string, unknown>)['steps'];
    if (typeof node !== 'string') fail(`${at}.node`, 'must be a Node name');
    if (!Array.isArray(steps)) fail(`${at}.steps`, 'must be a list of observations');
    return {
      node: node as string,
      steps: (steps as unknown[]).map((s, j) => {
        if (typeof s !== 'object' || s === null) fail(`${at}.steps[${j}]`, 'must be a mapping');
        for (const [k, v] of Object.entries(s as object)) {
          if (!(COMPARED as readonly string[]).includes(k)) fail(`${at}.steps[${j}].${k}`, `is not one of ${COMPARED.join(', ')}`);
          if (typeof v !== 'string') fail(`${at}.steps[${j}].${k}`, 'must be a string');
        }
        if (typeof (s as Observation).component !== 'string' || typeof (s as Observation).action !== 'string') fail(`${at}.steps[${j}]`, 'needs component and action');
        return s as Observation;
      }),
    };
  });
  const check: TraceCheck = { kind: 'trace', label, probe, live: o['live'] as boolean, observations };
  if (check.live) {
    const last = observations.at(-1)!.steps.at(-1)?.action ?? '';
    const expected = LIVE_VERDICT[last];
    if (!expected) fail(`${where}.observations`, `a live trace is sent for real, so it must end Delivered, Dropped or Rejected (not ${last || 'nothing'})`);
    check.cell = { ...probe, expected };
  }
  return check;
}

function observationText(o: Observation): string {
  return COMPARED.filter((k) => o[k]).map((k) => `${k}=${o[k]}`).join(' ');
}

/** Runs one trace check on a step's compile; the lines report it. */
export function runTraceCheck(result: CompileResult, sources: readonly SourceText[], check: TraceCheck): { ok: boolean; lines: string[]; trace?: Trace } {
  const p = check.probe;
  let trace: Trace;
  try {
    trace = tracePacket(loadBundles(result, { sources }), {
      from: { pod: p.from },
      to: p.to,
      protocol: p.protocol,
      ...(p.port !== undefined ? { port: p.port } : {}),
      ...(p.sourcePort !== undefined ? { sourcePort: p.sourcePort } : {}),
      ...(p.icmp ? { icmp: p.icmp } : {}),
    });
  } catch (e) {
    return { ok: false, lines: [`dpc explain failed: ${(e as Error).message}`] };
  }
  const wrong: string[] = [];
  const got = trace.nodes.map((n) => ({ node: n.node, steps: n.observations }));
  if (got.length !== check.observations.length) wrong.push(`expected ${check.observations.length} Node(s) (${check.observations.map((n) => n.node).join(', ')}), got ${got.length} (${got.map((n) => n.node).join(', ')})`);
  check.observations.forEach((exp, i) => {
    const act = got[i];
    if (!act) return;
    if (act.node !== exp.node) wrong.push(`Node ${i + 1}: expected ${exp.node}, got ${act.node}`);
    const n = Math.max(exp.steps.length, act.steps.length);
    for (let j = 0; j < n; j++) {
      const e = exp.steps[j];
      const a = act.steps[j];
      const same = e && a && COMPARED.every((k) => (e[k] ?? '') === (a[k] ?? ''));
      if (!same) wrong.push(`${exp.node} step ${j + 1}: expected ${e ? observationText(e) : 'nothing'}, got ${a ? observationText(a) : 'nothing'}`);
    }
  });
  const lines = wrong.length ? wrong : [];
  if (wrong.length) {
    lines.push(`verdict: ${trace.verdict.summary}`);
    for (const n of got) lines.push(`${n.node}: ${n.steps.map(observationText).join(' | ')}`);
  }
  return { ok: wrong.length === 0, lines, trace };
}
