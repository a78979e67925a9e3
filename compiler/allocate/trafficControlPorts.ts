/**
 * The OVS ports TrafficControls send to and take packets back from. Names are Antrea's (controller.go
 * getPortName): an internal port or device keeps its name; a tunnel is `<kind>-` and 6 hex digits of a SHA-1 over
 * the remote IP's 16-byte form and the tunnel's settings as big-endian int32s (reference/ovs-pipeline.md §5.3).
 * Antrea creates every TrafficControl's ports on every Node, whether or not a local Pod is selected, and one port
 * serves every TrafficControl that names it.
 *
 * Antrea lets OVS pick these ofports. A bundle's flows need them before the ports exist, so dpc requests each one
 * explicitly (ofport_request): the Node's NodeInventory gives it (`spec.trafficControlPorts`), or it is derived
 * from the port's name above Antrea's reserved ofports, where Pod ports never are; bundle.json says which.
 */
import { createHash } from 'node:crypto';
import type { Diagnostic, FieldPath, SourceRef } from '../diagnostics/diagnostic.js';
import { fieldPathText } from '../diagnostics/diagnostic.js';
import { Msg } from '../diagnostics/messages.js';
import type { ClusterModel, NodeInfo } from '../model/model.js';
import type { TcPortSpec, TrafficControlInfo } from '../model/trafficControl.js';
import { parseIP } from '../net/ip.js';
import { RESERVED_OFPORTS, type NodePorts, type PortSource } from './ports.js';

/** Antrea's defaults when a UDP tunnel names no destination port (controller.go). */
const DEFAULT_DST_PORT = { vxlan: 4789, geneve: 6081 } as const;

/** One port, shared by every TrafficControl that names it. */
export interface TcPort {
  name: string;
  spec: TcPortSpec;
  /** TrafficControls using it, sorted. */
  usedBy: readonly string[];
  /** Some TrafficControl takes packets back from it: it gets a return classifier flow. */
  isReturn: boolean;
  /** Where the first TrafficControl using it declares it. */
  declaredAt: SourceRef;
}

export interface TcPortSet {
  /** Sorted by name. */
  ports: readonly TcPort[];
  /** TrafficControl name → its target and return port names. */
  byTc: ReadonlyMap<string, { target: string; return?: string }>;
}

export interface TcPortOnNode {
  port: TcPort;
  ofport: number;
  source: PortSource;
}

function ip16(text: string): Buffer {
  const ip = parseIP(text);
  if (!ip) throw new Error(`internal: remote IP ${text} passed ingest unparsed`);
  // Go's net.ParseIP gives the IPv4-mapped 16-byte form for IPv4 addresses too.
  const v = ip.family === 4 ? (0xffffn << 32n) | ip.value : ip.value;
  return Buffer.from(v.toString(16).padStart(32, '0'), 'hex');
}

function int32s(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  // Go writes int32 fields; a GRE key above 2^31 has the same four bytes as the uint32.
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, 4 * i));
  return b;
}

/** The OVS port name Antrea gives a TrafficControl port (or the name the proposal's shape gives it). */
export function tcPortName(spec: TcPortSpec): string {
  if (spec.kind === 'ovsInternal' || spec.kind === 'device') return spec.name;
  if (spec.name !== undefined) return spec.name;
  let fields: Buffer;
  switch (spec.kind) {
    case 'vxlan':
    case 'geneve':
      fields = int32s(spec.destinationPort ?? DEFAULT_DST_PORT[spec.kind], spec.vni ?? 0);
      break;
    case 'gre':
      fields = int32s(spec.key ?? 0);
      break;
    case 'erspan':
      fields = int32s(spec.sessionID ?? 0, spec.version, spec.index ?? 0, spec.dir ?? 0, spec.hardwareID ?? 0);
      break;
  }
  const hash = createHash('sha1').update(ip16(spec.remoteIP)).update(fields).digest('hex').slice(0, 6);
  return `${spec.kind}-${hash}`;
}

/** A port's configuration without its name, to tell "the same port again" from "another port, same name". */
function configKey(spec: TcPortSpec): string {
  const { name: _name, ...rest } = spec as TcPortSpec & { name?: string };
  return JSON.stringify(Object.keys(rest).sort().map((k) => [k, (rest as Record<string, unknown>)[k]]));
}

