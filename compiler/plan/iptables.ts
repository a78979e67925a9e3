/**
 * The host-rule IR: iptables chains, rules, jumps from built-in chains, and ipsets, as readonly records. Plans
 * build these; only targets/iptables and targets/ipset spell them, in the exact form iptables-save and ipset save
 * print back, so a bundle can be compared with a live Node line for line.
 *
 * Text that comes from input (rule and policy names, log labels) reaches these records only through
 * `iptablesText`, the single place where it is cleaned for iptables.
 */
import type { Family } from '../net/ip.js';
import type { Origin } from './flow.js';

export type IptTable = 'raw' | 'mangle' | 'filter' | 'nat';

/** Tables in the order iptables-save prints them. */
export const IPT_TABLE_ORDER: readonly IptTable[] = ['raw', 'mangle', 'filter', 'nat'];

/** Where a host record comes from (flow.ts `Origin`): the runtime and reviewers read it, the renderers do not. */
export type HostOrigin = Origin;

/** A chain the bundle owns: restore declares it (`:NAME - [0:0]`), so --noflush flushes and refills it. */
export interface IptablesChain {
  readonly family: Family;
  readonly table: IptTable;
  readonly chain: string;
  readonly origin: HostOrigin;
}

/** An argument iptables-save prints through its quoting routine (comments, log prefixes). */
export interface QuotedArg {
  readonly quoted: string;
}
export type IptArg = string | QuotedArg;

/**
 * One match of a rule. Header fields (addresses, interfaces, protocol) are printed by iptables-save before any
 * module, whatever their place here; modules keep the order they have in `matches`, as the kernel keeps them.
 * Module arguments are spelled as iptables-save prints them (`-m tcp --dport 80`, `--ctstate RELATED,ESTABLISHED`).
 */
export type IptMatch =
  | { readonly kind: 'addr'; readonly dir: 'src' | 'dst'; readonly cidr: string; readonly negate?: boolean }
  | { readonly kind: 'iface'; readonly dir: 'in' | 'out'; readonly name: string; readonly negate?: boolean }
  | { readonly kind: 'proto'; readonly proto: string; readonly negate?: boolean }
  | { readonly kind: 'module'; readonly module: string; readonly args: readonly IptArg[] };

export interface IptTarget {
  readonly name: string;
  readonly args: readonly IptArg[];
}

/** One `-A` line of an owned chain; a chain's rules keep the order of the plan's list. */
export interface IptablesRule {
  readonly family: Family;
  readonly table: IptTable;
  readonly chain: string;
  readonly matches: readonly IptMatch[];
  /** Absent: the rule only counts (Antrea's node-policy Pass). */
  readonly target?: IptTarget;
  readonly origin: HostOrigin;
}

/**
 * A jump from a built-in chain into an owned chain. Antrea adds these one by one (`iptables -A`, or `-I` at a
 * position), never by restore, so that other software's rules in the built-in chain stay where they are.
 */
export interface IptablesJump {
  readonly family: Family;
  readonly table: IptTable;
  readonly builtin: string;
  /** `append`, or 1-based insert position. */
  readonly position: 'append' | number;
  readonly chain: string;
  /** Already clean (fixed text, not input). */
  readonly comment: string;
  readonly origin: HostOrigin;
}

export type IpsetType = 'hash:net' | 'hash:ip' | 'hash:ip,port' | 'hash:net,port';

export interface Ipset {
  readonly name: string;
  readonly type: IpsetType;
  readonly family: Family;
  /**
   * As `ipset save -sorted` prints them, unique and in its order (the renderer keeps this order): by address, and
   * for one address the longest prefix first; a host entry of hash:net without its /32 or /128.
   */
  readonly members: readonly string[];
  readonly origin: HostOrigin;
}

/** Everything a Node's bundle holds for iptables and ipset. Empty on a Node with no host rules. */
export interface HostRules {
  readonly chains: readonly IptablesChain[];
  readonly rules: readonly IptablesRule[];
  readonly jumps: readonly IptablesJump[];
  readonly ipsets: readonly Ipset[];
}

