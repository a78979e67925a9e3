/**
 * Pod bandwidth shaping (tc/links.txt, tc/tc.txt), in the current network namespace. Owned, and nothing else read
 * for the diff or touched:
 * - ifb devices named `dpcbw…` (compiler/allocate/ifbDevices.ts), and the root qdisc on them;
 * - on every Pod interface of the bundle's inventory: a tbf root qdisc with handle 1:, the ingress qdisc and the
 *   filters on it. An unannotated Pod has neither (the CNI bandwidth plugin adds nothing), so a Pod whose
 *   annotation went loses them, and other qdiscs (noqueue, a root qdisc of another kind) are never touched.
 *
 * The change is, new before old: one `ip -batch` creating and raising missing ifb devices, one `tc -batch` with the
 * qdiscs and filters to replace and then the ones to remove, one `ip -batch` deleting stale ifb devices. The kernel
 * has no transaction here: if a step fails, the state read before is applied back.
 *
 * The kernel keeps a tbf's burst as a time in scheduler ticks and reports it, with the queue limit as a latency,
 * through that conversion: a live tbf is the bundle's when its rate is equal and its burst and latency are what tc
 * derives from the bundle's burst and limit (to a µs), with the tick rate of /proc/net/psched.
 */
import { readFileSync } from 'node:fs';
import { lines as textLines, type BundleMeta } from '../bundle.js';
import { checkpoint, run, runTool } from '../tools.js';
import type { ArtifactKind, KindContext, KindPlan } from './kind.js';
import { appendAll } from '../../compiler/util/append.js';

const LINKS = 'tc/links.txt';
const TC = 'tc/tc.txt';
const IFB_PREFIX = 'dpcbw';
const RECORD_KEY = 'dpc-tc';
const TIME_UNITS_PER_SEC = 1e6;
const U32 = 2 ** 32;
/** tc prints burst and latency after its own float rounding: a couple of bytes or µs either way is the same tbf. */
const ROUNDING = 2;

export interface Tbf {
  /** Bytes per second. */
  rate: number;
  /** As the bundle gives them (bytes); absent for a live qdisc. */
  burst?: number;
  limit?: number;
  /** As tc reports a live qdisc: the burst in bytes and the latency in µs, both derived from ticks. */
  shownBurst?: number;
  lat?: number;
}

export interface TcState {
  /** ifb device → up. */
  ifbs: Map<string, boolean>;
  /** Device → its tbf root qdisc (handle 1:). */
  tbfs: Map<string, Tbf>;
  /** Devices with an ingress qdisc. */
  ingress: Set<string>;
  /** Device → its filters under ffff:, as tc.txt lines (or `filter … pref P kind K` for one dpc never writes). */
  filters: Map<string, string[]>;
}

const empty = (): TcState => ({ ifbs: new Map(), tbfs: new Map(), ingress: new Set(), filters: new Map() });

const redirectLine = (dev: string, target: string): string =>
  `filter replace dev ${dev} parent ffff: protocol all prio 1 handle 800::800 u32 match u32 0 0 classid 1:1 action mirred egress redirect dev ${target}`;
const ingressLine = (dev: string): string => `qdisc replace dev ${dev} handle ffff: ingress`;

function tbfLine(dev: string, t: Tbf): string {
  const head = `qdisc replace dev ${dev} root handle 1: tbf rate ${t.rate * 8}bit`;
  if (t.limit !== undefined) return `${head} burst ${t.burst}b limit ${t.limit}b`;
  return `${head} burst ${t.shownBurst}b${t.lat !== undefined ? ` latency ${Math.round(t.lat)}us` : ''}`;
}

/** The scheduler's ticks per µs, as tc reads it (iproute2 tc_core_init). */
export function ticksPerUsec(psched = readFileSync('/proc/net/psched', 'utf8')): number {
  const [t2us, us2t, clockRes] = psched.trim().split(/\s+/).map((h) => parseInt(h, 16)) as [number, number, number];
  return ((clockRes === 1e9 ? us2t : t2us) / us2t) * (clockRes / TIME_UNITS_PER_SEC);
}

