/**
 * The flow IR: typed records for OpenFlow matches and actions. Plans build these; only targets/openflow turns
 * them into text, so canonical spelling lives in exactly one place.
 */
import type { Cidr, IPAddr } from '../net/ip.js';
import { fieldMask, type BitField, type BitMark, type RegField, type RegMark } from './fields.js';
import type { TableName } from '../allocate/pipeline.js';

export type Proto = 'ip' | 'arp' | 'tcp' | 'udp' | 'sctp' | 'icmp' | 'ipv6' | 'tcp6' | 'udp6' | 'sctp6' | 'icmp6';

export interface Masked {
  readonly value: bigint;
  /** Absent: the whole field must equal `value`. */
  readonly mask?: bigint;
}

export interface Match {
  readonly pktMark?: Masked;
  readonly conjId?: number;
  /** e.g. `+new+trk`, `-new+est`. */
  readonly ctState?: string;
  readonly ctMark?: Masked;
  readonly ctLabel?: Masked;
  readonly proto?: Proto;
  /** Register number → value/mask. Several marks on one register are merged into one entry. */
  readonly regs?: Readonly<Record<number, Masked>>;
  readonly tunDst?: IPAddr;
  readonly inPort?: number;
  readonly dlSrc?: string;
  readonly dlDst?: string;
  readonly nwSrc?: Cidr;
  readonly nwDst?: Cidr;
  readonly arpSpa?: IPAddr;
  readonly arpTpa?: IPAddr;
  readonly arpOp?: number;
  readonly arpSha?: string;
  readonly tpSrc?: Masked;
  readonly tpDst?: Masked;
  readonly icmpType?: number;
  readonly icmpCode?: number;
}

/** A field a `move` reads or writes: a register or ct_mark field, or a whole packet header field (by NXM name). */
export type FieldRef =
  | { readonly kind: 'reg'; readonly field: RegField }
  | { readonly kind: 'bits'; readonly field: BitField }
  | { readonly kind: 'header'; readonly nxm: 'NXM_OF_ETH_SRC' | 'NXM_OF_ETH_DST' | 'NXM_NX_ARP_SHA' | 'NXM_NX_ARP_THA' | 'NXM_OF_ARP_SPA' | 'NXM_OF_ARP_TPA' };

export type Action =
  | { readonly kind: 'goto'; readonly table: TableName }
  | { readonly kind: 'resubmit'; readonly table: TableName }
  | { readonly kind: 'drop' }
  | { readonly kind: 'setReg'; readonly reg: number; readonly value: bigint; readonly mask?: bigint }
  | { readonly kind: 'setMac'; readonly field: 'eth_src' | 'eth_dst' | 'arp_sha'; readonly mac: string }
  | { readonly kind: 'setIP'; readonly field: 'tun_dst' | 'arp_spa'; readonly ip: IPAddr }
  | { readonly kind: 'setArpOp'; readonly value: number }
  | { readonly kind: 'setBits'; readonly field: BitField; readonly value: bigint }
  | { readonly kind: 'move'; readonly src: FieldRef; readonly dst: FieldRef }
  | { readonly kind: 'output'; readonly port: number }
  | { readonly kind: 'outputReg'; readonly field: RegField }
  | { readonly kind: 'inPort' }
  | { readonly kind: 'normal' }
  | { readonly kind: 'decTtl' }
  | { readonly kind: 'ct'; readonly commit?: boolean; readonly table?: TableName; readonly zone: number; readonly nat?: boolean; readonly exec?: readonly Action[] }
  | { readonly kind: 'conjunction'; readonly id: number; readonly clause: number; readonly of: number }
  | { readonly kind: 'group'; readonly id: number }
  | { readonly kind: 'meter'; readonly id: number }
  | { readonly kind: 'controller'; readonly reason: string; readonly id: number; readonly userdata: string };

/** The feature that made a record; also what its cookie category says. */
export type Feature = 'Pipeline' | 'PodConnectivity' | 'NetworkPolicy' | 'NodeNetworkPolicy' | 'Service' | 'Egress' | 'TrafficControl';

/**
 * Where a record comes from: the input object (and rule) it exists for, and the feature that made it. Feeds
 * rules.json, review output and explain. One origin object is shared by every record of one rule.
 */
export interface Origin {
  readonly feature: Feature;
  readonly kind: string;
  readonly namespace?: string;
  readonly name?: string;
  /** The rule's name, or `ingress[2]` style position for an unnamed one. */
  readonly rule?: string;
}

export interface Flow {
  readonly table: TableName;
  readonly priority: number;
  readonly match: Match;
  readonly actions: readonly Action[];
  readonly cookie: bigint;
  readonly origin: Origin;
  /** The same record stands in many Nodes' plans: the renderer spells it once. */
  readonly shared?: true;
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

/** Every bit of a 32-bit register: a match or load with this mask is spelled without one. */
const REGISTER_MASK = 0xffffffffn;

/** Merges register marks into per-register value/mask pairs, as OVS prints them (`reg0=0x202/0x20f`). */
export function regMatch(...marks: readonly RegMark[]): Record<number, Masked> {
  const out: Record<number, Masked> = {};
  for (const m of marks) {
    const mask = fieldMask(m.field);
    const value = (BigInt(m.value) << BigInt(m.field.lo)) & mask;
    const prev = out[m.field.reg];
    out[m.field.reg] = prev
      ? { value: prev.value | value, mask: (prev.mask ?? REGISTER_MASK) | mask }
      : { value, mask };
  }
  for (const [reg, v] of Object.entries(out)) if (v.mask === REGISTER_MASK) out[Number(reg)] = { value: v.value };
  return out;
}

/** Loads a mark into its register bits. */
export function loadMark(m: RegMark): Action {
  return loadField(m.field, BigInt(m.value));
}

export function loadField(f: RegField, value: bigint): Action {
  const mask = fieldMask(f);
  const shifted = (value << BigInt(f.lo)) & mask;
  return mask === REGISTER_MASK
    ? { kind: 'setReg', reg: f.reg, value: shifted }
    : { kind: 'setReg', reg: f.reg, value: shifted, mask };
}

/** Merges marks of one space (ct_mark, ct_label or pkt_mark) into the value/mask OVS matches on. */
export function bitsMatch(...marks: readonly BitMark[]): Masked {
  let value = 0n;
  let mask = 0n;
  for (const m of marks) {
    const f = fieldMask(m.field);
    value |= (m.value << BigInt(m.field.lo)) & f;
    mask |= f;
  }
  return { value, mask };
}

/** The value/mask that matches one field of ct_mark, ct_label or pkt_mark holding `value`. */
export function bitsValue(field: BitField, value: bigint): Masked {
  return bitsMatch({ field, value });
}

export const setBits = (field: BitField, value: bigint): Action => ({ kind: 'setBits', field, value });
export const regRef = (field: RegField): FieldRef => ({ kind: 'reg', field });
export const bitsRef = (field: BitField): FieldRef => ({ kind: 'bits', field });
export const headerRef = (nxm: Extract<FieldRef, { kind: 'header' }>['nxm']): FieldRef => ({ kind: 'header', nxm });

export const goto = (table: TableName): Action => ({ kind: 'goto', table });
export const DROP: Action = { kind: 'drop' };
