/**
 * Flow identity: two matches are the same flow to OVS exactly when they constrain the same fields to the same
 * values. The key normalises what OVS treats as "no constraint" (a /0 address, a port with mask 0) so that such
 * matches share a key, as they share a line on the bridge. Spelling the text is targets' job; this is only a key.
 */
import type { Cidr } from '../net/ip.js';
import type { Masked, Match } from './flow.js';

const masked = (m: Masked): string => (m.mask === undefined ? m.value.toString(16) : `${m.value.toString(16)}/${m.mask.toString(16)}`);
const cidr = (c: Cidr | undefined): string | undefined => (c === undefined || c.prefix === 0 ? undefined : `${c.family}:${c.base.toString(16)}/${c.prefix}`);
const port = (m: Masked | undefined): string | undefined => (m === undefined || m.mask === 0n ? undefined : masked(m));

export function matchKey(m: Match): string {
  const parts: (string | number | undefined)[] = [
    m.pktMark && masked(m.pktMark),
    m.conjId,
    m.ctState,
    m.ctMark && masked(m.ctMark),
    m.ctLabel && masked(m.ctLabel),
    m.proto,
    m.regs &&
      Object.keys(m.regs)
        .map(Number)
        .sort((a, b) => a - b)
        .map((r) => `${r}=${masked(m.regs![r]!)}`)
        .join(';'),
    m.tunDst && `${m.tunDst.family}:${m.tunDst.value.toString(16)}`,
    m.inPort,
    m.dlSrc,
    m.dlDst,
    cidr(m.nwSrc),
    cidr(m.nwDst),
    m.arpSpa && m.arpSpa.value.toString(16),
    m.arpTpa && m.arpTpa.value.toString(16),
    m.arpOp,
    m.arpSha,
    port(m.tpSrc),
    port(m.tpDst),
    m.icmpType,
    m.icmpCode,
  ];
  return parts.map((p) => (p === undefined ? '' : String(p))).join(',');
}

/** A match with its identity key, made once. */
export interface KeyedMatch {
  readonly match: Match;
  readonly key: string;
}

export const keyed = (match: Match): KeyedMatch => ({ match, key: matchKey(match) });