/** C's conversion of a double to unsigned int on x86-64: truncate to 64 bits, keep the low 32. */
const toU32 = (x: number): number => ((Math.trunc(x) % U32) + U32) % U32;

/**
 * What `tc -j qdisc show` reports for a tbf added by tc with this rate, burst and limit: tc turns the burst into
 * ticks (an unsigned int, so it wraps), and prints them back as whole µs. The CNI plugin truncates to whole µs
 * before its ticks, so its tbf's burst can be up to a µs at the rate shorter than tc's: sameTbf allows that.
 */
export function shownTbf(rate: number, burst: number, limit: number, tick: number): { burst: number; lat: number } {
  const buffer = toU32(TIME_UNITS_PER_SEC * (burst / rate) * tick);
  const bufferUs = Math.trunc(buffer / tick);
  return { burst: Math.trunc((rate * bufferUs) / TIME_UNITS_PER_SEC), lat: TIME_UNITS_PER_SEC * (limit / rate) - bufferUs };
}

export function sameTbf(want: Tbf, live: Tbf, tick: number): boolean {
  if (want.limit === undefined || live.shownBurst === undefined || want.rate !== live.rate) return false;
  const s = shownTbf(want.rate, want.burst!, want.limit, tick);
  const oneUs = want.rate / TIME_UNITS_PER_SEC;
  return Math.abs(s.burst - live.shownBurst) <= oneUs + ROUNDING && (live.lat === undefined || Math.abs(s.lat - live.lat) <= 1 + ROUNDING);
}

/** links.txt and tc.txt → the state they ask for. Lines on devices the kind does not own are refused. */
export function parseTc(links: string, tc: string, podInterfaces: ReadonlySet<string>): TcState {
  const s = empty();
  for (const l of textLines(links)) {
    let m: RegExpExecArray | null;
    if ((m = /^link add (\S+) type ifb$/.exec(l))) s.ifbs.set(m[1]!, false);
    else if ((m = /^link set (\S+) up$/.exec(l)) && s.ifbs.has(m[1]!)) s.ifbs.set(m[1]!, true);
    else throw new Error(`${LINKS}: cannot read ${JSON.stringify(l)}`);
  }
  for (const name of s.ifbs.keys()) if (!name.startsWith(IFB_PREFIX)) throw new Error(`${LINKS}: ${name} is not an ifb device dpc owns (${IFB_PREFIX}*)`);
  const owned = (dev: string): boolean => podInterfaces.has(dev) || s.ifbs.has(dev);
  for (const l of textLines(tc)) {
    let m: RegExpExecArray | null;
    let dev: string;
    if ((m = /^qdisc replace dev (\S+) root handle 1: tbf rate (\d+)bit burst (\d+)b limit (\d+)b$/.exec(l))) {
      dev = m[1]!;
      s.tbfs.set(dev, { rate: Number(m[2]) / 8, burst: Number(m[3]), limit: Number(m[4]) });
    } else if ((m = /^qdisc replace dev (\S+) handle ffff: ingress$/.exec(l))) {
      dev = m[1]!;
      s.ingress.add(dev);
    } else if ((m = /^filter replace dev (\S+) parent ffff: protocol all prio 1 handle 800::800 u32 match u32 0 0 classid 1:1 action mirred egress redirect dev (\S+)$/.exec(l))) {
      dev = m[1]!;
      if (!s.ifbs.has(m[2]!)) throw new Error(`${TC}: ${l}: redirects to a device links.txt does not create`);
      s.filters.set(dev, [...(s.filters.get(dev) ?? []), l]);
    } else throw new Error(`${TC}: cannot read ${JSON.stringify(l)}`);
    if (!owned(dev)) throw new Error(`${TC}: ${l}: ${dev} is neither a Pod interface of the bundle nor one of its ifb devices`);
  }
  return s;
}

