/**
 * The Service CIDRs as Antrea's agent discovers them (pkg/agent/servicecidr): it never reads the API server's
 * configured range, it grows a CIDR per family from the ClusterIPs it sees, so the result is the longest common
 * prefix of every ClusterIP of that family. Egress uses it to keep Service traffic out of SNAT.
 */
import type { ClusterModel } from '../model/model.js';
import { compareIP, type Cidr, type Family, type IPAddr } from '../net/ip.js';

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

function commonPrefixLength(a: bigint, b: bigint, bits: number): number {
  let n = 0;
  for (let i = bits - 1; i >= 0 && ((a >> BigInt(i)) & 1n) === ((b >> BigInt(i)) & 1n); i--) n++;
  return n;
}

function mask(bits: number, prefix: number): bigint {
  return ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
}

/**
 * One CIDR per family that has ClusterIPs, IPv4 first. Antrea refuses to widen a CIDR to /0 and skips the
 * ClusterIP that would need it; which one that is depends on its informer's order, so dpc skips in address order.
 */
export function discoverServiceCIDRs(model: Pick<ClusterModel, 'services'>): Cidr[] {
  const ips: IPAddr[] = [];
  for (const svc of model.services.values()) ips.push(...svc.clusterIPs);
  ips.sort(compareIP);
  const out: Cidr[] = [];
  for (const family of [4, 6] as const) {
    const bits = BITS[family];
    let cur: Cidr | undefined;
    for (const ip of ips) {
      if (ip.family !== family) continue;
      if (!cur) {
        cur = { family, base: ip.value, prefix: bits };
        continue;
      }
      if ((ip.value & mask(bits, cur.prefix)) === cur.base) continue;
      const cpl = commonPrefixLength(cur.base, ip.value, bits);
      if (cpl === 0) continue;
      cur = { family, base: cur.base & mask(bits, cpl), prefix: cpl };
    }
    if (cur) out.push(cur);
  }
  return out;
}
