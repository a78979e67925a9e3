/**
 * Host links, addresses, routes and policy rules of net/routes.txt (`ip -batch` lines: links and IPv4) and
 * net/routes6.txt (`ip -6 -batch` lines: IPv6), in the current network namespace. Owned, and nothing else read for the diff or touched:
 * - the devices antrea-egress0 and antrea-ext.* (Antrea's Egress devices) and the addresses on them (not IPv6
 *   link-local ones, which the kernel adds);
 * - every route in the Egress route tables 101–120, and every ip rule that looks up one of them.
 * Main-table routes, foreign rules and other devices' addresses are never touched.
 *
 * One `ip -batch` per family makes the whole change, new before old: missing devices created and brought up,
 * addresses added, routes replaced, rules added, then stale rules, routes, addresses and VLAN devices removed. The
 * batch is handed to `ip` whole, so a kill of dpc leaves `ip` to finish it. The kernel has no transaction for
 * these objects: if a line fails, the kind is rolled back by applying the state read before, so a failed apply
 * leaves the previous state. An existing antrea-egress0 is used as it is found (Antrea's agent does the same);
 * it is never removed, only emptied.
 */
import { lines as textLines, type BundleMeta } from '../bundle.js';
import { checkpoint, run, runTool, RuntimeError } from '../tools.js';
import type { ArtifactKind, KindContext, KindPlan } from './kind.js';

const FILE = 'net/routes.txt';
const FILE6 = 'net/routes6.txt';
export const MIN_TABLE = 101;
export const MAX_TABLE = 120;
const DUMMY = 'antrea-egress0';
const VLAN_PREFIX = 'antrea-ext.';

const ownedDevice = (name: string): boolean => name === DUMMY || name.startsWith(VLAN_PREFIX);
const ownedTable = (t: number): boolean => t >= MIN_TABLE && t <= MAX_TABLE;

interface Link {
  name: string;
  type: string;
  parent?: string;
  vlan?: number;
  up: boolean;
}

/** The owned state in canonical lines (routes.txt's spelling), keyed for diffing. */
interface NetState {
  links: Map<string, Link>;
  /** `address add IP/P dev D` lines. */
  addresses: Set<string>;
  /** Route identity (family, table, destination) → its `route replace` line. */
  routes: Map<string, string>;
  /** `rule add fwmark M/MASK lookup T` lines (with `-6 ` for IPv6); the kernel keeps duplicates, so a list. */
  rules: string[];
}

const empty = (): NetState => ({ links: new Map(), addresses: new Set(), routes: new Map(), rules: [] });

const v6 = (ip: string): boolean => ip.includes(':');
/** A line of the state that belongs in routes6.txt (`ip -6 -batch`): IPv6 routes and rules, and IPv6 addresses. */
const isV6 = (l: string): boolean => l.startsWith('-6 ') || (l.startsWith('address ') && l.split(' ')[2]!.includes(':'));
const withPrefix = (dst: string): string => (dst === 'default' || dst.includes('/') ? dst : `${dst}/${v6(dst) ? 128 : 32}`);

function routeLine(r: { dst: string; via?: string; dev: string; scopeLink: boolean; table: number }): { key: string; line: string } {
  const dst = withPrefix(r.dst);
  const fam = (dst !== 'default' && v6(dst)) || (r.via !== undefined && v6(r.via)) ? '-6 ' : '';
  // IPv6 routes have no scope: the kernel takes `scope link` and shows none, so it is not part of the state.
  const scope = r.scopeLink && fam === '' ? ' scope link' : '';
  return {
    key: `${fam}${r.table} ${dst}`,
    line: `${fam}route replace ${dst}${r.via ? ` via ${r.via}` : ''} dev ${r.dev}${scope} table ${r.table}`,
  };
}

const ruleLine = (fam: 4 | 6, mark: string, mask: string, table: number): string =>
  `${fam === 6 ? '-6 ' : ''}rule add fwmark 0x${BigInt(mark).toString(16)}/0x${BigInt(mask).toString(16)} lookup ${table}`;

const linkLine = (l: Link): string =>
  l.type === 'vlan' ? `link add link ${l.parent} name ${l.name} type vlan id ${l.vlan}` : `link add ${l.name} type ${l.type}`;