interface TcQdisc {
  kind: string;
  handle: string;
  dev: string;
  root?: boolean;
  options?: { rate?: number; burst?: number | string; lat?: number };
}
interface TcFilter {
  pref: number;
  kind: string;
  options?: {
    fh?: string;
    flowid?: string;
    match?: { value: string; mask: string; off: number };
    actions?: { kind: string; mirred_action?: string; direction?: string; to_dev?: string }[];
  };
}
interface IpLink {
  ifname: string;
  flags?: string[];
  linkinfo?: { info_kind?: string };
}

/** One filter as a tc.txt line when it is exactly the redirect dpc writes; otherwise a line naming its pref and kind. */
function filterLine(dev: string, f: TcFilter): string | undefined {
  const o = f.options;
  if (!o?.fh || o.fh.endsWith(':')) return undefined; // the u32 hash table itself, not a filter
  const a = o.actions ?? [];
  const redirect = a.length === 1 && a[0]!.kind === 'mirred' && a[0]!.mirred_action === 'redirect' && a[0]!.direction === 'egress' ? a[0]!.to_dev : undefined;
  if (f.kind === 'u32' && f.pref === 1 && o.fh === '800::800' && o.flowid === '1:1' && o.match?.mask === '0' && o.match.off === 0 && redirect) return redirectLine(dev, redirect);
  return `filter dev ${dev} parent ffff: pref ${f.pref} ${f.kind} ${o.fh}`;
}

/** The owned live state: `ip -j -d link show`, `tc -j qdisc show`, and the filters of owned ingress qdiscs. */
export function readTc(podInterfaces: ReadonlySet<string>): TcState {
  const s = empty();
  for (const l of JSON.parse(run('ip', ['-j', '-d', 'link', 'show'])) as IpLink[]) {
    if (l.ifname.startsWith(IFB_PREFIX) && l.linkinfo?.info_kind === 'ifb') s.ifbs.set(l.ifname, (l.flags ?? []).includes('UP'));
  }
  const owned = (dev: string): boolean => podInterfaces.has(dev) || s.ifbs.has(dev);
  for (const q of JSON.parse(run('tc', ['-j', 'qdisc', 'show'])) as TcQdisc[]) {
    if (!owned(q.dev)) continue;
    if (q.kind === 'tbf' && q.root && q.handle === '1:') {
      const o = q.options ?? {};
      s.tbfs.set(q.dev, { rate: o.rate ?? 0, shownBurst: typeof o.burst === 'number' ? o.burst : -1, ...(o.lat !== undefined ? { lat: o.lat } : {}) });
    } else if (q.kind === 'ingress') s.ingress.add(q.dev);
  }
  for (const dev of s.ingress) {
    const filters = JSON.parse(run('tc', ['-j', 'filter', 'show', 'dev', dev, 'parent', 'ffff:'])) as TcFilter[];
    const shown = filters.map((f) => filterLine(dev, f)).filter((l): l is string => l !== undefined);
    if (shown.length > 0) s.filters.set(dev, shown.sort());
  }
  return s;
}

export interface TcChanges {
  /** ip lines run first (new ifb devices), tc lines, then ip lines run last (stale ifb devices). */
  linksFirst: string[];
  tc: string[];
  linksLast: string[];
}

