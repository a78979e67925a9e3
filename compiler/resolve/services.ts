/**
 * Ports of a rule, as L4 matches. Named ports resolve per Pod (the destination Pod's container port of that
 * name and protocol), so one rule becomes one intent per distinct resolution, each with its own rule ID.
 */
import type { PodInfo } from '../model/model.js';
import type { Protocol, ServiceMatch } from './types.js';

export interface PortSpec {
  protocol?: string;
  port?: number | string;
  endPort?: number;
  sourcePort?: number;
  sourceEndPort?: number;
}

export interface IcmpSpec {
  icmpType?: number;
  icmpCode?: number;
}

export interface RulePorts {
  /** undefined: the rule matches every port and protocol. */
  fixed?: ServiceMatch[];
  /** Ports given by name; resolved against each destination Pod. */
  named: { name: string; protocol: Protocol; srcPort?: number; srcEndPort?: number }[];
}

export function rulePorts(ports: readonly PortSpec[] | undefined, icmp: readonly IcmpSpec[] = []): RulePorts {
  if ((!ports || ports.length === 0) && icmp.length === 0) return { named: [] };
  const fixed: ServiceMatch[] = [];
  const named: RulePorts['named'] = [];
  for (const p of ports ?? []) {
    const protocol = (p.protocol ?? 'TCP') as Protocol;
    const src: Partial<ServiceMatch> = {};
    if (p.sourcePort !== undefined) src.srcPort = p.sourcePort;
    if (p.sourceEndPort !== undefined) src.srcEndPort = p.sourceEndPort;
    if (typeof p.port === 'string') {
      named.push({ name: p.port, protocol, ...src });
      continue;
    }
    const m: ServiceMatch = { protocol, ...src };
    if (p.port !== undefined) m.port = p.port;
    if (p.port !== undefined && p.endPort !== undefined && p.endPort !== p.port) m.endPort = p.endPort;
    fixed.push(m);
  }
  for (const i of icmp) {
    const m: ServiceMatch = { protocol: 'ICMP' };
    if (i.icmpType !== undefined) m.icmpType = i.icmpType;
    if (i.icmpType !== undefined && i.icmpCode !== undefined) m.icmpCode = i.icmpCode;
    fixed.push(m);
  }
  return { fixed, named };
}

export function hasNamedPorts(p: RulePorts): boolean {
  return p.named.length > 0;
}

/** The matches a Pod's traffic is held to: the fixed ones plus each named port this Pod resolves. */
export function servicesFor(p: RulePorts, pod: PodInfo): ServiceMatch[] {
  const out = [...(p.fixed ?? [])];
  for (const n of p.named) {
    const c = pod.ports.find((x) => x.name === n.name && x.protocol === n.protocol);
    if (!c) continue;
    const m: ServiceMatch = { protocol: n.protocol, port: c.port };
    if (n.srcPort !== undefined) m.srcPort = n.srcPort;
    if (n.srcEndPort !== undefined) m.srcEndPort = n.srcEndPort;
    out.push(m);
  }
  return dedupeServices(out);
}

export function serviceKey(s: ServiceMatch): string {
  return [s.protocol, s.port ?? '', s.endPort ?? '', s.srcPort ?? '', s.srcEndPort ?? '', s.icmpType ?? '', s.icmpCode ?? ''].join(':');
}

export function dedupeServices(list: readonly ServiceMatch[]): ServiceMatch[] {
  const seen = new Map<string, ServiceMatch>();
  for (const s of list) seen.set(serviceKey(s), s);
  return [...seen.keys()].sort().map((k) => seen.get(k)!);
}

/**
 * Groups Pods by the services they resolve to. Rules without named ports give one group holding every Pod.
 * The group key is stable (the sorted service keys), so rule IDs derived from it survive unrelated changes.
 */
export function splitByServices(
  p: RulePorts,
  pods: readonly PodInfo[],
): { key: string; pods: readonly PodInfo[]; services: ServiceMatch[] | undefined }[] {
  // The selection's own array, not a copy: rules with the same Pods are then recognised by identity (allocate/sharedRules.ts).
  if (!hasNamedPorts(p)) return [{ key: '', pods, services: p.fixed }];
  const groups = new Map<string, { pods: PodInfo[]; services: ServiceMatch[] }>();
  for (const pod of pods) {
    const services = servicesFor(p, pod);
    const key = services.map(serviceKey).join(',');
    const g = groups.get(key) ?? { pods: [], services };
    g.pods.push(pod);
    groups.set(key, g);
  }
  return [...groups.keys()].sort().map((key) => ({ key: `ports=${key}`, ...groups.get(key)! }));
}