export const EMPTY_HOST_RULES: HostRules = { chains: [], rules: [], jumps: [], ipsets: [] };

export function hasHostRules(h: HostRules): boolean {
  return h.chains.length > 0 || h.rules.length > 0 || h.jumps.length > 0 || h.ipsets.length > 0;
}

/** Kernel limits (xt_comment, xt_LOG, x_tables, ipset). */
export const IPT_LIMITS = { comment: 255, logPrefix: 29, chain: 28, ipset: 31 } as const;

/**
 * Cleans input text for an iptables argument: as Antrea's builder, drops `"`, CR and LF; also drops other control
 * characters, which iptables-restore cannot carry in a token. Length is the caller's to check (`fitsLimit`).
 */
export function iptablesText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/["\r\n\u0000-\u001f\u007f]/g, '');
}

export function fitsLimit(text: string, limit: number): boolean {
  return Buffer.byteLength(text, 'utf8') <= limit;
}

/** ipset's sorted order for hash:net members (see `Ipset.members`). */
export function compareIpsetMembers(a: { base: bigint; prefix: number }, b: { base: bigint; prefix: number }): number {
  if (a.base !== b.base) return a.base < b.base ? -1 : 1;
  return b.prefix - a.prefix;
}

export const comment = (text: string): IptMatch => ({ kind: 'module', module: 'comment', args: ['--comment', { quoted: text }] });

/** `-p tcp -m tcp --sport a:b --dport c:d` as two matches; ranges are `[lo, hi]`, one port when equal. */
export function portMatches(proto: 'tcp' | 'udp' | 'sctp', sport?: readonly [number, number], dport?: readonly [number, number]): IptMatch[] {
  const range = (r: readonly [number, number]) => (r[0] === r[1] ? String(r[0]) : `${r[0]}:${r[1]}`);
  const args: string[] = [];
  if (sport) args.push('--sport', range(sport));
  if (dport) args.push('--dport', range(dport));
  const out: IptMatch[] = [{ kind: 'proto', proto }];
  if (args.length > 0) out.push({ kind: 'module', module: proto, args });
  return out;
}

/** ICMP in either family; iptables-save names the IPv6 protocol `ipv6-icmp` and its module `icmp6`. */
export function icmpMatches(family: Family, type?: number, code?: number): IptMatch[] {
  const proto = family === 4 ? 'icmp' : 'ipv6-icmp';
  const out: IptMatch[] = [{ kind: 'proto', proto }];
  if (type !== undefined) {
    const spec = code !== undefined ? `${type}/${code}` : String(type);
    out.push(family === 4
      ? { kind: 'module', module: 'icmp', args: ['--icmp-type', spec] }
      : { kind: 'module', module: 'icmp6', args: ['--icmpv6-type', spec] });
  }
  return out;
}

export const setMatch = (name: string, dir: 'src' | 'dst'): IptMatch => ({ kind: 'module', module: 'set', args: ['--match-set', name, dir] });

export const conntrackMatch = (states: readonly ('INVALID' | 'NEW' | 'RELATED' | 'ESTABLISHED' | 'UNTRACKED')[]): IptMatch => {
  // The kernel keeps the states as a bit set; iptables-save prints them in bit order.
  const order = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED'];
  const sorted = [...states].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return { kind: 'module', module: 'conntrack', args: ['--ctstate', sorted.join(',')] };
};

/** The target as iptables-save prints it: REJECT shows the kernel's default reply. */
export function target(family: Family, name: 'ACCEPT' | 'DROP' | 'REJECT' | 'RETURN'): IptTarget {
  if (name === 'REJECT') return { name, args: ['--reject-with', family === 4 ? 'icmp-port-unreachable' : 'icmp6-port-unreachable'] };
  return { name, args: [] };
}

export const jumpTo = (chain: string): IptTarget => ({ name: chain, args: [] });

export const logTarget = (prefix: string): IptTarget => ({ name: 'LOG', args: ['--log-prefix', { quoted: prefix }] });
