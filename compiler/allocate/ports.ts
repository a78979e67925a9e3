/**
 * Ports on a Node's bridge: the gateway, the tunnel and one port per Pod. Real values come from the Node's
 * NodeInventory; anything it leaves out is derived from names, so a bundle can be compiled without a cluster.
 * Derivation is hash-based: adding or removing a Pod never renumbers the other Pods (unless two hash to the
 * same ofport, which is resolved in a fixed order).
 */
import { createHash } from 'node:crypto';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { Msg } from '../diagnostics/messages.js';
import type { ClusterModel, NodeInfo, PodInfo } from '../model/model.js';

/** Reserved ofports since Antrea v2.0 (§7). */
export const TunnelOFPort = 32768;
export const GatewayOFPort = 32769;
export const UplinkOFPort = 32770;
export const HostInterfaceOFPort = 32771;
export const RESERVED_OFPORTS: ReadonlySet<number> = new Set([TunnelOFPort, GatewayOFPort, UplinkOFPort, HostInterfaceOFPort]);

export type PortSource = 'inventory' | 'derived';

export interface PodPort {
  pod: PodInfo;
  name: string;
  ofport: number;
  mac: string;
  source: PortSource;
}

export interface NodePorts {
  bridge: string;
  gateway: { name: string; ofport: number; mac: string; source: PortSource };
  tunnel: { name: string; ofport: number };
  /** Sorted by Pod key. */
  pods: readonly PodPort[];
}

/** Pods get ofports 1..32767, below Antrea's reserved range (fields.ts). */
const MAX_POD_OFPORT = 32767;

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** A locally administered unicast MAC derived from a name. */
export function derivedMac(scope: string): string {
  const b = digest(`dpc/mac/${scope}`);
  const bytes = [((b[0]! & 0xfe) | 0x02), b[1]!, b[2]!, b[3]!, b[4]!, b[5]!];
  return bytes.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/**
 * Antrea's Pod interface name: up to 8 characters of the Pod name (leading '-' removed), '-', and 6 hex digits of
 * a SHA-1. Antrea hashes the container ID, which a snapshot does not have; dpc hashes `namespace/name` instead.
 */
export function podInterfaceName(pod: PodInfo, salt = 0): string {
  const prefix = pod.name.length > 8 ? pod.name.slice(0, 8).replace(/^-+/, '') : pod.name;
  const key = salt === 0 ? `${pod.namespace}/${pod.name}` : `${pod.namespace}/${pod.name}#${salt}`;
  const hash = createHash('sha1').update(key).digest('hex').slice(0, 6);
  return `${prefix}-${hash}`;
}

function ofportHash(pod: PodInfo): number {
  return 1 + (digest(`dpc/ofport/${pod.key}`).readUInt32BE(0) % MAX_POD_OFPORT);
}

export function allocateNodePorts(model: ClusterModel, node: NodeInfo): { ports: NodePorts; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const inv = model.inventories.get(node.name);
  const spec = inv?.obj.spec;
  const invObject = { kind: 'NodeInventory', name: node.name };
  const pods = model.podsByNode.get(node.name) ?? [];
  const podByKey = new Map(pods.map((p) => [p.key, p]));

  const gateway = {
    name: spec?.gateway?.name ?? model.config.gatewayName,
    ofport: spec?.gateway?.ofport ?? GatewayOFPort,
    mac: (spec?.gateway?.mac ?? derivedMac(`gateway/${node.name}`)).toLowerCase(),
    source: (spec?.gateway?.mac ? 'inventory' : 'derived') as PortSource,
  };
  const tunnel = { name: spec?.tunnel?.name ?? model.config.tunnelName, ofport: spec?.tunnel?.ofport ?? TunnelOFPort };

  const usedPorts = new Map<number, string>([
    [tunnel.ofport, `tunnel port ${tunnel.name}`],
    [gateway.ofport, `gateway port ${gateway.name}`],
  ]);
  const usedNames = new Map<string, string>([
    [tunnel.name, 'the tunnel port'],
    [gateway.name, 'the gateway port'],
  ]);
  const fromInventory = new Map<string, { name?: string; ofport?: number; mac?: string }>();
  (spec?.pods ?? []).forEach((p, i) => {
    const key = `${p.namespace}/${p.name}`;
    const at = { loc: inv!.loc, field: ['spec', 'pods', i] as (string | number)[] };
    if (!podByKey.has(key)) {
      diagnostics.push({ severity: 'error', ...Msg.inventoryUnknownPod(key), object: invObject, field: `spec.pods[${i}]`, at });
      return;
    }
    if (p.ofport !== undefined) {
      if (RESERVED_OFPORTS.has(p.ofport)) {
        diagnostics.push({ severity: 'error', ...Msg.reservedOfport(p.ofport), object: invObject, field: `spec.pods[${i}].ofport`, at });
        return;
      }
      const other = usedPorts.get(p.ofport);
      if (other) {
        diagnostics.push({ severity: 'error', ...Msg.ofportConflict(p.ofport, other), object: invObject, field: `spec.pods[${i}].ofport`, at });
        return;
      }
      usedPorts.set(p.ofport, `Pod ${key}`);
    }
    if (p.interface !== undefined) {
      const other = usedNames.get(p.interface);
      if (other) {
        diagnostics.push({ severity: 'error', ...Msg.portNameConflict(p.interface, other), object: invObject, field: `spec.pods[${i}].interface`, at });
        return;
      }
      usedNames.set(p.interface, `Pod ${key}`);
    }
    fromInventory.set(key, { name: p.interface, ofport: p.ofport, mac: p.mac?.toLowerCase() });
  });

  // Derived ofports: pods claim their hashed slot in (hash, key) order and probe upwards on a collision.
  const needPort = pods
    .filter((p) => fromInventory.get(p.key)?.ofport === undefined)
    .map((p) => ({ pod: p, h: ofportHash(p) }))
    .sort((a, b) => a.h - b.h || (a.pod.key < b.pod.key ? -1 : 1));
  const derivedPort = new Map<string, number>();
  for (const { pod, h } of needPort) {
    let port = h;
    while (usedPorts.has(port)) port = (port % MAX_POD_OFPORT) + 1;
    usedPorts.set(port, `Pod ${pod.key}`);
    derivedPort.set(pod.key, port);
  }

  const podPorts: PodPort[] = pods.map((pod) => {
    const given = fromInventory.get(pod.key);
    let name = given?.name;
    if (name === undefined) {
      for (let salt = 0; name === undefined || usedNames.has(name); salt++) name = podInterfaceName(pod, salt);
      usedNames.set(name, `Pod ${pod.key}`);
    }
    const complete = given?.ofport !== undefined && given.mac !== undefined && given.name !== undefined;
    return {
      pod,
      name,
      ofport: given?.ofport ?? derivedPort.get(pod.key)!,
      mac: given?.mac ?? derivedMac(`pod/${pod.key}`),
      source: complete ? 'inventory' : 'derived',
    };
  });
  return { ports: { bridge: spec?.bridge ?? model.config.bridge, gateway, tunnel, pods: podPorts }, diagnostics };
}
