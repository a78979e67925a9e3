/**
 * Connection sets in np-guard/netpol-analyzer's notation, so dpc's diff and the analyzer's compare line by line:
 * "All Connections", "No Connections", else "PROTO ranges" joined by commas, protocols in string order
 * ("TCP 80,UDP 53-60"). A set is built from the verdicts of one probe per port class, so it is exact for the
 * classes the compiled flows create and never guesses between two boundaries.
 */

export const PORT_PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
export type PortProtocol = (typeof PORT_PROTOCOLS)[number];
/** ICMP has no ports: a set holds it or not. */
export type Protocol = PortProtocol | 'ICMP';
export const PROTOCOLS: readonly Protocol[] = ['ICMP', ...PORT_PROTOCOLS];

export const MIN_PORT = 1;
export const MAX_PORT = 65535;

/** Inclusive [start, end]. */
export type Range = readonly [number, number];

export interface ConnectionSet {
  /** Per port protocol, sorted disjoint non-adjacent ranges; absent or empty = none. */
  readonly ports: ReadonlyMap<PortProtocol, readonly Range[]>;
  readonly icmp: boolean;
}

export const NO_CONNECTIONS: ConnectionSet = { ports: new Map(), icmp: false };
export const ALL_CONNECTIONS: ConnectionSet = {
  ports: new Map(PORT_PROTOCOLS.map((p) => [p, [[MIN_PORT, MAX_PORT] as Range]])),
  icmp: true,
};

/** Sorted, merged (touching ranges join): the canonical form every comparison relies on. */
export function normalizeRanges(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].filter(([a, b]) => a <= b).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

export function connectionSet(ports: Partial<Record<PortProtocol, readonly Range[]>>, icmp = false): ConnectionSet {
  const map = new Map<PortProtocol, readonly Range[]>();
  for (const p of PORT_PROTOCOLS) {
    const r = normalizeRanges(ports[p] ?? []);
    if (r.length > 0) map.set(p, r);
  }
  return { ports: map, icmp };
}

export function union(a: ConnectionSet, b: ConnectionSet): ConnectionSet {
  const ports: Partial<Record<PortProtocol, Range[]>> = {};
  for (const p of PORT_PROTOCOLS) ports[p] = [...(a.ports.get(p) ?? []), ...(b.ports.get(p) ?? [])];
  return connectionSet(ports, a.icmp || b.icmp);
}

export function isEmpty(c: ConnectionSet): boolean {
  return !c.icmp && PORT_PROTOCOLS.every((p) => (c.ports.get(p) ?? []).length === 0);
}

export function isAll(c: ConnectionSet): boolean {
  return c.icmp && PORT_PROTOCOLS.every((p) => {
    const r = c.ports.get(p) ?? [];
    return r.length === 1 && r[0]![0] === MIN_PORT && r[0]![1] === MAX_PORT;
  });
}

export function equal(a: ConnectionSet, b: ConnectionSet): boolean {
  return formatConnections(a) === formatConnections(b);
}

const rangeText = ([a, b]: Range): string => (a === b ? `${a}` : `${a}-${b}`);

/** netpol-analyzer's spelling (its ConnStrFromConnProperties): protocol strings sorted, ranges joined by ",". */
export function formatConnections(c: ConnectionSet): string {
  if (isAll(c)) return 'All Connections';
  if (isEmpty(c)) return 'No Connections';
  const parts: string[] = [];
  for (const p of PORT_PROTOCOLS) {
    const r = c.ports.get(p) ?? [];
    if (r.length > 0) parts.push(`${p} ${r.map(rangeText).join(',')}`);
  }
  if (c.icmp) parts.push('ICMP');
  return parts.sort().join(',');
}

/**
 * Port classes of one protocol: the boundaries split [MIN_PORT, MAX_PORT] into ranges no compiled flow tells
 * apart, so one probe per range decides the whole range. A boundary b starts a class at b.
 */
export function portClasses(boundaries: Iterable<number>): Range[] {
  const starts = new Set<number>([MIN_PORT]);
  for (const b of boundaries) if (b > MIN_PORT && b <= MAX_PORT) starts.add(b);
  const sorted = [...starts].sort((x, y) => x - y);
  return sorted.map((s, i) => [s, (sorted[i + 1] ?? MAX_PORT + 1) - 1] as Range);
}

/** The set allowed by per-class verdicts: each allowed class contributes its whole range. */
export function fromClassVerdicts(
  classes: ReadonlyMap<PortProtocol, readonly Range[]>,
  allowed: (protocol: PortProtocol, representative: number) => boolean,
  icmpAllowed: boolean,
): ConnectionSet {
  const ports: Partial<Record<PortProtocol, Range[]>> = {};
  for (const [p, ranges] of classes) ports[p] = ranges.filter((r) => allowed(p, r[0]));
  return connectionSet(ports, icmpAllowed);
}
