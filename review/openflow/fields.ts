/**
 * The OpenFlow fields the interpreter knows, by the names `ovs-ofctl` prints in flows.txt, with their widths, and
 * the NXM/OXM names `move`/`load` and `output:` use for the same fields. A packet holds every field as a bigint.
 */

export interface FieldDef {
  readonly name: string;
  readonly bits: number;
  readonly kind: 'int' | 'ipv4' | 'ipv6' | 'mac' | 'ct_state';
}

const defs: [string, number, FieldDef['kind']][] = [
  ['in_port', 32, 'int'],
  ['dl_src', 48, 'mac'],
  ['dl_dst', 48, 'mac'],
  ['dl_type', 16, 'int'],
  ['dl_vlan', 12, 'int'],
  ['vlan_tci', 16, 'int'],
  ['nw_src', 32, 'ipv4'],
  ['nw_dst', 32, 'ipv4'],
  ['ipv6_src', 128, 'ipv6'],
  ['ipv6_dst', 128, 'ipv6'],
  ['nw_proto', 8, 'int'],
  ['nw_ttl', 8, 'int'],
  ['nw_tos', 8, 'int'],
  ['ip_dscp', 6, 'int'],
  ['nw_frag', 2, 'int'],
  ['tp_src', 16, 'int'],
  ['tp_dst', 16, 'int'],
  ['tcp_flags', 12, 'int'],
  ['icmp_type', 8, 'int'],
  ['icmp_code', 8, 'int'],
  ['arp_op', 16, 'int'],
  ['arp_spa', 32, 'ipv4'],
  ['arp_tpa', 32, 'ipv4'],
  ['arp_sha', 48, 'mac'],
  ['arp_tha', 48, 'mac'],
  ['ct_state', 32, 'ct_state'],
  ['ct_mark', 32, 'int'],
  ['ct_label', 128, 'int'],
  ['ct_zone', 16, 'int'],
  ['ct_nw_src', 32, 'ipv4'],
  ['ct_nw_dst', 32, 'ipv4'],
  ['ct_nw_proto', 8, 'int'],
  ['ct_tp_src', 16, 'int'],
  ['ct_tp_dst', 16, 'int'],
  ['metadata', 64, 'int'],
  ['tun_id', 64, 'int'],
  ['tun_src', 32, 'ipv4'],
  ['tun_dst', 32, 'ipv4'],
  ['pkt_mark', 32, 'int'],
  ['conj_id', 32, 'int'],
  ['actset_output', 32, 'int'],
];
for (let i = 0; i < 16; i++) defs.push([`reg${i}`, 32, 'int']);
for (let i = 0; i < 8; i++) defs.push([`xreg${i}`, 64, 'int']);
for (let i = 0; i < 4; i++) defs.push([`xxreg${i}`, 128, 'int']);

export const FIELDS: ReadonlyMap<string, FieldDef> = new Map(defs.map(([name, bits, kind]) => [name, { name, bits, kind }]));

/** Other spellings OVS accepts for the same field. */
const ALIASES: Record<string, string> = {
  eth_src: 'dl_src',
  eth_dst: 'dl_dst',
  eth_type: 'dl_type',
  ip_src: 'nw_src',
  ip_dst: 'nw_dst',
  ip_proto: 'nw_proto',
  ip_ttl: 'nw_ttl',
  tcp_src: 'tp_src',
  tcp_dst: 'tp_dst',
  udp_src: 'tp_src',
  udp_dst: 'tp_dst',
  sctp_src: 'tp_src',
  sctp_dst: 'tp_dst',
  icmpv4_type: 'icmp_type',
  icmpv4_code: 'icmp_code',
  icmpv6_type: 'icmp_type',
  icmpv6_code: 'icmp_code',
  tun_ipv4_src: 'tun_src',
  tun_ipv4_dst: 'tun_dst',
  ct_ipv4_src: 'ct_nw_src',
  ct_ipv4_dst: 'ct_nw_dst',
  nw_ecn: 'nw_tos',
  arp_sha: 'arp_sha',
};

const NXM: Record<string, string> = {
  NXM_OF_IN_PORT: 'in_port',
  NXM_OF_ETH_SRC: 'dl_src',
  NXM_OF_ETH_DST: 'dl_dst',
  NXM_OF_ETH_TYPE: 'dl_type',
  NXM_OF_IP_SRC: 'nw_src',
  NXM_OF_IP_DST: 'nw_dst',
  NXM_OF_IP_PROTO: 'nw_proto',
  NXM_NX_IP_TTL: 'nw_ttl',
  NXM_OF_TCP_SRC: 'tp_src',
  NXM_OF_TCP_DST: 'tp_dst',
  NXM_OF_UDP_SRC: 'tp_src',
  NXM_OF_UDP_DST: 'tp_dst',
  NXM_OF_ARP_OP: 'arp_op',
  NXM_OF_ARP_SPA: 'arp_spa',
  NXM_OF_ARP_TPA: 'arp_tpa',
  NXM_NX_ARP_SHA: 'arp_sha',
  NXM_NX_ARP_THA: 'arp_tha',
  NXM_NX_CT_STATE: 'ct_state',
  NXM_NX_CT_MARK: 'ct_mark',
  NXM_NX_CT_LABEL: 'ct_label',
  NXM_NX_CT_ZONE: 'ct_zone',
  NXM_NX_CT_NW_SRC: 'ct_nw_src',
  NXM_NX_CT_NW_DST: 'ct_nw_dst',
  NXM_NX_TUN_ID: 'tun_id',
  NXM_NX_TUN_IPV4_SRC: 'tun_src',
  NXM_NX_TUN_IPV4_DST: 'tun_dst',
  NXM_NX_PKT_MARK: 'pkt_mark',
  OXM_OF_METADATA: 'metadata',
  OXM_OF_IN_PORT: 'in_port',
};

/** The interpreter's name for any spelling of a field, or undefined when it is not a field it knows. */
export function fieldName(spelled: string): string | undefined {
  const direct = ALIASES[spelled] ?? spelled;
  if (FIELDS.has(direct)) return direct;
  const nxm = NXM[spelled];
  if (nxm) return nxm;
  const reg = /^NXM_NX_(X{0,2})REG(\d+)$/.exec(spelled) ?? /^OXM_OF_PKT_REG(\d+)$/.exec(spelled);
  if (reg) return reg.length === 3 ? `${reg[1]!.toLowerCase()}reg${reg[2]}` : `xreg${reg[1]}`;
  return undefined;
}

/** ct_state flag bits as OVS numbers them. */
export const CT_STATE_BITS: Readonly<Record<string, bigint>> = {
  new: 0x01n,
  est: 0x02n,
  rel: 0x04n,
  rpl: 0x08n,
  inv: 0x10n,
  trk: 0x20n,
  snat: 0x40n,
  dnat: 0x80n,
};

export const ones = (bits: number): bigint => (1n << BigInt(bits)) - 1n;

/** Registers are views of the wider xreg/xxreg: reading or writing one keeps the others consistent. */
export function registerView(name: string): { base: number; words: number } | undefined {
  let m = /^reg(\d+)$/.exec(name);
  if (m) return { base: Number(m[1]), words: 1 };
  m = /^xreg(\d+)$/.exec(name);
  if (m) return { base: Number(m[1]) * 2, words: 2 };
  m = /^xxreg(\d+)$/.exec(name);
  if (m) return { base: Number(m[1]) * 4, words: 4 };
  return undefined;
}