/**
 * A file's lines in the state's spelling, where IPv6 routes and rules carry `-6 `: routes6.txt's are IPv6 by the
 * file, and routes.txt, read by `ip -batch`, may not carry the prefix at all.
 */
function stateLines(text: string, text6: string): { file: string; line: string }[] {
  const four = textLines(text).map((l) => {
    if (l.startsWith('-6 ')) throw new RuntimeError(`${FILE}: ${l}: ip -batch takes no per-line -6; IPv6 lines belong in ${FILE6}`);
    return { file: FILE, line: l };
  });
  const six = textLines(text6).map((l) => {
    if (!/^(address|route|rule) /.test(l)) throw new RuntimeError(`${FILE6}: ${l}: only addresses, routes and rules (devices are made in ${FILE})`);
    return { file: FILE6, line: l.startsWith('address ') ? l : `-6 ${l}` };
  });
  return [...four, ...six];
}

/**
 * routes.txt and routes6.txt → the state they ask for. Lines outside what the kind owns, or that `ip` would not take
 * from that file, are refused (an operator's error, exit 1), not silently applied.
 */
export function parseRoutes(text: string, text6 = ''): NetState {
  const s = empty();
  for (const { file, line: l } of stateLines(text, text6)) {
    let m: RegExpExecArray | null;
    if ((m = /^link add link (\S+) name (\S+) type vlan id (\d+)$/.exec(l))) s.links.set(m[2]!, { name: m[2]!, type: 'vlan', parent: m[1]!, vlan: Number(m[3]), up: false });
    else if ((m = /^link add (\S+) type (\S+)$/.exec(l))) s.links.set(m[1]!, { name: m[1]!, type: m[2]!, up: false });
    else if ((m = /^link set (\S+) up$/.exec(l))) {
      const link = s.links.get(m[1]!);
      if (!link) throw new RuntimeError(`${FILE}: ${l}: no such device in the bundle`);
      link.up = true;
    } else if ((m = /^address add (\S+)\/(\d+) dev (\S+)$/.exec(l))) s.addresses.add(`address add ${m[1]}/${m[2]} dev ${m[3]}`);
    else if ((m = /^(?:-6 )?route replace (\S+)(?: via (\S+))? dev (\S+)( scope link)? table (\d+)$/.exec(l))) {
      const r = routeLine({ dst: m[1]!, ...(m[2] ? { via: m[2] } : {}), dev: m[3]!, scopeLink: !!m[4], table: Number(m[5]) });
      s.routes.set(r.key, r.line);
    } else if ((m = /^(-6 )?rule add fwmark (0x[0-9a-f]+)\/(0x[0-9a-f]+) lookup (\d+)$/.exec(l))) {
      const r = ruleLine(m[1] ? 6 : 4, m[2]!, m[3]!, Number(m[4]));
      if (!s.rules.includes(r)) s.rules.push(r);
    }
    else throw new RuntimeError(`${file}: cannot read ${JSON.stringify(l)}`);
  }
  for (const a of s.addresses) if (!ownedDevice(a.split(' dev ')[1]!)) throw new RuntimeError(`${FILE}: ${a}: not a device dpc owns (${DUMMY}, ${VLAN_PREFIX}*)`);
  for (const [key, r] of s.routes) if (!ownedTable(Number(key.replace(/^-6 /, '').split(' ')[0]))) throw new RuntimeError(`${FILE}: ${r}: table outside ${MIN_TABLE}–${MAX_TABLE}`);
  for (const r of s.rules) if (!ownedTable(Number(r.split(' lookup ')[1]))) throw new RuntimeError(`${FILE}: ${r}: table outside ${MIN_TABLE}–${MAX_TABLE}`);
  for (const l of s.links.values()) if (!ownedDevice(l.name)) throw new RuntimeError(`${FILE}: device ${l.name} is not one dpc owns (${DUMMY}, ${VLAN_PREFIX}*)`);
  return s;
}

interface IpLink {
  ifname: string;
  link?: string;
  flags?: string[];
  linkinfo?: { info_kind?: string; info_data?: { id?: number } };
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  table?: string;
  scope?: string;
  type?: string;
}
interface IpRule {
  priority: number;
  fwmark?: string;
  fwmask?: string;
  table?: string;
  src?: string;
  dst?: string;
  iif?: string;
  oif?: string;
}

