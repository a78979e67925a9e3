/**
 * IP addresses and CIDRs as plain values. IPv4 and IPv6 share one representation (a bigint plus the family)
 * so CIDR arithmetic, such as ipBlock `except`, is written once.
 */

export type Family = 4 | 6;

export interface IPAddr {
  family: Family;
  value: bigint;
}

export interface Cidr {
  family: Family;
  /** Network address, host bits cleared. */
  base: bigint;
  prefix: number;
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

export function parseIPv4(text: string): IPAddr | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return { family: 4, value: v };
}

export function parseIPv6(text: string): IPAddr | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return undefined;
  let head = text;
  let tail = '';
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    if (text.indexOf('::', dbl + 1) >= 0) return undefined;
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
  }
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const items = s.split(':');
    for (let i = 0; i < items.length; i++) {
      const g = items[i]!;
      if (g.includes('.')) {
        // An embedded IPv4 address may only end the address.
        if (i !== items.length - 1) return undefined;
        const v4 = parseIPv4(g);
        if (!v4) return undefined;
        out.push(Number(v4.value >> 16n), Number(v4.value & 0xffffn));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const h = groups(head);
  const t = groups(tail);
  if (!h || !t) return undefined;
  const missing = 8 - h.length - t.length;
  if (dbl >= 0 ? missing < 1 : missing !== 0) return undefined;
  const all = [...h, ...new Array<number>(missing).fill(0), ...t];
  let v = 0n;
  for (const g of all) v = (v << 16n) | BigInt(g);
  return { family: 6, value: v };
}

export function parseIP(text: string): IPAddr | undefined {
  if (typeof text !== 'string') return undefined;
  return text.includes(':') ? parseIPv6(text) : parseIPv4(text);
}

export function formatIP(ip: IPAddr): string {
  if (ip.family === 4) {
    const n = Number(ip.value);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run (of at least two) of zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function mask(family: Family, prefix: number): bigint {
  const bits = BITS[family];
  return ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
}

/** Parses `a.b.c.d/n` or `x::/n`. With `strict`, host bits must be zero (as Kubernetes requires of ipBlock). */
export function parseCidr(text: string, strict = false): Cidr | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIP(text.slice(0, slash));
  const p = text.slice(slash + 1);
  if (!ip || !/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
  const prefix = Number(p);
  if (prefix > BITS[ip.family]) return undefined;
  const base = ip.value & mask(ip.family, prefix);
  if (strict && base !== ip.value) return undefined;
  return { family: ip.family, base, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIP({ family: c.family, value: c.base })}/${c.prefix}`;
}

export function hostCidr(ip: IPAddr): Cidr {
  return { family: ip.family, base: ip.value, prefix: BITS[ip.family] };
}

export function cidrContains(c: Cidr, ip: IPAddr): boolean {
  return c.family === ip.family && (ip.value & mask(c.family, c.prefix)) === c.base;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const p = Math.min(a.prefix, b.prefix);
  const m = mask(a.family, p);
  return (a.base & m) === (b.base & m);
}

/** The address right after the network address: Antrea's gateway IP for a Pod CIDR. */
export function firstHost(c: Cidr): IPAddr {
  return { family: c.family, value: c.base + 1n };
}


export function compareIP(a: IPAddr, b: IPAddr): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

export function compareCidr(a: Cidr, b: Cidr): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.base !== b.base) return a.base < b.base ? -1 : 1;
  return a.prefix - b.prefix;
}

/**
 * `c` minus every CIDR in `holes`, as the smallest list of CIDRs (Antrea's ip.DiffFromCIDRs gives the same set).
 * Works by splitting `c` in halves until each half is either clear of every hole or inside one.
 */
export function cidrDifference(c: Cidr, holes: readonly Cidr[]): Cidr[] {
  const relevant = holes.filter((h) => cidrsOverlap(c, h));
  if (relevant.length === 0) return [c];
  if (relevant.some((h) => h.prefix <= c.prefix)) return [];
  const bits = BITS[c.family];
  const child = c.prefix + 1;
  const lo: Cidr = { family: c.family, base: c.base, prefix: child };
  const hi: Cidr = { family: c.family, base: c.base | (1n << BigInt(bits - child)), prefix: child };
  return [...cidrDifference(lo, relevant), ...cidrDifference(hi, relevant)];
}

/** ovs-ofctl spelling: a full-length prefix prints as the bare address, `0.0.0.0/0` as no match at all. */
export function isHostCidr(c: Cidr): boolean {
  return c.prefix === BITS[c.family];
}

