/**
 * trafficControlShape: what Antrea's TrafficControl CRD schema refuses and a JSON Schema cannot say by field
 * (reference/iptables-egress.md §6.6; there is no admission webhook). An object uses either the released shape
 * (targetPort, optional returnPort) or the proposal's (destination), never both; each port sets exactly one kind;
 * a return port is never ERSPAN and exists only for Redirect; remote IPs are addresses; selectors are ones
 * Kubernetes can evaluate (the agent cannot build a selector otherwise and never realizes the TrafficControl).
 */
import type { Diagnostic, FieldPath, ObjectRef } from '../../diagnostics/diagnostic.js';
import { fieldPathText } from '../../diagnostics/diagnostic.js';
import { Msg, type MessageText } from '../../diagnostics/messages.js';
import { parseIP } from '../../net/ip.js';
import type { TrafficControlObject, TrafficControlPort, TrafficDestination } from '../../../schemas/trafficControl.js';
import type { LabelSelector } from '../../../schemas/networkPolicy.js';
import type { Located } from './context.js';
import { labelValueProblem, qualifiedNameProblem } from './syntax.js';

export const TARGET_PORT_KINDS = ['ovsInternal', 'device', 'geneve', 'vxlan', 'gre', 'erspan'] as const;
export const RETURN_PORT_KINDS = ['ovsInternal', 'device', 'geneve', 'vxlan', 'gre'] as const;
const DESTINATION_KINDS = ['port', 'vxlan', 'geneve', 'gre', 'erspan'] as const;
const MAX_VNI = 16777215;

export interface TrafficControlCheck {
  accepted: Located<TrafficControlObject>[];
  diagnostics: Diagnostic[];
}

function selectorProblems(sel: LabelSelector | undefined, path: FieldPath, err: (f: FieldPath, m: MessageText) => void): void {
  if (!sel) return;
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
    const kp = qualifiedNameProblem(key);
    if (kp) err([...path, 'matchLabels', key], Msg.labelKeyInvalid(key, kp));
    const vp = labelValueProblem(String(value));
    if (vp) err([...path, 'matchLabels', key], Msg.labelValueInvalid(String(value), vp));
  }
  (sel.matchExpressions ?? []).forEach((req, i) => {
    const rp = [...path, 'matchExpressions', i];
    const kp = qualifiedNameProblem(req.key);
    if (kp) err([...rp, 'key'], Msg.labelKeyInvalid(req.key, kp));
    const values = req.values ?? [];
    if ((req.operator === 'In' || req.operator === 'NotIn') && values.length === 0) err([...rp, 'values'], Msg.selectorValuesRequired(req.operator));
    if ((req.operator === 'Exists' || req.operator === 'DoesNotExist') && values.length > 0) err([...rp, 'values'], Msg.selectorValuesForbidden(req.operator));
    values.forEach((v, j) => {
      const vp = labelValueProblem(v);
      if (vp) err([...rp, 'values', j], Msg.labelValueInvalid(v, vp));
    });
  });
}

/** Exactly one of `kinds` is set; reports on the port itself when none is, on the second one when several are. */
function oneKind(port: Record<string, unknown>, kinds: readonly string[], path: FieldPath, err: (f: FieldPath, m: MessageText) => void): string | undefined {
  const set = kinds.filter((k) => port[k] !== undefined && port[k] !== null);
  if (set.length === 1) return set[0];
  err(set.length === 0 ? path : [...path, set[1]!], Msg.tcPortKinds(kinds.join(', '), set.length));
  return undefined;
}

function checkRemoteIP(tunnel: unknown, path: FieldPath, err: (f: FieldPath, m: MessageText) => void): void {
  const ip = (tunnel as { remoteIP?: unknown } | undefined)?.remoteIP;
  if (typeof ip === 'string' && !parseIP(ip)) err([...path, 'remoteIP'], Msg.tcRemoteIPInvalid(ip));
}

function checkReleasedPort(port: TrafficControlPort, kinds: readonly string[], path: FieldPath, err: (f: FieldPath, m: MessageText) => void): void {
  const kind = oneKind(port, kinds, path, err);
  if (kind && kind !== 'ovsInternal' && kind !== 'device') checkRemoteIP(port[kind as keyof TrafficControlPort], [...path, kind], err);
}

function checkDestination(d: TrafficDestination, redirect: boolean, path: FieldPath, err: (f: FieldPath, m: MessageText) => void): void {
  const kind = oneKind(d, DESTINATION_KINDS, path, err);
  if (!kind) return;
  if (kind === 'port') {
    if (d.port?.peerName !== undefined && !redirect) err([...path, 'port', 'peerName'], Msg.tcReturnWithMirror());
    return;
  }
  const tunnel = d[kind as 'vxlan' | 'geneve' | 'gre' | 'erspan']!;
  checkRemoteIP(tunnel, [...path, kind], err);
  if ((kind === 'vxlan' || kind === 'geneve') && tunnel.tunnelID !== undefined && tunnel.tunnelID > MAX_VNI) {
    err([...path, kind, 'tunnelID'], Msg.tcVniRange(tunnel.tunnelID));
  }
}

export function checkTrafficControls(list: readonly Located<TrafficControlObject>[]): TrafficControlCheck {
  const out: TrafficControlCheck = { accepted: [], diagnostics: [] };
  for (const src of list) {
    const { obj, loc } = src;
    const ref: ObjectRef = { kind: 'TrafficControl', name: obj.metadata.name };
    let refused = false;
    const err = (field: FieldPath, m: MessageText): void => {
      refused = true;
      out.diagnostics.push({ severity: 'error', ...m, object: ref, field: fieldPathText(field), at: { loc, field } });
    };
    const spec = obj.spec;
    const redirect = spec.action === 'Redirect';
    selectorProblems(spec.appliedTo.podSelector, ['spec', 'appliedTo', 'podSelector'], err);
    selectorProblems(spec.appliedTo.namespaceSelector, ['spec', 'appliedTo', 'namespaceSelector'], err);
    if (spec.destination !== undefined) {
      if (spec.targetPort !== undefined || spec.returnPort !== undefined) err(['spec', 'destination'], Msg.tcShapesMixed());
      else checkDestination(spec.destination, redirect, ['spec', 'destination'], err);
    } else if (spec.targetPort === undefined) {
      err(['spec', 'targetPort'], Msg.tcTargetMissing());
    } else {
      checkReleasedPort(spec.targetPort, TARGET_PORT_KINDS, ['spec', 'targetPort'], err);
      if (spec.returnPort !== undefined) {
        if (spec.returnPort.erspan !== undefined) err(['spec', 'returnPort', 'erspan'], Msg.tcReturnPortErspan());
        else checkReleasedPort(spec.returnPort, RETURN_PORT_KINDS, ['spec', 'returnPort'], err);
        if (!redirect) err(['spec', 'returnPort'], Msg.tcReturnWithMirror());
      }
    }
    if (!refused) out.accepted.push(src);
  }
  return out;
}
