/**
 * The flow IR: typed records for OpenFlow matches and actions. Plans build these; only targets/openflow turns
 * them into text, so canonical spelling lives in exactly one place.
 */
import type { Cidr, IPAddr } from '../net/ip.js';
import { fieldMask, type RegField, type RegMark } from './fields.js';
import type { TableName } from './pipeline.js';

export type Proto = 'ip' | 'arp' | 'tcp' | 'udp' | 'sctp' | 'icmp' | 'ipv6' | 'tcp6' | 'udp6' | 'sctp6' | 'icmp6';

export interface Masked {
  value: bigint;
  /** Absent: the whole field must equal `value`. */
  mask?: bigint;
}

export interface Match {
  pktMark?: Masked;
  conjId?: number;
  /** e.g. `+new+trk`, `-new+est`. */
  ctState?: string;
  ctMark?: Masked;
  ctLabel?: Masked;
  proto?: Proto;
  /** Register number → value/mask. Several marks on one register are merged into one entry. */
  regs?: Readonly<Record<number, Masked>>;
  tunDst?: IPAddr;
  inPort?: number;
  dlSrc?: string;
  dlDst?: string;
  nwSrc?: Cidr;
  nwDst?: Cidr;
  arpSpa?: IPAddr;
  arpTpa?: IPAddr;
  arpOp?: number;
  arpSha?: string;
  tpSrc?: Masked;
  tpDst?: Masked;
  icmpType?: number;
  icmpCode?: number;
}

export type Action =
  | { kind: 'goto'; table: TableName }
  | { kind: 'resubmit'; table: TableName }
  | { kind: 'drop' }
  | { kind: 'setReg'; reg: number; value: bigint; mask?: bigint }
  | { kind: 'setMac'; field: 'eth_src' | 'eth_dst' | 'arp_sha'; mac: string }
  | { kind: 'setIP'; field: 'tun_dst' | 'arp_spa'; ip: IPAddr }
  | { kind: 'setValue'; field: 'arp_op' | 'pkt_mark' | 'ct_mark' | 'ct_label'; value: bigint; mask?: bigint }
  | { kind: 'move'; src: string; dst: string }
  | { kind: 'output'; port: number }
  | { kind: 'outputReg'; src: string }
  | { kind: 'inPort' }
  | { kind: 'normal' }
  | { kind: 'decTtl' }
  | { kind: 'ct'; commit?: boolean; table?: TableName; zone: number; nat?: boolean; exec?: Action[] }
  | { kind: 'conjunction'; id: number; clause: number; of: number }
  | { kind: 'group'; id: number }
  | { kind: 'meter'; id: number }
  | { kind: 'controller'; reason: string; id: number; userdata: string };

/** Who a flow exists for; feeds cookies, rules.json and explain output. */
export interface Origin {
  kind: string;
  namespace?: string;
  name?: string;
  rule?: string;
  /** The feature that made the record. */
  feature?: string;
}

export interface Flow {
  table: TableName;
  priority: number;
  match: Match;
  actions: readonly Action[];
  cookie: bigint;
  origin?: Origin;
  /** The match's canonical spelling, when the plan already made it (conjunctive flows key on it). */
  spelledMatch?: string;
  /** The same record stands in many Nodes' plans: the renderer spells it once. */
  shared?: true;
}

/**
 * Cookie layout: bits 48..55 carry the category (which feature owns the flow, so the runtime can tell dpc's
 * flows from anything else on the bridge); the low 32 bits carry the policy rule ID where there is one.
 */
export const CookieCategory = {
  pipeline: 1,
  podConnectivity: 2,
  networkPolicy: 3,
  service: 4,
  egress: 5,
  trafficControl: 6,
} as const;

export function cookie(category: number, id = 0): bigint {
  return (BigInt(category) << 48n) | BigInt(id);
}

/** Merges register marks into per-register value/mask pairs, as OVS prints them (`reg0=0x202/0x20f`). */
export function regMatch(...marks: readonly RegMark[]): Record<number, Masked> {
  const out: Record<number, Masked> = {};
  for (const m of marks) {
    const mask = fieldMask(m.field);
    const value = (BigInt(m.value) << BigInt(m.field.lo)) & mask;
    const prev = out[m.field.reg];
    out[m.field.reg] = prev
      ? { value: prev.value | value, mask: (prev.mask ?? 0xffffffffn) | mask }
      : { value, mask };
  }
  for (const [reg, v] of Object.entries(out)) if (v.mask === 0xffffffffn) out[Number(reg)] = { value: v.value };
  return out;
}

/** Loads a mark into its register bits. */
export function loadMark(m: RegMark): Action {
  return loadField(m.field, BigInt(m.value));
}

export function loadField(f: RegField, value: bigint): Action {
  const mask = fieldMask(f);
  const shifted = (value << BigInt(f.lo)) & mask;
  return mask === 0xffffffffn
    ? { kind: 'setReg', reg: f.reg, value: shifted }
    : { kind: 'setReg', reg: f.reg, value: shifted, mask };
}

/** `output:NXM_NX_REGn[]`: output to the port a whole register holds. */
export function outputToField(f: RegField): Action {
  if (fieldMask(f) !== 0xffffffffn) throw new Error(`internal: output needs a whole register, not ${f.name}`);
  return { kind: 'outputReg', src: `NXM_NX_REG${f.reg}[]` };
}

export const goto = (table: TableName): Action => ({ kind: 'goto', table });
export const DROP: Action = { kind: 'drop' };
