/**
 * Connections as the bridge's conntrack shows them (`ovs-appctl dpctl/dump-conntrack -m -s`), the source Antrea's
 * exporter uses for OVS's own datapath (pkg/agent/flowexporter/connections/conntrack_ovs.go), filtered as Antrea
 * filters them (conntrack.go filterAntreaConns): Antrea's zone only, not to a gateway, and committed by the
 * pipeline (a ct_mark source bit set), so connections a policy denied never count as allowed ones.
 */

export interface CtConnection {
  readonly protocol: number;
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  /** The original direction's destination before DNAT (a Service address), and its port. */
  readonly origDst: string;
  readonly origDport: number;
  readonly zone: number;
  readonly mark: number;
  /** ct_label as 16 big-endian bytes. */
  readonly labels: Buffer;
  readonly status: number;
  /** Kernel-style TCP state (ESTABLISHED, SYN_SENT, TIME_WAIT, CLOSE, ...); empty for other protocols. */
  readonly tcpState: string;
  readonly packets: bigint;
  readonly bytes: bigint;
  readonly reversePackets: bigint;
  readonly reverseBytes: bigint;
  /** Seconds since the epoch when conntrack says it started; 0 when the dump does not say. */
  readonly startSeconds: number;
}

const PROTOCOLS: Readonly<Record<string, number>> = { icmp: 1, tcp: 6, udp: 17, sctp: 132, icmpv6: 58 };
/** IPS_DYING (status bit 9): the connection is being torn down. */
export const CT_STATUS_DYING = 1 << 9;
/** ConnSourceCTMarkField (ct_mark[0..3]): set when the pipeline commits a connection it forwarded. */
const CONN_SOURCE_MASK = 0xf;

/** Splits on commas outside parentheses, keeping `key=(...)` groups whole. */
function topLevel(line: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(line.slice(start, i));
      start = i + 1;
    }
  }
  out.push(line.slice(start));
  return out.map((s) => s.trim()).filter(Boolean);
}

function group(text: string): Map<string, string> {
  const inner = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
  return new Map(
    topLevel(inner).map((kv) => {
      const eq = kv.indexOf('=');
      return eq < 0 ? [kv, ''] : [kv.slice(0, eq), kv.slice(eq + 1)];
    }),
  );
}

function labelBytes(text: string): Buffer {
  const hex = text.replace(/^0x/, '').padStart(32, '0').slice(-32);
  return /^[0-9a-fA-F]{32}$/.test(hex) ? Buffer.from(hex, 'hex') : Buffer.alloc(16);
}

/**
 * The userspace conntrack tracks each side's TCP state; the kernel names one state for the connection. Closing wins
 * (so a closing connection is seen dying as Antrea sees it from the kernel), then the least advanced side.
 */
function tcpState(proto: Map<string, string>): string {
  const single = proto.get('state');
  if (single) return single;
  const sides = [proto.get('state_orig'), proto.get('state_reply')].filter((s): s is string => !!s);
  if (sides.length === 0) return '';
  if (sides.includes('TIME_WAIT')) return 'TIME_WAIT';
  if (sides.some((s) => s === 'CLOSED' || s === 'CLOSE')) return 'CLOSE';
  for (const s of ['SYN_SENT', 'SYN_RECV', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSING']) if (sides.includes(s)) return s;
  return sides[0]!;
}

function counters(g: Map<string, string>): { packets: bigint; bytes: bigint } {
  const n = (k: string) => (/^\d+$/.test(g.get(k) ?? '') ? BigInt(g.get(k)!) : 0n);
  return { packets: n('packets'), bytes: n('bytes') };
}

/** One dump line, or undefined when it is not an IP connection dpc can read. */
export function parseConntrackLine(line: string): CtConnection | undefined {
  const parts = topLevel(line.trim());
  const protocol = PROTOCOLS[parts[0] ?? ''];
  if (protocol === undefined) return undefined;
  const kv = new Map<string, string>();
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq > 0) kv.set(p.slice(0, eq), p.slice(eq + 1));
  }
  const orig = kv.get('orig');
  const reply = kv.get('reply');
  if (!orig || !reply) return undefined;
  const o = group(`(${orig.slice(1, -1)})`);
  const r = group(`(${reply.slice(1, -1)})`);
  // The connection as Antrea keys it: the original source, and the reply's source (the real, post-DNAT destination).
  const src = o.get('src');
  const dst = r.get('src');
  if (!src || !dst) return undefined;
  const oc = counters(o);
  const rc = counters(r);
  const start = kv.get('start');
  return {
    protocol,
    src,
    dst,
    sport: Number(o.get('sport') ?? 0),
    dport: Number(r.get('sport') ?? 0),
    origDst: o.get('dst') ?? dst,
    origDport: Number(o.get('dport') ?? 0),
    zone: Number(kv.get('zone') ?? 0),
    mark: Number(kv.get('mark') ?? 0),
    labels: labelBytes(kv.get('labels') ?? '0'),
    status: Number(kv.get('status') ?? 0),
    tcpState: protocol === 6 ? tcpState(group(kv.get('protoinfo') ? `(${kv.get('protoinfo')!.slice(1, -1)})` : '()')) : '',
    packets: oc.packets,
    bytes: oc.bytes,
    reversePackets: rc.packets,
    reverseBytes: rc.bytes,
    startSeconds: start ? Math.floor(Date.parse(`${start}Z`) / 1000) || 0 : 0,
  };
}

export interface ConntrackFilter {
  readonly zone: number;
  /** Gateway addresses of this Node: connections to them are not exported. */
  readonly gateways: ReadonlySet<string>;
}

/** The connections of a dump Antrea's exporter considers. */
export function parseConntrackDump(dump: string, filter: ConntrackFilter): CtConnection[] {
  const out: CtConnection[] = [];
  for (const line of dump.split('\n')) {
    const c = parseConntrackLine(line);
    if (!c || c.zone !== filter.zone || filter.gateways.has(c.dst)) continue;
    if ((c.mark & CONN_SOURCE_MASK) === 0) continue;
    out.push(c);
  }
  return out;
}
