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
export type Feature = 'Pipeline' | 'PodConnectivity' | 'NetworkPolicy' | 'NodeNetworkPolicy' | 'Service' | 'Egress' | 'TrafficControl' | 'PodBandwidth';

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
}

/**
 * Cookie layout, Antrea's (pkg/agent/openflow/cookie/allocator.go): bits 48–63 the round, bits 40–47 the category
 * (the feature that owns the flow), bits 32–39 reserved (zero), bits 0–31 the object ID. Antrea's own tooling
 * (NetworkPolicy metrics, per-feature flow dumps) filters on the category bits, so dpc's flows sort into the same
 * buckets as the agent's; dpc puts the policy rule ID in the object ID bits, which Antrea leaves at zero.
 */
export const CookieCategory = {
  /** Antrea's `Default`: the automatic miss flow of each table. */
  pipeline: 0,
  /** TrafficControl's mark flows are PodConnectivity's too (featurePodConnectivity.trafficControlMarkFlows). */
  podConnectivity: 1,
  networkPolicy: 2,
  service: 3,
  egress: 4,
  multicast: 5,
  multicluster: 6,
  traceflow: 7,
  externalNodeConnectivity: 8,
} as const;

/**
 * The round every dpc flow carries. Antrea counts rounds per agent start and deletes its previous round's flows
 * once it has converged; a bundle is a pure function of the snapshot, so its round is a constant. 1 is the round a
 * freshly deployed agent starts with (agent.go initialRoundNum), and an agent starting with no round recorded in
 * OVSDB first deletes every flow of round 1: handing a Node back to antrea-agent leaves no dpc flow behind. It is
 * also never 0, so even a miss flow has a non-zero cookie, which is how the runtime tells dpc's flows from others.
 */
export const COOKIE_ROUND = 1n;

const ROUND_SHIFT = 48n;
const CATEGORY_SHIFT = 40n;
const CATEGORY_MASK = 0xffn;
const OBJECT_MASK = 0xffffffffn;

export function cookie(category: number, id = 0): bigint {
  return (COOKIE_ROUND << ROUND_SHIFT) | (BigInt(category) << CATEGORY_SHIFT) | (BigInt(id) & OBJECT_MASK);
}

/**
 * The category a record's feature puts in its cookie. Antrea has no TrafficControl category: its mark flows are
 * built by featurePodConnectivity. Node policies are iptables rules; any flow they had would be NetworkPolicy's.
 * Pod bandwidth is tc only; a flow of its own would be part of the Pod's connectivity.
 */
const FEATURE_CATEGORY: Readonly<Record<Feature, number>> = {
  Pipeline: CookieCategory.pipeline,
  PodConnectivity: CookieCategory.podConnectivity,
  TrafficControl: CookieCategory.podConnectivity,
  NetworkPolicy: CookieCategory.networkPolicy,
  NodeNetworkPolicy: CookieCategory.networkPolicy,
  Service: CookieCategory.service,
  Egress: CookieCategory.egress,
  PodBandwidth: CookieCategory.podConnectivity,
};

export function featureCookie(feature: Feature, id = 0): bigint {
  return cookie(FEATURE_CATEGORY[feature], id);
}

/** A cookie's parts, the inverse of `cookie` (for tests and tools that map flows back to rules). */
export function cookieParts(c: bigint): { round: number; category: number; id: number } {
  return { round: Number(c >> ROUND_SHIFT), category: Number((c >> CATEGORY_SHIFT) & CATEGORY_MASK), id: Number(c & OBJECT_MASK) };
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
