/**
 * TrafficControl in one model, whichever shape the object was written in (schemas/trafficControl.ts). The
 * released shape maps field for field; the proposal's `destination` maps as its text describes it: `name` is the
 * OVS port's name for every kind, `port.internal` chooses an internal port over an existing device, `peerName` is
 * the device packets come back from (a return port), and `tunnelID` is the VNI, the GRE key or the ERSPAN session.
 */
import type { FieldPath, ObjectLocation } from '../diagnostics/diagnostic.js';
import type { LabelSelector } from '../../schemas/networkPolicy.js';
import type { TrafficControlObject, TrafficControlPort, TrafficDestination } from '../../schemas/trafficControl.js';

interface Tunnel {
  remoteIP: string;
  /** An OVS port name the input gives; Antrea's hashed name otherwise (allocate/trafficControlPorts.ts). */
  name?: string;
}

export type TcPortSpec =
  | { kind: 'ovsInternal' | 'device'; name: string }
  | (Tunnel & { kind: 'vxlan' | 'geneve'; destinationPort?: number; vni?: number })
  | (Tunnel & { kind: 'gre'; key?: number })
  | (Tunnel & { kind: 'erspan'; version: 1 | 2; sessionID?: number; index?: number; dir?: number; hardwareID?: number });

export type TcDirection = 'Ingress' | 'Egress' | 'Both';
export type TcAction = 'Mirror' | 'Redirect';

export interface TrafficControlInfo {
  name: string;
  appliedTo: { podSelector?: LabelSelector; namespaceSelector?: LabelSelector };
  direction: TcDirection;
  action: TcAction;
  target: TcPortSpec;
  returnPort?: TcPortSpec;
  shape: 'released' | 'proposal';
  /** metadata.creationTimestamp as written (RFC 3339), when given: the first TrafficControl created claims a Pod. */
  createdAt?: string;
  loc: ObjectLocation;
  /** Where the target and the return port are written, for messages about them. */
  targetField: FieldPath;
  returnField?: FieldPath;
}

const opt = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

type ErspanInput = { remoteIP: string; version: 1 | 2; index?: number; dir?: number; hardwareID?: number };

function erspanSpec(e: ErspanInput, sessionID: number | undefined, name?: string): TcPortSpec {
  return {
    kind: 'erspan',
    remoteIP: e.remoteIP,
    version: e.version,
    ...opt('name', name),
    ...opt('sessionID', sessionID),
    ...opt('index', e.index),
    ...opt('dir', e.dir),
    ...opt('hardwareID', e.hardwareID),
  };
}

function releasedPort(p: TrafficControlPort): TcPortSpec {
  if (p.ovsInternal) return { kind: 'ovsInternal', name: p.ovsInternal.name };
  if (p.device) return { kind: 'device', name: p.device.name };
  for (const kind of ['geneve', 'vxlan'] as const) {
    const t = p[kind];
    if (t) return { kind, remoteIP: t.remoteIP, ...opt('destinationPort', t.destinationPort), ...opt('vni', t.vni) };
  }
  if (p.gre) return { kind: 'gre', remoteIP: p.gre.remoteIP, ...opt('key', p.gre.key) };
  return erspanSpec(p.erspan!, p.erspan!.sessionID);
}

function destinationPorts(d: TrafficDestination): { target: TcPortSpec; returnPort?: TcPortSpec } {
  const name = d.name;
  if (d.port) {
    const target: TcPortSpec = { kind: d.port.internal ? 'ovsInternal' : 'device', name };
    return d.port.peerName ? { target, returnPort: { kind: 'device', name: d.port.peerName } } : { target };
  }
  for (const kind of ['geneve', 'vxlan'] as const) {
    const t = d[kind];
    if (t) return { target: { kind, name, remoteIP: t.remoteIP, ...opt('vni', t.tunnelID) } };
  }
  if (d.gre) return { target: { kind: 'gre', name, remoteIP: d.gre.remoteIP, ...opt('key', d.gre.tunnelID) } };
  return { target: erspanSpec(d.erspan!, d.erspan!.tunnelID, name) };
}

/** One TrafficControl that passed ingest's shape rule, in the model's terms. */
export function normalizeTrafficControl(obj: TrafficControlObject, loc: ObjectLocation): TrafficControlInfo {
  const spec = obj.spec;
  const created = (obj.metadata as { creationTimestamp?: unknown }).creationTimestamp;
  const base = {
    name: obj.metadata.name,
    appliedTo: {
      ...opt('podSelector', spec.appliedTo.podSelector ?? undefined),
      ...opt('namespaceSelector', spec.appliedTo.namespaceSelector ?? undefined),
    },
    direction: spec.direction,
    action: spec.action,
    loc,
    ...opt('createdAt', typeof created === 'string' && created !== '' ? created : undefined),
  };
  if (spec.destination) {
    const ports = destinationPorts(spec.destination);
    const field: FieldPath = ['spec', 'destination'];
    return {
      ...base,
      shape: 'proposal',
      target: ports.target,
      targetField: field,
      ...(ports.returnPort ? { returnPort: ports.returnPort, returnField: [...field, 'port', 'peerName'] } : {}),
    };
  }
  return {
    ...base,
    shape: 'released',
    target: releasedPort(spec.targetPort!),
    targetField: ['spec', 'targetPort'],
    ...(spec.returnPort ? { returnPort: releasedPort(spec.returnPort), returnField: ['spec', 'returnPort'] } : {}),
  };
}
