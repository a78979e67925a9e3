/**
 * OVS's canonical spelling of matches and actions: exactly what `ovs-ofctl -O OpenFlow15 --no-names dump-flows`
 * prints back, so a rendered flows.txt equals a dump of the bridge it was loaded into. Field order follows
 * OVS's match_format(); the dataplane tests check this spelling against a real OVS.
 */
import { formatIP, isHostCidr, type Cidr } from '../../compiler/net/ip.js';
import type { Action, FieldRef, Masked, Match } from '../../compiler/plan/flow.js';
import { fieldMask } from '../../compiler/plan/fields.js';

const hex = (v: bigint): string => (v === 0n ? '0' : `0x${v.toString(16)}`);

function masked(m: Masked): string {
  return m.mask === undefined ? hex(m.value) : `${hex(m.value)}/${hex(m.mask)}`;
}

/** A transport port: decimal when exact, hex value/mask for a range piece (as OVS prints it). */
function port(m: Masked): string {
  return m.mask === undefined || m.mask === 0xffffn ? String(m.value) : masked(m);
}

function cidr(c: Cidr): string {
  return isHostCidr(c) ? formatIP({ family: c.family, value: c.base }) : `${formatIP({ family: c.family, value: c.base })}/${c.prefix}`;
}

/** True when a CIDR matches every address: OVS then prints no field at all. */
function matchesAll(c: Cidr | undefined): boolean {
  return c !== undefined && c.prefix === 0;
}

export function spellMatch(m: Match): string {
  const parts: string[] = [];
  if (m.pktMark) parts.push(`pkt_mark=${masked(m.pktMark)}`);
  if (m.conjId !== undefined) parts.push(`conj_id=${m.conjId}`);
  if (m.ctState) parts.push(`ct_state=${m.ctState}`);
  if (m.ctMark) parts.push(`ct_mark=${masked(m.ctMark)}`);
  if (m.ctLabel) parts.push(`ct_label=${masked(m.ctLabel)}`);
  if (m.proto) parts.push(m.proto);
  if (m.regs) {
    for (const reg of Object.keys(m.regs).map(Number).sort((a, b) => a - b)) parts.push(`reg${reg}=${masked(m.regs[reg]!)}`);
  }
  if (m.tunDst) parts.push(`tun_dst=${formatIP(m.tunDst)}`);
  if (m.inPort !== undefined) parts.push(`in_port=${m.inPort}`);
  if (m.dlSrc) parts.push(`dl_src=${m.dlSrc}`);
  if (m.dlDst) parts.push(`dl_dst=${m.dlDst}`);
  const v6 = m.proto !== undefined && m.proto.endsWith('6');
  if (m.nwSrc && !matchesAll(m.nwSrc)) parts.push(`${v6 ? 'ipv6_src' : 'nw_src'}=${cidr(m.nwSrc)}`);
  if (m.nwDst && !matchesAll(m.nwDst)) parts.push(`${v6 ? 'ipv6_dst' : 'nw_dst'}=${cidr(m.nwDst)}`);
  if (m.arpSpa) parts.push(`arp_spa=${formatIP(m.arpSpa)}`);
  if (m.arpTpa) parts.push(`arp_tpa=${formatIP(m.arpTpa)}`);
  if (m.arpOp !== undefined) parts.push(`arp_op=${m.arpOp}`);
  if (m.arpSha) parts.push(`arp_sha=${m.arpSha}`);
  // A zero mask matches every port, which OVS prints as no field at all.
  if (m.tpSrc && m.tpSrc.mask !== 0n) parts.push(`tp_src=${port(m.tpSrc)}`);
  if (m.tpDst && m.tpDst.mask !== 0n) parts.push(`tp_dst=${port(m.tpDst)}`);
  if (m.icmpType !== undefined) parts.push(`icmp_type=${m.icmpType}`);
  if (m.icmpCode !== undefined) parts.push(`icmp_code=${m.icmpCode}`);
  return parts.join(',');
}

/** OVS's subfield spelling: `[]` for the whole field, `[n]` for one bit, `[lo..hi]` otherwise. */
function subfield(lo: number, hi: number, width: number): string {
  if (lo === 0 && hi === width - 1) return '[]';
  return lo === hi ? `[${lo}]` : `[${lo}..${hi}]`;
}

const BIT_SPACE_NXM = { ct_mark: ['NXM_NX_CT_MARK', 32], ct_label: ['NXM_NX_CT_LABEL', 128], pkt_mark: ['NXM_NX_PKT_MARK', 32] } as const;

function spellFieldRef(r: FieldRef): string {
  switch (r.kind) {
    case 'reg':
      return `NXM_NX_REG${r.field.reg}${subfield(r.field.lo, r.field.hi, 32)}`;
    case 'bits': {
      const [nxm, width] = BIT_SPACE_NXM[r.field.space];
      return `${nxm}${subfield(r.field.lo, r.field.hi, width)}`;
    }
    case 'header':
      return `${r.nxm}[]`;
  }
}

export function spellAction(a: Action, tableId: (name: string) => number): string {
  switch (a.kind) {
    case 'goto':
      return `goto_table:${tableId(a.table)}`;
    case 'resubmit':
      return `resubmit(,${tableId(a.table)})`;
    case 'drop':
      return 'drop';
    case 'setReg':
      return `set_field:${masked({ value: a.value, mask: a.mask })}->reg${a.reg}`;
    case 'setMac':
      return `set_field:${a.mac}->${a.field}`;
    case 'setIP':
      return `set_field:${formatIP(a.ip)}->${a.field}`;
    case 'setArpOp':
      return `set_field:${a.value}->arp_op`;
    case 'setBits': {
      const mask = fieldMask(a.field);
      return `set_field:${masked({ value: (a.value << BigInt(a.field.lo)) & mask, mask })}->${a.field.space}`;
    }
    case 'move':
      return `move:${spellFieldRef(a.src)}->${spellFieldRef(a.dst)}`;
    case 'output':
      return `output:${a.port}`;
    case 'outputReg':
      return `output:${spellFieldRef({ kind: 'reg', field: a.field })}`;
    case 'inPort':
      return 'IN_PORT';
    case 'normal':
      return 'NORMAL';
    case 'decTtl':
      return 'dec_ttl';
    case 'ct': {
      const args: string[] = [];
      if (a.commit) args.push('commit');
      if (a.table !== undefined) args.push(`table=${tableId(a.table)}`);
      args.push(`zone=${a.zone}`);
      if (a.nat) args.push('nat');
      if (a.exec && a.exec.length > 0) args.push(`exec(${a.exec.map((x) => spellAction(x, tableId)).join(',')})`);
      return `ct(${args.join(',')})`;
    }
    case 'conjunction':
      return `conjunction(${a.id},${a.clause}/${a.of})`;
    case 'group':
      return `group:${a.id}`;
    case 'meter':
      return `meter:${a.id}`;
    case 'controller':
      return `controller(reason=${a.reason},id=${a.id},userdata=${a.userdata})`;
  }
}