/** Every TrafficControl port of the compile, Node-independent; a name two TrafficControls configure differently is an error. */
export function collectTrafficControlPorts(tcs: readonly TrafficControlInfo[]): { ports: TcPortSet; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const found = new Map<string, { spec: TcPortSpec; key: string; usedBy: Set<string>; isReturn: boolean; first: string; at: SourceRef }>();
  const byTc = new Map<string, { target: string; return?: string }>();
  for (const tc of tcs) {
    const claim = (spec: TcPortSpec, field: FieldPath, isReturn: boolean): string | undefined => {
      const name = tcPortName(spec);
      const key = configKey(spec);
      const have = found.get(name);
      if (have && have.key !== key) {
        diagnostics.push({
          severity: 'error',
          ...Msg.tcPortConflict(name, `TrafficControl ${have.first}`),
          object: { kind: 'TrafficControl', name: tc.name },
          field: fieldPathText(field),
          at: { loc: tc.loc, field },
        });
        return undefined;
      }
      const entry = have ?? { spec, key, usedBy: new Set<string>(), isReturn: false, first: tc.name, at: { loc: tc.loc, field } };
      entry.usedBy.add(tc.name);
      entry.isReturn ||= isReturn;
      found.set(name, entry);
      return name;
    };
    const target = claim(tc.target, tc.targetField, false);
    const ret = tc.returnPort ? claim(tc.returnPort, tc.returnField!, true) : undefined;
    if (target !== undefined) byTc.set(tc.name, ret !== undefined ? { target, return: ret } : { target });
  }
  const ports = [...found.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, e]) => ({ name, spec: e.spec, usedBy: [...e.usedBy].sort(), isReturn: e.isReturn, declaredAt: e.at }));
  return { ports: { ports, byTc }, diagnostics };
}

const FIRST_DERIVED = Math.max(...RESERVED_OFPORTS) + 1;
const LAST_OFPORT = 65279;

function derivedOfport(name: string): number {
  const h = createHash('sha256').update(`dpc/ofport/trafficcontrol/${name}`).digest().readUInt32BE(0);
  return FIRST_DERIVED + (h % (LAST_OFPORT - FIRST_DERIVED + 1));
}

/** The TrafficControl ports on one Node, with their ofports: from the NodeInventory, else derived from the name. */
export function allocateTrafficControlPorts(
  model: ClusterModel,
  node: NodeInfo,
  set: TcPortSet,
  nodePorts: NodePorts,
): { ports: TcPortOnNode[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  if (set.ports.length === 0) return { ports: [], diagnostics };
  const inv = model.inventories.get(node.name);
  const invObject = { kind: 'NodeInventory', name: node.name };
  const usedPorts = new Map<number, string>([
    [nodePorts.tunnel.ofport, `tunnel port ${nodePorts.tunnel.name}`],
    [nodePorts.gateway.ofport, `gateway port ${nodePorts.gateway.name}`],
    ...nodePorts.pods.map((p): [number, string] => [p.ofport, `Pod ${p.pod.key}`]),
  ]);
  const usedNames = new Map<string, string>([
    [nodePorts.tunnel.name, 'the tunnel port'],
    [nodePorts.gateway.name, 'the gateway port'],
    ...nodePorts.pods.map((p): [string, string] => [p.name, `Pod ${p.pod.key}`]),
  ]);
  const wanted = new Set(set.ports.map((p) => p.name));
  const given = new Map<string, number>();
  (inv?.obj.spec.trafficControlPorts ?? []).forEach((p, i) => {
    const field = ['spec', 'trafficControlPorts', i];
    const at = { loc: inv!.loc, field };
    if (!wanted.has(p.name)) return; // a port of a TrafficControl this snapshot no longer has
    const clash = RESERVED_OFPORTS.has(p.ofport) ? Msg.reservedOfport(p.ofport) : usedPorts.has(p.ofport) ? Msg.ofportConflict(p.ofport, usedPorts.get(p.ofport)!) : undefined;
    if (clash) {
      diagnostics.push({ severity: 'error', ...clash, object: invObject, field: fieldPathText([...field, 'ofport']), at });
      return;
    }
    usedPorts.set(p.ofport, `TrafficControl port ${p.name}`);
    given.set(p.name, p.ofport);
  });
  const out: TcPortOnNode[] = [];
  // Derived ofports claim their hashed slot in (hash, name) order and probe upwards on a collision.
  const derive = set.ports
    .filter((p) => !given.has(p.name))
    .map((p) => ({ name: p.name, h: derivedOfport(p.name) }))
    .sort((a, b) => a.h - b.h || (a.name < b.name ? -1 : 1));
  const derived = new Map<string, number>();
  for (const { name, h } of derive) {
    let port = h;
    while (usedPorts.has(port)) port = port >= LAST_OFPORT ? FIRST_DERIVED : port + 1;
    usedPorts.set(port, `TrafficControl port ${name}`);
    derived.set(name, port);
  }
  for (const port of set.ports) {
    const other = usedNames.get(port.name);
    if (other) {
      diagnostics.push({
        severity: 'error',
        ...Msg.portNameConflict(port.name, `${other} on Node ${node.name}`),
        object: { kind: 'TrafficControl', name: port.usedBy[0]! },
        field: fieldPathText(port.declaredAt.field ?? []),
        at: port.declaredAt,
      });
      continue;
    }
    const ofport = given.get(port.name);
    out.push(ofport !== undefined ? { port, ofport, source: 'inventory' } : { port, ofport: derived.get(port.name)!, source: 'derived' });
  }
  return { ports: out, diagnostics };
}