/** The owned live state, from one `ip -j -d -batch` for addresses (with their devices), IPv4 routes and rules, one for IPv6. */
export function readNet(): NetState {
  const [addrs, v4routes, v4rules] = jsonBatch(['address show', 'route show table all', 'rule show'], []);
  // A Node booted without IPv6 answers the IPv6 reads with an error: it has no IPv6 routes or rules to own.
  let v6routes: unknown[] = [];
  let v6rules: unknown[] = [];
  try {
    [v6routes = [], v6rules = []] = jsonBatch(['route show table all', 'rule show'], ['-6']);
  } catch {
    // no IPv6
  }
  const s = empty();
  for (const l of addrs as IpLink[]) {
    if (!ownedDevice(l.ifname)) continue;
    const type = l.linkinfo?.info_kind ?? 'unknown';
    s.links.set(l.ifname, { name: l.ifname, type, ...(type === 'vlan' ? { parent: l.link, vlan: l.linkinfo?.info_data?.id } : {}), up: (l.flags ?? []).includes('UP') });
    for (const a of l.addr_info ?? []) {
      if (a.family === 'inet6' && a.scope === 'link') continue;
      s.addresses.add(`address add ${a.local}/${a.prefixlen} dev ${l.ifname}`);
    }
  }
  for (const r of [...(v4routes as IpRoute[]), ...(v6routes as IpRoute[])]) {
    const table = Number(r.table);
    if (!ownedTable(table)) continue;
    const x = routeLine({ dst: r.dst, ...(r.gateway ? { via: r.gateway } : {}), dev: r.dev ?? r.type ?? '?', scopeLink: r.scope === 'link', table });
    s.routes.set(x.key, x.line);
  }
  for (const [fam, rules] of [[4, v4rules], [6, v6rules]] as const) {
    for (const r of rules as IpRule[]) {
      const table = Number(r.table);
      if (!ownedTable(table)) continue;
      // A rule into an owned table with selectors dpc never writes is still owned: shown as it is, and removed.
      const extra = [r.src && r.src !== 'all' ? `from ${r.src}` : '', r.dst ? `to ${r.dst}` : '', r.iif ? `iif ${r.iif}` : '', r.oif ? `oif ${r.oif}` : ''].filter(Boolean);
      s.rules.push(
        extra.length === 0 && r.fwmark
          ? ruleLine(fam, r.fwmark, r.fwmask ?? '0xffffffff', table)
          : `${fam === 6 ? '-6 ' : ''}rule add ${[...extra, ...(r.fwmark ? [`fwmark ${r.fwmark}/${r.fwmask ?? '0xffffffff'}`] : [])].join(' ')} lookup ${table}`,
      );
    }
  }
  return s;
}

function jsonBatch(commands: readonly string[], opts: readonly string[]): unknown[][] {
  const out = run('ip', ['-j', '-d', ...opts, '-batch', '-'], { input: `${commands.join('\n')}\n` });
  // One JSON array per command, one per line.
  return out.split('\n').filter((l) => l.startsWith('[')).map((l) => JSON.parse(l) as unknown[]);
}

/** The `ip -batch` lines that turn `live` into `want`, new before old. */
export function netChanges(live: NetState, want: NetState): string[] {
  const add: string[] = [];
  const del: string[] = [];
  for (const [name, l] of want.links) {
    const have = live.links.get(name);
    // An existing device of this name is used as found, except a VLAN device on the wrong parent or ID.
    const wrongVlan = have && l.type === 'vlan' && (have.type !== 'vlan' || have.parent !== l.parent || have.vlan !== l.vlan);
    if (wrongVlan) add.push(`link del ${name}`);
    if (!have || wrongVlan) add.push(linkLine(l));
    if (l.up && (!have || wrongVlan || !have.up)) add.push(`link set ${name} up`);
  }
  for (const a of want.addresses) if (!live.addresses.has(a)) add.push(a.replace(/^address add /, 'address replace '));
  for (const [key, r] of want.routes) if (live.routes.get(key) !== r) add.push(r);
  for (const r of want.rules) if (!live.rules.includes(r)) add.push(r);
  // Each live copy beyond the one the bundle keeps is deleted (`rule del` removes one match at a time).
  const kept = new Set<string>();
  for (const r of live.rules) {
    if (want.rules.includes(r) && !kept.has(r)) kept.add(r);
    else del.push(r.replace(/^(-6 )?rule add /, '$1rule del '));
  }
  for (const key of live.routes.keys()) {
    if (want.routes.has(key)) continue;
    const fam = key.startsWith('-6 ') ? '-6 ' : '';
    const [table, dst] = key.replace(/^-6 /, '').split(' ');
    del.push(`${fam}route del ${dst} table ${table}`);
  }
  for (const a of live.addresses) if (!want.addresses.has(a)) del.push(a.replace(/^address add /, 'address del '));
  for (const [name] of live.links) if (!want.links.has(name) && name !== DUMMY) del.push(`link del ${name}`);
  // IPv6 lines run in their own `ip -6 -batch`, between the IPv4 ones: after the devices they use are made, and
  // before a device that goes takes its IPv6 routes with it (a later `route del` would fail).
  return [...add.filter((l) => !isV6(l)), ...add.filter(isV6), ...del.filter(isV6), ...del.filter((l) => !isV6(l))];
}

