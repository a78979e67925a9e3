/**
 * What a Node's exporter knows about the cluster, read from its bundle: local Pods by address, Pod subnets and
 * gateways (to classify a connection as Antrea's findFlowType does), each local Pod's Egress, and rules.json to turn
 * the rule IDs in ct_label and packet-ins into policy names.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ExporterSettings {
  readonly node: string;
  readonly enabled: boolean;
  readonly collector: { readonly host: string; readonly port: number; readonly transport: 'tls' | 'tcp' | 'udp' | 'grpc' };
  readonly pollIntervalMs: number;
  readonly activeFlowExportTimeoutMs: number;
  readonly idleFlowExportTimeoutMs: number;
  readonly staleConnectionTimeoutMs: number;
  readonly protocols: readonly ('tcp' | 'udp' | 'sctp')[];
  readonly podSubnets: readonly { readonly node: string; readonly cidr: string; readonly gateway: string }[];
  readonly pods: readonly { readonly ip: string; readonly namespace: string; readonly name: string; readonly egress?: { name: string; ip: string; node: string } }[];
}

export interface RuleEntry {
  readonly id: number;
  readonly policy: { readonly type: string; readonly namespace?: string; readonly name: string };
  readonly rule?: string;
  readonly direction: 'Ingress' | 'Egress';
  readonly action: string;
  readonly table: string;
}

export interface PolicyMeta {
  readonly name: string;
  readonly namespace: string;
  /** 1 K8s NetworkPolicy, 2 Antrea NetworkPolicy, 3 Antrea ClusterNetworkPolicy (utils.PolicyTypeToUint8). */
  readonly type: number;
  readonly ruleName: string;
  /** 1 Allow, 2 Drop, 3 Reject. */
  readonly action: number;
}

export const FlowType = { unspecified: 0, intraNode: 1, interNode: 2, toExternal: 3, fromExternal: 4, unsupported: 255 } as const;
export const RuleAction = { none: 0, allow: 1, drop: 2, reject: 3 } as const;

const POLICY_TYPE: Readonly<Record<string, number>> = { K8sNetworkPolicy: 1, AntreaNetworkPolicy: 2, AntreaClusterNetworkPolicy: 3 };

interface Subnet {
  base: number;
  mask: number;
  gateway: string;
}

function ipv4(text: string): number | undefined {
  const p = text.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return undefined;
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

export class Naming {
  readonly settings: ExporterSettings;
  private readonly pods: Map<string, ExporterSettings['pods'][number]>;
  private readonly rules: Map<number, RuleEntry>;
  private readonly subnets: Subnet[];
  readonly gateways: ReadonlySet<string>;

  constructor(settings: ExporterSettings, rules: readonly RuleEntry[]) {
    this.settings = settings;
    this.pods = new Map(settings.pods.map((p) => [p.ip, p]));
    this.rules = new Map(rules.map((r) => [r.id, r]));
    this.subnets = settings.podSubnets.flatMap((s) => {
      const [addr, len] = s.cidr.split('/');
      const base = ipv4(addr ?? '');
      if (base === undefined) return [];
      const mask = Number(len) === 0 ? 0 : (~0 << (32 - Number(len))) >>> 0;
      return [{ base: (base & mask) >>> 0, mask, gateway: s.gateway }];
    });
    this.gateways = new Set(settings.podSubnets.map((s) => s.gateway));
  }

  static load(bundleDir: string, collector?: { host: string; port: number }): Naming {
    const read = JSON.parse(readFileSync(join(bundleDir, 'visibility/exporter.json'), 'utf8')) as ExporterSettings;
    const settings = collector ? { ...read, collector: { ...read.collector, ...collector } } : read;
    const rules = (JSON.parse(readFileSync(join(bundleDir, 'visibility/rules.json'), 'utf8')) as { rules: RuleEntry[] }).rules;
    return new Naming(settings, rules);
  }

  pod(ip: string): { namespace: string; name: string } | undefined {
    return this.pods.get(ip);
  }

  egressOf(ip: string): { name: string; ip: string; node: string } | undefined {
    return this.pods.get(ip)?.egress;
  }

  /** A rule ID from ct_label or a packet-in, as the exporter names it; action as the connection met it. */
  rule(id: number, action: number): PolicyMeta | undefined {
    const r = this.rules.get(id);
    if (!r) return undefined;
    return { name: r.policy.name, namespace: r.policy.namespace ?? '', type: POLICY_TYPE[r.policy.type] ?? 0, ruleName: r.rule ?? '', action };
  }

  private lookup(ip: string): { pod: boolean; gateway: boolean } {
    const v = ipv4(ip);
    if (v === undefined) return { pod: false, gateway: false };
    for (const s of this.subnets) if (((v & s.mask) >>> 0) === s.base) return { pod: true, gateway: s.gateway === ip };
    return { pod: false, gateway: false };
  }

  /** destination.go findFlowType, with the Pod subnets of the bundle in place of the Node route controller. */
  flowType(src: string, dst: string, sourcePodKnown: boolean, destinationPodKnown: boolean): number {
    const s = this.lookup(src);
    const d = this.lookup(dst);
    if (d.gateway) return FlowType.unsupported;
    if (s.gateway) return destinationPodKnown ? FlowType.interNode : FlowType.unsupported;
    if (!s.pod) return d.pod ? FlowType.fromExternal : FlowType.unsupported;
    if (!d.pod) return FlowType.toExternal;
    if (!sourcePodKnown || !destinationPodKnown) return FlowType.interNode;
    return FlowType.intraNode;
  }
}
