/**
 * OpenFlow 1.3 flow_mods from flows.txt lines (OVS's canonical `ovs-ofctl dump-flows --no-names --no-stats`
 * spelling), for the agent to send on its own connection instead of spawning ovs-ofctl.
 *
 * Only the fields and actions a policy change usually touches are encoded (the matches and actions listed below);
 * `encodeFlow` returns undefined for any other spelling, and the caller then sends the whole change through
 * ovs-ofctl, which parses every OVS spelling. Nothing is ever half-encoded: an unknown token anywhere refuses the
 * line. test/runtime/flowMod.test.ts adds every encodable golden flow through this encoder to a real OVS and reads
 * it back byte for byte.
 */

import { parseFlow, splitTop, type Action, type FieldMatch } from '../../review/openflow/parse.js';

const OFP13 = 0x04;
const OFPT_FLOW_MOD = 14;
export const FLOW_MOD = { add: 0, deleteStrict: 4 } as const;
const OFP_NO_BUFFER = 0xffffffff;
const OFPP_ANY = 0xffffffff;
const OFPG_ANY = 0xffffffff;
const NX_VENDOR = 0x00002320;

/** An OXM field: class and field number, value width in bytes, whether a mask may follow. */
interface Oxm {
  readonly cls: number;
  readonly field: number;
  readonly width: number;
  readonly maskable: boolean;
  /** Emission order: OVS checks each field's prerequisites against the fields before it. */
  readonly rank: number;
}

const basic = (field: number, width: number, maskable: boolean, rank: number): Oxm => ({ cls: 0x8000, field, width, maskable, rank });
const nxm1 = (field: number, width: number, maskable: boolean): Oxm => ({ cls: 0x0001, field, width, maskable, rank: 0 });

/** By the field names of review/openflow/parse.ts; the IPv4-only ones need dl_type 0x0800 before them. */
const OXM: Record<string, Oxm> = {
  in_port: basic(0, 4, false, 0),
  dl_dst: basic(3, 6, true, 0),
  dl_src: basic(4, 6, true, 0),
  dl_type: basic(5, 2, false, 1),
  nw_proto: basic(10, 1, false, 2),
  nw_src: basic(11, 4, true, 3),
  nw_dst: basic(12, 4, true, 3),
  icmp_type: basic(19, 1, false, 3),
  icmp_code: basic(20, 1, false, 3),
  arp_op: basic(21, 2, false, 3),
  arp_spa: basic(22, 4, true, 3),
  arp_tpa: basic(23, 4, true, 3),
  arp_sha: basic(24, 6, true, 3),
  arp_tha: basic(25, 6, true, 3),
  tun_dst: nxm1(32, 4, true),
  pkt_mark: nxm1(33, 4, true),
  conj_id: nxm1(37, 4, false),
  ct_state: nxm1(105, 4, true),
  ct_zone: nxm1(106, 2, false),
  ct_mark: nxm1(107, 4, true),
  ct_label: nxm1(108, 16, true),
};
for (let i = 0; i < 16; i++) OXM[`reg${i}`] = nxm1(i, 4, true);
const IPV4_ONLY = new Set(['nw_src', 'nw_dst', 'icmp_type', 'icmp_code']);
/** OXM TCP/UDP/SCTP source and destination port fields by IP protocol. */
const PORTS_BY_PROTO: Record<number, [number, number]> = { 6: [13, 14], 17: [15, 16], 132: [17, 18] };

const SPECIAL_PORT = { in_port: 0xfffffff8, normal: 0xfffffffa, local: 0xfffffffe } as const;

/** Attributes of a flow that parse.ts reads past (the interpreter has no use for them); a flow with one is not encoded here. */
const UNENCODED = /(^|[ ,])(idle_timeout|hard_timeout|importance|reset_counts|send_flow_rem|check_overlap|no_packet_counts|no_byte_counts|out_port|out_group)=?/;