/** Runs the lines as the bundle's files are loaded: links and IPv4 with `ip -batch`, IPv6 with `ip -6 -batch`. */
function runBatch(batch: readonly string[], force: boolean): void {
  const f = force ? ['-force'] : [];
  // Consecutive lines of one family go in one run; netChanges orders them IPv4, IPv6, IPv4.
  for (let i = 0; i < batch.length; ) {
    const six = isV6(batch[i]!);
    let j = i;
    while (j < batch.length && isV6(batch[j]!) === six) j++;
    const lines = batch.slice(i, j).map((l) => l.replace(/^-6 /, ''));
    runTool('ip', [...(six ? ['-6'] : []), ...f, '-batch', '-'], { input: `${lines.join('\n')}\n` });
    i = j;
  }
}

/** The state as the lines of routes.txt and routes6.txt, for `dpc diff --live`. */
function show(s: NetState): { four: string[]; six: string[] } {
  const all = [
    ...[...s.links.values()].flatMap((l) => [linkLine(l), ...(l.up ? [`link set ${l.name} up`] : [])]),
    ...[...s.addresses].sort(),
    ...[...s.routes.values()].sort(),
    ...[...s.rules].sort(),
  ];
  return { four: all.filter((l) => !isV6(l)), six: all.filter(isV6).map((l) => l.replace(/^-6 /, '')) };
}

function planNet(ctx: KindContext): KindPlan {
  const want = parseRoutes(ctx.bundle.text(FILE) ?? '', ctx.bundle.text(FILE6) ?? '');
  const live = readNet();
  const batch = netChanges(live, want);
  // Seen through the bundle: a device the bundle names and the Node has (not a wrong VLAN device) is the bundle's.
  const seen = new Map([...live.links].map(([n, l]) => {
    const w = want.links.get(n);
    return [n, w && w.type !== 'vlan' ? { ...w, up: l.up } : l];
  }));
  const [shownLive, shownWant] = [show({ ...live, links: seen }), show(want)];
  return {
    kind: 'net',
    files: [
      { path: FILE, live: shownLive.four, desired: shownWant.four, compare: () => 0 },
      { path: FILE6, live: shownLive.six, desired: shownWant.six, compare: () => 0 },
    ],
    changes: batch.map((l) => (/^(-6 )?\S+ del /.test(l) ? `- ${l}` : `+ ${l}`)),
    apply: async () => {
      try {
        runBatch(batch, false);
      } catch (e) {
        // No kernel transaction: put back what was there, then report the failure.
        runBatch(netChanges(readNet(), live), true);
        throw e;
      }
      checkpoint('net-applied');
    },
    record: new Map([['dpc-net', want.links.size + want.addresses.size + want.routes.size + want.rules.length > 0 ? 'yes' : '']]),
  };
}

export const netKind: ArtifactKind = {
  name: 'net',
  tools: ['ip'],
  // A Node that lost its Egress IPs gets a bundle without routes.txt: what an earlier bundle put there is removed.
  inBundle: (meta: BundleMeta, recorded) => FILE in meta.artifacts || FILE6 in meta.artifacts || recorded.get('dpc-net') === 'yes',
  plan: async (ctx) => planNet(ctx),
};
