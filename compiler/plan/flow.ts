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

/** A cookie's parts, the inverse of `cookie` (for tests and tools that map flows back to rules). */
export function cookieParts(c: bigint): { round: number; category: number; id: number } {
  return { round: Number(c >> ROUND_SHIFT), category: Number((c >> CATEGORY_SHIFT) & CATEGORY_MASK), id: Number(c & OBJECT_MASK) };
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

export const goto = (table: TableName): Action => ({ kind: 'goto', table });
export const DROP: Action = { kind: 'drop' };