export interface FlowText {
  readonly cookie: bigint;
  readonly table: number;
  readonly priority: number;
  /** The OXM match TLVs (without the ofp_match header). */
  readonly oxm: Buffer;
  /** The instructions (empty when encoded for a delete). */
  readonly instructions: Buffer;
}

const fail = (): never => {
  throw new Error('not encoded here');
};

function bytesOf(value: bigint, width: number): Buffer {
  if (value < 0n || value >> BigInt(width * 8) !== 0n) fail();
  const b = Buffer.alloc(width);
  for (let i = width - 1; i >= 0; i--) {
    b[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return b;
}

function tlv(f: Oxm, value: bigint, mask: bigint): Buffer {
  const full = (1n << BigInt(f.width * 8)) - 1n;
  const masked = mask !== full;
  if (masked && !f.maskable) fail();
  const h = Buffer.alloc(4);
  h.writeUInt16BE(f.cls, 0);
  h.writeUInt8((f.field << 1) | (masked ? 1 : 0), 2);
  h.writeUInt8(f.width * (masked ? 2 : 1), 3);
  return Buffer.concat(masked ? [h, bytesOf(value, f.width), bytesOf(mask, f.width)] : [h, bytesOf(value, f.width)]);
}

const pad8 = (b: Buffer): Buffer => (b.length % 8 === 0 ? b : Buffer.concat([b, Buffer.alloc(8 - (b.length % 8))]));

function encodeMatch(match: readonly FieldMatch[]): Buffer {
  const valueOf = (field: string): bigint | undefined => match.find((m) => m.field === field)?.value;
  const dlType = valueOf('dl_type');
  const proto = valueOf('nw_proto');
  const tlvs = match.map((m, at) => {
    let f = OXM[m.field];
    if (m.field === 'tp_src' || m.field === 'tp_dst') {
      const ports = dlType === 0x0800n && proto !== undefined ? PORTS_BY_PROTO[Number(proto)] : undefined;
      f = ports ? basic(ports[m.field === 'tp_src' ? 0 : 1], 2, true, 3) : undefined;
    }
    if (!f || (IPV4_ONLY.has(m.field) && dlType !== 0x0800n)) fail();
    return { rank: f!.rank, at, b: tlv(f!, m.value, m.mask) };
  });
  tlvs.sort((a, b) => a.rank - b.rank || a.at - b.at);
  return Buffer.concat(tlvs.map((t) => t.b));
}

function nxAction(subtype: number, body: Buffer): Buffer {
  const len = 10 + body.length;
  const padded = (len + 7) & ~7;
  const h = Buffer.alloc(10);
  h.writeUInt16BE(0xffff, 0);
  h.writeUInt16BE(padded, 2);
  h.writeUInt32BE(NX_VENDOR, 4);
  h.writeUInt16BE(subtype, 8);
  return Buffer.concat([h, body, Buffer.alloc(padded - len)]);
}

/** An OpenFlow action or instruction: type, length, body. */
function typed(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16BE(type, 0);
  h.writeUInt16BE(4 + body.length, 2);
  return Buffer.concat([h, body]);
}

function output(port: number): Buffer {
  const body = Buffer.alloc(12);
  body.writeUInt32BE(port >>> 0, 0);
  body.writeUInt16BE(0xffff, 4);
  return typed(0, body);
}

function action(a: Action, text: string): Buffer {
  switch (a.op) {
    case 'set': {
      // NXAST_REG_LOAD2: a set_field that may carry a mask. Only as set_field spells it (mod_* reads back otherwise).
      const f = OXM[a.field];
      if (!f || !text.startsWith('set_field:')) return fail();
      return nxAction(33, tlv(f, a.value, a.mask));
    }
    case 'conjunction': {
      if (a.clause < 1 || a.clause > a.clauses || a.clauses > 64) return fail();
      const body = Buffer.alloc(6);
      body.writeUInt8(a.clause - 1, 0); // 0-based on the wire, 1-based in text
      body.writeUInt8(a.clauses, 1);
      body.writeUInt32BE(a.id, 2);
      return nxAction(34, body);
    }
    case 'resubmit': {
      if (a.port !== undefined || a.table === undefined) return fail();
      const body = Buffer.alloc(6);
      body.writeUInt16BE(0xfff8, 0); // OFPP_IN_PORT in NX's 16-bit numbering: resubmit with the packet's own in_port
      body.writeUInt8(a.table, 2);
      return nxAction(14, body);
    }
    case 'output':
      return a.port !== undefined ? output(a.port) : fail();
    case 'in_port':
    case 'normal':
    case 'local':
      return output(SPECIAL_PORT[a.op]);
    case 'group':
      return typed(22, bytesOf(BigInt(a.id), 4));
    case 'dec_ttl':
      return typed(24, Buffer.alloc(4));
    default:
      return fail();
  }
}

function encodeInstructions(actions: readonly Action[], texts: readonly string[]): Buffer {
  const applied: Buffer[] = [];
  let meter: Buffer | undefined;
  let goto: Buffer | undefined;
  actions.forEach((a, i) => {
    if (goto) fail(); // goto_table is the last instruction OVS prints
    if (a.op === 'drop') {
      if (actions.length > 1) fail();
    } else if (a.op === 'goto') goto = typed(1, Buffer.from([a.table, 0, 0, 0]));
    else if (a.op === 'meter') {
      if (applied.length > 0 || meter) fail(); // the meter instruction comes first
      meter = typed(6, bytesOf(BigInt(a.id), 4));
    } else applied.push(action(a, texts[i]!));
  });
  const apply = applied.length > 0 ? typed(4, Buffer.concat([Buffer.alloc(4), ...applied])) : undefined;
  return Buffer.concat([meter, apply, goto].filter((b): b is Buffer => b !== undefined));
}

/**
 * One flows.txt line as its table, priority, cookie, match and instructions (parsed by review/openflow/parse.ts,
 * the reader `dpc explain` uses); undefined when it uses a field, action or attribute not encoded here.
 */
export function encodeFlow(line: string, withActions = true): FlowText | undefined {
  const at = line.indexOf(' actions=');
  if (at < 0 || UNENCODED.test(line.slice(0, at))) return undefined;
  try {
    const flow = parseFlow(line);
    if (flow.table > 254 || flow.priority > 65535) return undefined;
    const instructions = withActions ? encodeInstructions(flow.actions, splitTop(line.slice(at + 9))) : Buffer.alloc(0);
    return { cookie: flow.cookie, table: flow.table, priority: flow.priority, oxm: encodeMatch(flow.match), instructions };
  } catch {
    // Outside the vocabulary here, or a spelling parse.ts cannot read: ovs-ofctl reads every spelling.
    return undefined;
  }
}

/** The OF1.3 flow_mod: an add carries the cookie and instructions; a strict delete matches the cookie exactly. */
export function flowModMessage(flow: FlowText, command: number, xid: number): Buffer {
  const match = pad8(Buffer.concat([Buffer.from([0, 1, 0, 0]), flow.oxm]));
  match.writeUInt16BE(4 + flow.oxm.length, 2);
  const fixed = Buffer.alloc(48);
  fixed.writeUInt8(OFP13, 0);
  fixed.writeUInt8(OFPT_FLOW_MOD, 1);
  fixed.writeUInt32BE(xid >>> 0, 4);
  fixed.writeBigUInt64BE(flow.cookie, 8);
  fixed.writeBigUInt64BE(command === FLOW_MOD.add ? 0n : 0xffff_ffff_ffff_ffffn, 16);
  fixed.writeUInt8(flow.table, 24);
  fixed.writeUInt8(command, 25);
  fixed.writeUInt16BE(flow.priority, 30);
  fixed.writeUInt32BE(OFP_NO_BUFFER, 32);
  fixed.writeUInt32BE(OFPP_ANY, 36);
  fixed.writeUInt32BE(OFPG_ANY, 40);
  const body = command === FLOW_MOD.add ? flow.instructions : Buffer.alloc(0);
  const m = Buffer.concat([fixed, match, body]);
  m.writeUInt16BE(m.length, 2);
  return m;
}