/** The commands that turn `live` into `want`: new before old. */
export function tcChanges(live: TcState, want: TcState, tick: number): TcChanges {
  const linksFirst: string[] = [];
  const linksLast: string[] = [];
  const add: string[] = [];
  const del: string[] = [];
  for (const [name, up] of [...want.ifbs].sort()) {
    if (!live.ifbs.has(name)) linksFirst.push(`link add ${name} type ifb`);
    if (up && live.ifbs.get(name) !== true) linksFirst.push(`link set ${name} up`);
  }
  for (const [dev, t] of [...want.tbfs].sort()) {
    const have = live.tbfs.get(dev);
    if (!have || !(t.limit === undefined ? tbfLine(dev, t) === tbfLine(dev, have) : sameTbf(t, have, tick))) add.push(tbfLine(dev, t));
  }
  for (const dev of [...want.ingress].sort()) if (!live.ingress.has(dev)) add.push(ingressLine(dev));
  for (const [dev, lines] of [...want.filters].sort()) {
    const have = live.filters.get(dev) ?? [];
    if (have.join('\n') === [...lines].sort().join('\n')) continue;
    // Filters this device should not have go with the whole set at its parent; the bundle's follow at once.
    if (have.length > 0) add.push(`filter del dev ${dev} parent ffff:`);
    appendAll(add, lines);
  }
  for (const [dev, lines] of [...live.filters].sort()) {
    if (!want.filters.has(dev) && want.ingress.has(dev) && lines.length > 0) del.push(`filter del dev ${dev} parent ffff:`);
  }
  for (const dev of [...live.ingress].sort()) if (!want.ingress.has(dev)) del.push(`qdisc del dev ${dev} ingress`);
  for (const dev of [...live.tbfs.keys()].sort()) if (!want.tbfs.has(dev) && !(live.ifbs.has(dev) && !want.ifbs.has(dev))) del.push(`qdisc del dev ${dev} root`);
  for (const name of [...live.ifbs.keys()].sort()) if (!want.ifbs.has(name)) linksLast.push(`link del ${name}`);
  return { linksFirst, tc: [...add, ...del], linksLast };
}

/** The state as tc/ lines, for `dpc diff --live`; a live tbf equal to the bundle's shows as the bundle's line. */
function show(s: TcState, want: TcState, tick: number): string[] {
  const tbf = [...s.tbfs].map(([dev, t]) => {
    const w = want.tbfs.get(dev);
    return tbfLine(dev, w && sameTbf(w, t, tick) ? w : t);
  });
  return [
    ...[...s.ifbs].flatMap(([n, up]) => [`link add ${n} type ifb`, ...(up ? [`link set ${n} up`] : [])]),
    ...tbf,
    ...[...s.ingress].map(ingressLine),
    ...[...s.filters.values()].flat(),
  ].sort();
}

function runChanges(c: TcChanges, force: boolean): void {
  const f = force ? ['-force'] : [];
  if (c.linksFirst.length > 0) runTool('ip', [...f, '-batch', '-'], { input: `${c.linksFirst.join('\n')}\n` });
  if (c.tc.length > 0) runTool('tc', [...f, '-batch', '-'], { input: `${c.tc.join('\n')}\n` });
  if (c.linksLast.length > 0) runTool('ip', [...f, '-batch', '-'], { input: `${c.linksLast.join('\n')}\n` });
}

const count = (c: TcChanges): number => c.linksFirst.length + c.tc.length + c.linksLast.length;

function planTc(ctx: KindContext): KindPlan {
  const pods = new Set(ctx.bundle.meta.inventory.pods.map((p) => p.interface));
  const want = parseTc(ctx.bundle.text(LINKS) ?? '', ctx.bundle.text(TC) ?? '', pods);
  const live = readTc(pods);
  const tick = ticksPerUsec();
  const changes = tcChanges(live, want, tick);
  const all = [...changes.linksFirst, ...changes.tc, ...changes.linksLast];
  return {
    kind: 'tc',
    files: [{ path: TC, live: show(live, want, tick), desired: show(want, want, tick), compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0) }],
    changes: all.map((l) => (/^\S+ del /.test(l) ? `- ${l}` : `+ ${l}`)),
    apply: async () => {
      if (count(changes) === 0) return;
      try {
        runChanges(changes, false);
      } catch (e) {
        // No kernel transaction: put back what was there, then report the failure.
        runChanges(tcChanges(readTc(pods), live, tick), true);
        throw e;
      }
      checkpoint('tc-applied');
    },
    record: new Map([[RECORD_KEY, want.ifbs.size + want.tbfs.size + want.ingress.size > 0 ? 'yes' : '']]),
  };
}

export const tcKind: ArtifactKind = {
  name: 'tc',
  tools: ['ip', 'tc'],
  // A Node whose last shaped Pod lost its annotations gets a bundle without tc/: what an earlier bundle put there goes.
  inBundle: (meta: BundleMeta, recorded) => TC in meta.artifacts || LINKS in meta.artifacts || recorded.get(RECORD_KEY) === 'yes',
  plan: async (ctx) => planTc(ctx),
};
