/** ExternalIPPool ranges as Antrea's validation normalizes them (pkg/controller/validation/ippool.go). */
import type { FieldPath } from '../../diagnostics/diagnostic.js';
import type { MessageText } from '../../diagnostics/messages.js';
import { Msg } from '../../diagnostics/messages.js';
import { compareIP, parseCidr, parseIP, type IPAddr } from '../../net/ip.js';
import type { ExternalIPPoolObject, IPRange } from '../../../schemas/egress.js';
import { refOf, report, type Located, type RuleContext } from './context.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';

const BITS = { 4: 32, 6: 128 } as const;

export interface NormalizedRange {
  start: IPAddr;
  end: IPAddr;
  /** Antrea's wording: `range [10.0.0.0/24]` or `range [10.0.0.2-10.0.0.9]`. */
  origin: string;
  index: number;
}

export type RangeResult = { ok: NormalizedRange } | { error: MessageText; field: FieldPath };

/** The literal text Antrea identifies a range by (GetIPRangeSet). */
export function rangeText(r: IPRange): string {
  return r.cidr ? r.cidr : `${r.start ?? ''}-${r.end ?? ''}`;
}

export function normalizeRange(r: IPRange, index: number): RangeResult {
  const base = ['spec', 'ipRanges', index];
  if (r.cidr !== undefined && r.cidr !== '') {
    const c = parseCidr(r.cidr);
    if (!c) return { error: Msg.ipRangeCIDRInvalid(r.cidr), field: [...base, 'cidr'] };
    const host = (1n << BigInt(BITS[c.family] - c.prefix)) - 1n;
    return {
      ok: { start: { family: c.family, value: c.base }, end: { family: c.family, value: c.base | host }, origin: `range [${r.cidr}]`, index },
    };
  }
  const start = parseIP(r.start ?? '');
  if (!start) return { error: Msg.ipRangeStartInvalid(r.start ?? ''), field: [...base, 'start'] };
  const end = parseIP(r.end ?? '');
  if (!end) return { error: Msg.ipRangeEndInvalid(r.end ?? ''), field: [...base, 'end'] };
  if (start.family !== end.family) return { error: Msg.ipRangeFamilies(r.start!, r.end!), field: base };
  if (compareIP(start, end) > 0) return { error: Msg.ipRangeReversed(r.start!, r.end!), field: base };
  return { ok: { start, end, origin: `range [${r.start}-${r.end}]`, index } };
}

/** Every range of a pool, or the first problem, as Antrea stops at the first. */
export function poolRanges(pool: ExternalIPPoolObject): { ranges: NormalizedRange[]; error?: { msg: MessageText; field: FieldPath } } {
  const ranges: NormalizedRange[] = [];
  for (const [i, r] of pool.spec.ipRanges.entries()) {
    const n = normalizeRange(r, i);
    if ('error' in n) return { ranges, error: { msg: n.error, field: n.field } };
    ranges.push(n.ok);
  }
  return { ranges };
}

export function rangesOverlap(a: NormalizedRange, b: NormalizedRange): boolean {
  return a.start.family === b.start.family && compareIP(a.start, b.end) <= 0 && compareIP(a.end, b.start) >= 0;
}

/** Pools no earlier rule refused, each with its normalized ranges. */
export function livePools(ctx: RuleContext): { src: Located<ExternalIPPoolObject>; ranges: NormalizedRange[] }[] {
  return ctx.objects.externalIPPools
    .filter((p) => !ctx.isRefused(p.loc))
    .map((src) => ({ src, ranges: poolRanges(src.obj).ranges }));
}

export function poolReport(src: Located<ExternalIPPoolObject>, field: FieldPath, msg: MessageText): Diagnostic {
  return report(src, refOf('ExternalIPPool', src.obj, false), field, msg);
}

/** Antrea's scheduling and admission order: creation time, then name (a missing time sorts first, as Go's zero time). */
export function byCreation<T extends { metadata: { name: string; creationTimestamp?: string | null } }>(a: Located<T>, b: Located<T>): number {
  const ta = a.obj.metadata.creationTimestamp ?? '';
  const tb = b.obj.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = a.obj.metadata.name;
  const nb = b.obj.metadata.name;
  return na < nb ? -1 : na > nb ? 1 : 0;
}
