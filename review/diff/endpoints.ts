/**
 * The endpoints of a connectivity diff, read from the compiled bundles: every Pod of every Node's inventory
 * (bundle.json), and the external address segments the policies name — the CIDRs of NetworkPolicy flows split
 * the IPv4 space into segments no flow tells apart, minus the Nodes' Pod CIDRs. Names follow netpol-analyzer:
 * `ns/name[Pod]`, `a.b.c.d-e.f.g.h[External]`.
 */
import { flowCookie } from './origins.js';
import type { BundleFiles, CompiledVersion } from './version.js';

export interface Endpoint {
  /** netpol-analyzer's peer string; the endpoint's identity across the two versions. */
  readonly key: string;
  readonly kind: 'Pod' | 'External';
  readonly ip: string;
  readonly node?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly ofport?: number;
  readonly mac?: string;
}

interface BundleMeta {
  node: { name: string; podCIDR?: string };
  inventory?: { pods?: { namespace: string; name: string; ofport: number; mac: string; ip?: string }[] };
}

export function bundleMeta(files: BundleFiles): BundleMeta | undefined {
  const t = files.get('bundle.json');
  return t ? (JSON.parse(t) as BundleMeta) : undefined;
}

export const ipToInt = (ip: string): number => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
export const intToIp = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;

/** [first, last] addresses of an IPv4 CIDR (or a bare address). */
export function cidrRange(cidr: string): [number, number] | undefined {
  const [ip, len] = cidr.split('/');
  if (!ip || !IPV4.test(ip)) return undefined;
  const bits = len === undefined ? 32 : Number(len);
  const size = 2 ** (32 - bits);
  const first = Math.floor(ipToInt(ip) / size) * size;
  return [first, first + size - 1];
}

export function podsOf(version: CompiledVersion): Endpoint[] {
  const out: Endpoint[] = [];
  for (const [node, files] of version.nodes) {
    for (const p of bundleMeta(files)?.inventory?.pods ?? []) {
      if (!p.ip || !IPV4.test(p.ip)) continue;
      out.push({ key: `${p.namespace}/${p.name}[Pod]`, kind: 'Pod', ip: p.ip, node, namespace: p.namespace, name: p.name, ofport: p.ofport, mac: p.mac });
    }
  }
  return out;
}

const CIDR_FIELD = /\bnw_(?:src|dst)=(\d+\.\d+\.\d+\.\d+(?:\/\d+)?)/g;

/** CIDRs (not single addresses) that NetworkPolicy flows match on: the ipBlocks as compiled. */
export function policyCidrs(version: CompiledVersion): Set<string> {
  const out = new Set<string>();
  for (const files of version.nodes.values()) {
    const flows = files.get('openflow/flows.txt') ?? '';
    for (const line of flows.split('\n')) {
      if (!line.includes('/') || flowCookie(line)?.category !== 2) continue;
      for (const m of line.matchAll(CIDR_FIELD)) if (m[1]!.includes('/')) out.add(m[1]!);
    }
  }
  return out;
}

/**
 * Segments of the IPv4 space cut by the given CIDRs. A segment is named by its whole range, as netpol-analyzer
 * names an IP block; its probe address is its first one outside every Pod CIDR (a segment inside Pod CIDRs only
 * is Pod traffic, not external, and is left out).
 */
export function externalSegments(cidrs: Iterable<string>, podCidrs: Iterable<string>): Endpoint[] {
  const cuts = new Set<number>([0, 2 ** 32]);
  for (const c of cidrs) {
    const r = cidrRange(c);
    if (r) cuts.add(r[0]).add(r[1] + 1);
  }
  const holes = [...podCidrs].map(cidrRange).filter((r): r is [number, number] => !!r).sort((a, b) => a[0] - b[0]);
  const sorted = [...cuts].sort((a, b) => a - b);
  const out: Endpoint[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const [a, b] = [sorted[i]!, sorted[i + 1]! - 1];
    // 0.0.0.0 is no host's address; the probe starts past it.
    let probe = a === 0 ? 1 : a;
    for (const h of holes) if (probe >= h[0] && probe <= h[1]) probe = h[1] + 1;
    if (probe > b) continue;
    out.push({ key: `${intToIp(a)}-${intToIp(b)}[External]`, kind: 'External', ip: intToIp(probe) });
  }
  return out;
}

export function podCidrsOf(version: CompiledVersion): string[] {
  return [...version.nodes.values()].map((f) => bundleMeta(f)?.node.podCIDR).filter((c): c is string => !!c);
}
