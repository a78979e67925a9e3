/**
 * Flows, groups and meters on the bridge. Owned: flows whose cookie round (bits 48–63) is one the bundle's flows
 * carry or the last apply recorded, and groups and meters whose IDs the bundle or the last apply uses; nothing
 * else is read for the diff or touched.
 *
 * Every flow and group change goes to ovs-vswitchd as one OpenFlow bundle: as flow_mods on the apply's own
 * OpenFlow connection when every changed line is in runtime/openflow/flowMod.ts's vocabulary and no group changes,
 * else whole through `ovs-ofctl bundle` (never split between the two). Group adds and
 * modifications, then flow adds (a changed flow is an add over the same match, which replaces it in place, so
 * the flow never disappears), then deletes of flows the bundle lost, then group deletes. A kill at any moment
 * leaves the switch entirely before or after: an uncommitted OpenFlow bundle dies with its connection.
 * Meters cannot go in an OpenFlow bundle (OVS accepts only flow and group mods there), so new and changed meters
 * are set before the bundle, which may then use them, and removed meters after it, when no flow uses them.
 *
 * Reading 50,000 flows back from ovs-vswitchd takes seconds, so after each apply the runtime keeps a copy of the
 * flows.txt it applied in its state dir, and the next apply of a *new* bundle starts from that when the Node agrees
 * with it: the digest recorded on the bridge matches and the bridge holds exactly as many owned flows
 * (an aggregate-stats request per cookie round, on the connection when there is one). Both texts are in flows.txt's canonical order, so only the
 * lines between their common leading and trailing bytes can differ: a one-rule change reads a few lines, not
 * 50,000. Drift that keeps the count is found by the next reconcile: re-applying the bundle already applied (what
 * the DaemonSet's periodic resync does), `apply --full` and `dpc diff --live` always read everything.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lines, type LoadedBundle } from '../bundle.js';
import { ofctl } from '../ovs.js';
import { commitBundle, countFlows } from '../openflow/bundle.js';
import { encodeFlow, FLOW_MOD, flowModMessage } from '../openflow/flowMod.js';
import { checkpoint, RuntimeError, trace } from '../tools.js';
import type { ArtifactKind, KindContext, KindPlan, StartContext } from './kind.js';

const FLOWS = 'openflow/flows.txt';
const GROUPS = 'openflow/groups.txt';
const METERS = 'openflow/meters.txt';

const ROUND_SHIFT = 48n;
const ROUND_MASK = 0xffff_0000_0000_0000n;

const hex = (n: bigint): string => `0x${n.toString(16)}`;

export const cookieOf = (flow: string): bigint => {
  const m = /^cookie=(0x[0-9a-f]+)/.exec(flow);
  return m ? BigInt(m[1]!) : 0n;
};

/** table, priority and match: what identifies a flow on the switch (its cookie and actions do not). */
export function flowKey(flow: string): string {
  const at = flow.indexOf(' actions=');
  const head = at < 0 ? flow : flow.slice(0, at);
  return head.replace(/^cookie=0x[0-9a-f]+,\s*/, '');
}

function flowSortKey(text: string): { table: number; priority: number } {
  return { table: Number(/(?:^|, )table=(\d+)/.exec(text)?.[1] ?? 0), priority: Number(/priority=(\d+)/.exec(text)?.[1] ?? 32768) };
}

/** The order of flows.txt: table, then priority from high to low, then text. */
export function compareFlows(a: string, b: string): number {
  const ka = flowSortKey(a);
  const kb = flowSortKey(b);
  return ka.table - kb.table || kb.priority - ka.priority || (a < b ? -1 : a > b ? 1 : 0);
}

const idOf = (line: string, field: 'group_id' | 'meter'): number => Number(new RegExp(`(?:^|,)${field}=(\\d+)`).exec(line)?.[1] ?? NaN);
const byId = (field: 'group_id' | 'meter') => (a: string, b: string): number => idOf(a, field) - idOf(b, field) || (a < b ? -1 : a > b ? 1 : 0);
export const compareGroups = byId('group_id');
export const compareMeters = byId('meter');

const listOf = (value: string | undefined): string[] => (value ? value.split(',').filter(Boolean) : []);

interface OwnedState {
  flows: string[];
  groups: string[];
  meters: string[];
}

interface Ownership {
  rounds: bigint[];
  groupIds: Set<number>;
  meterIds: Set<number>;
}

const roundOf = (f: string): bigint => (f.startsWith('cookie=') ? BigInt(f.slice(7, f.indexOf(','))) >> ROUND_SHIFT : 0n);

/** Flows per cookie round (a handful of rounds among tens of thousands of flows). */
function roundCounts(flows: readonly string[]): Map<bigint, number> {
  const counts = new Map<bigint, number>();
  const byCookie = new Map<string, number>();
  for (const f of flows) {
    const c = f.startsWith('cookie=') ? f.slice(7, f.indexOf(',')) : '0x0';
    byCookie.set(c, (byCookie.get(c) ?? 0) + 1);
  }
  for (const [c, n] of byCookie) {
    const r = BigInt(c) >> ROUND_SHIFT;
    counts.set(r, (counts.get(r) ?? 0) + n);
  }
  return counts;
}

function ownership(ctx: StartContext, desired: OwnedState, desiredRounds: Iterable<bigint>): Ownership {
  const rounds = new Set(desiredRounds);
  for (const r of listOf(ctx.recorded.get('dpc-cookie-rounds'))) rounds.add(BigInt(r));
  rounds.delete(0n); // cookie 0 is every tool's default: never dpc's
  const groupIds = new Set([...desired.groups.map((g) => idOf(g, 'group_id')), ...listOf(ctx.recorded.get('dpc-group-ids')).map(Number)]);
  const meterIds = new Set([...desired.meters.map((m) => idOf(m, 'meter')), ...listOf(ctx.recorded.get('dpc-meter-ids')).map(Number)]);
  return { rounds: [...rounds].sort((a, b) => (a < b ? -1 : 1)), groupIds, meterIds };
}

const roundFilter = (round: bigint): string => `cookie=${hex(round << ROUND_SHIFT)}/${hex(ROUND_MASK)}`;

async function readLiveFlows(ctx: KindContext, rounds: readonly bigint[]): Promise<string[]> {
  const dumps = await Promise.all(rounds.map((r) => ofctl(ctx.conn, 'dump-flows', [roundFilter(r)], ['--no-names', '--no-stats'])));
  return dumps.flatMap((d) => lines(d).filter((l) => l.startsWith('cookie=')));
}

async function countLiveFlows(ctx: StartContext, rounds: readonly bigint[]): Promise<number> {
  const of = ctx.openflow;
  const counts = await Promise.all(
    rounds.map(async (r) => {
      if (of) return countFlows(of, r << ROUND_SHIFT, ROUND_MASK);
      const m = /flow_count=(\d+)/.exec(await ofctl(ctx.conn, 'dump-aggregate', [roundFilter(r)]));
      if (!m) throw new RuntimeError('ovs-ofctl dump-aggregate printed no flow_count');
      return Number(m[1]);
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

async function readLiveGroups(ctx: KindContext, ids: ReadonlySet<number>, dump?: Promise<string>): Promise<string[]> {
  return lines(await (dump ?? ofctl(ctx.conn, 'dump-groups'))).filter((l) => l.startsWith('group_id=') && ids.has(idOf(l, 'group_id')));
}

/** dump-meters prints `meter=N kbps burst bands=` and then one line per band; meters.txt spells it with commas. */
async function readLiveMeters(ctx: KindContext, ids: ReadonlySet<number>, dump?: Promise<string>): Promise<string[]> {
  const out: string[] = [];
  for (const l of lines(await (dump ?? ofctl(ctx.conn, 'dump-meters')))) {
    if (l.startsWith('meter=')) out.push(l.replace(/ /g, ','));
    else if (out.length > 0 && /^type=/.test(l)) out[out.length - 1] += l.replace(/ /g, ',');
  }
  return out.filter((m) => ids.has(idOf(m, 'meter')));
}

const stateFile = (ctx: StartContext): string => join(ctx.stateDir, `${ctx.conn.bridge}.openflow.json`);
const flowsFile = (ctx: StartContext, digest: string): string => join(ctx.stateDir, `${ctx.conn.bridge}.flows-${digest}.txt`);

/** The applied flows, groups and meters, named by the digests bundle.json already holds for them. */
const digestOf = (bundle: LoadedBundle): string =>
  createHash('sha256').update([FLOWS, GROUPS, METERS].map((f) => bundle.meta.artifacts[f] ?? '').join('\n')).digest('hex');

interface Saved {
  digest: string;
  /** Flows per cookie round in the saved flows.txt, as decimal strings (JSON has no bigint). */
  rounds: Record<string, number>;
  /** bundle.json's digests of the groups.txt and meters.txt applied. */
  groups?: string;
  meters?: string;
}

/** The record of the last apply, when the bridge names it as its last successful apply. */
function readSaved(ctx: StartContext): Saved | undefined {
  if (ctx.full) return undefined;
  try {
    const saved = JSON.parse(readFileSync(stateFile(ctx), 'utf8')) as Saved;
    // The bridge names the record the last successful apply left; the files are written whole (by rename).
    if (ctx.recorded.get('dpc-openflow-digest') !== saved.digest || typeof saved.rounds !== 'object') return undefined;
    return saved;
  } catch {
    return undefined;
  }
}

/** Marks a promise handled now (a refused bundle never awaits it); awaiting it later still throws. */
const handled = <T>(p: Promise<T>): Promise<T> => {
  p.catch(() => undefined);
  return p;
};

interface Started {
  saved: Saved;
  rounds: bigint[];
  count: Promise<number>;
  /** The saved flows.txt, read on the thread pool while this thread reads and hashes the bundle's; undefined if gone. */
  text: Promise<Buffer | undefined>;
  /** dump-groups and dump-meters output, filtered once the bundle's IDs are known. */
  groups?: Promise<string>;
  meters?: Promise<string>;
}

/**
 * The fast path's live reads, begun before the artifacts are read: the owned flow count over the rounds the record
 * names, and groups and meters unless the bundle keeps them as last applied (then they are trusted like the
 * flows, and a reconcile reads them).
 */
function startOpenflow(ctx: StartContext): Started | undefined {
  const saved = readSaved(ctx);
  if (!saved) return undefined;
  const own = ownership(ctx, { flows: [], groups: [], meters: [] }, Object.keys(saved.rounds).map(BigInt));
  const same = (file: string, digest: string | undefined): boolean => digest !== undefined && ctx.meta.artifacts[file] === digest;
  return {
    saved,
    rounds: own.rounds,
    count: handled(countLiveFlows(ctx, own.rounds)),
    text: readFile(flowsFile(ctx, saved.digest)).catch(() => undefined),
    ...(same(GROUPS, saved.groups) ? {} : { groups: handled(ofctl(ctx.conn, 'dump-groups')) }),
    ...(same(METERS, saved.meters) ? {} : { meters: handled(ofctl(ctx.conn, 'dump-meters')) }),
  };
}

function saveRecord(ctx: KindContext, digest: string, rounds: ReadonlyMap<bigint, number>): void {
  mkdirSync(ctx.stateDir, { recursive: true });
  const write = (path: string, data: string | Buffer): void => {
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  };
  let previous: string | undefined;
  try {
    previous = (JSON.parse(readFileSync(stateFile(ctx), 'utf8')) as Saved).digest;
  } catch {
    // first apply
  }
  write(flowsFile(ctx, digest), ctx.bundle.files.get(FLOWS) ?? '');
  const saved: Saved = {
    digest,
    rounds: Object.fromEntries([...rounds].map(([r, n]) => [r.toString(), n])),
    groups: ctx.bundle.meta.artifacts[GROUPS],
    meters: ctx.bundle.meta.artifacts[METERS],
  };
  write(stateFile(ctx), JSON.stringify(saved));
  if (previous && previous !== digest) rmSync(flowsFile(ctx, previous), { force: true });
}

const BLOCK = 1 << 16;

/**
 * The lines where two texts in the same sorted order can differ: everything between their longest common leading
 * and trailing whole lines. Compared natively in blocks, so 5 MB of equal bytes cost about a millisecond.
 */
export function changedMiddle(a: Buffer, b: Buffer): { a: string[]; b: string[] } {
  const n = Math.min(a.length, b.length);
  let p = 0;
  while (p + BLOCK <= n && a.compare(b, p, p + BLOCK, p, p + BLOCK) === 0) p += BLOCK;
  while (p < n && a[p] === b[p]) p++;
  if (p === a.length && p === b.length) return { a: [], b: [] };
  p = p === 0 ? 0 : a.lastIndexOf(10, p - 1) + 1; // back to the start of the line where they part
  let q = 0;
  const room = n - p;
  while (q + BLOCK <= room && a.compare(b, b.length - q - BLOCK, b.length - q, a.length - q - BLOCK, a.length - q) === 0) q += BLOCK;
  while (q < room && a[a.length - q - 1] === b[b.length - q - 1]) q++;
  // Forward to a line start, so both middles are whole lines.
  let start = a.length - q;
  if (start > p && a[start - 1] !== 10) {
    const nl = a.indexOf(10, start);
    start = nl < 0 ? a.length : nl + 1;
  }
  q = a.length - start;
  return { a: lines(a.toString('utf8', p, a.length - q)), b: lines(b.toString('utf8', p, b.length - q)) };
}

/** In the bundle's own order (canonical already); only a diff for people needs the live side sorted. */
function desiredState(bundle: LoadedBundle, flows: boolean): OwnedState {
  return { flows: flows ? lines(bundle.text(FLOWS)) : [], groups: lines(bundle.text(GROUPS)), meters: lines(bundle.text(METERS)) };
}

/**
 * Flows to add and to delete. Both lists in flows.txt's order (the record is an earlier flows.txt) are merged
 * in one pass; a live dump is in OVS's order and is sorted first. A live flow whose match the bundle keeps
 * with other actions or cookie is not deleted: the add over the same match replaces it in place.
 */
export function flowChanges(live: readonly string[], desired: readonly string[], liveSorted: boolean): { add: string[]; del: string[] } {
  const a = liveSorted ? live : [...live].sort(compareFlows);
  const add: string[] = [];
  const gone: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < desired.length) {
    if (i < a.length && j < desired.length && a[i] === desired[j]) {
      i++;
      j++;
      continue;
    }
    const c = i >= a.length ? 1 : j >= desired.length ? -1 : compareFlows(a[i]!, desired[j]!);
    if (c < 0) gone.push(a[i++]!);
    else if (c > 0) add.push(desired[j++]!);
    else {
      gone.push(a[i++]!);
      add.push(desired[j++]!);
    }
  }
  const replaced = new Set(add.map(flowKey));
  return { add, del: gone.filter((f) => !replaced.has(flowKey(f))) };
}

async function sendWithOfctl(ctx: KindContext, mods: readonly string[]): Promise<void> {
  mkdirSync(ctx.stateDir, { recursive: true });
  const file = join(ctx.stateDir, `${ctx.conn.bridge}.bundle-${process.pid}.txt`);
  writeFileSync(file, `${mods.join('\n')}\n`);
  checkpoint('openflow-bundle-written');
  try {
    await ofctl(ctx.conn, 'bundle', [file]);
    checkpoint('openflow-bundle-committed');
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * The flow changes as flow_mods in one OpenFlow bundle on the connection the apply holds, when there is one and
 * every changed line is in the encoder's vocabulary (runtime/openflow/flowMod.ts) and no group changes (group_mods
 * are not encoded here); false leaves the whole change to ovs-ofctl, so a bundle is never split between the two.
 * Adds before deletes, as with ovs-ofctl.
 */
async function sendNative(ctx: KindContext, groupChanges: number, add: readonly string[], del: readonly string[]): Promise<boolean> {
  const of = ctx.openflow;
  if (!of || of.closed || groupChanges > 0) return false;
  if (add.length + del.length === 0) return true;
  const adds = add.map((f) => encodeFlow(f));
  const dels = del.map((f) => encodeFlow(f, false));
  if (adds.some((e) => !e) || dels.some((e) => !e)) return false;
  const t0 = process.hrtime.bigint();
  const messages = [
    ...adds.map((e) => (xid: number) => flowModMessage(e!, FLOW_MOD.add, xid)),
    ...dels.map((e) => (xid: number) => flowModMessage(e!, FLOW_MOD.deleteStrict, xid)),
  ];
  try {
    await commitBundle(of, messages, process.pid, () => checkpoint('openflow-bundle-written'));
  } catch (e) {
    // Refused whole (the switch is as it was): ovs-ofctl, which reads every spelling, gets the change instead.
    trace(`openflow bundle refused (${(e as Error).message}); sending it with ovs-ofctl`, t0);
    return false;
  }
  checkpoint('openflow-bundle-committed');
  trace(`openflow bundle of ${messages.length} flow_mods`, t0);
  return true;
}

interface FlowPlan {
  /** What the diff compares: every owned flow, or on the fast path only the lines that can differ. */
  live: string[];
  desired: string[];
  add: string[];
  del: string[];
  /** Owned flows per round once applied. */
  rounds: Map<bigint, number>;
  own: Ownership;
  liveGroups: string[];
  liveMeters: string[];
}

const total = (counts: ReadonlyMap<bigint, number>): number => [...counts.values()].reduce((a, b) => a + b, 0);

/** The fast path: the saved flows.txt against the bundle's, trusted once the bridge's owned flow count agrees. */
async function planFromSaved(ctx: KindContext, desired: OwnedState): Promise<FlowPlan | undefined> {
  const started = ctx.started as Started | undefined;
  if (!started) return undefined;
  const text = await started.text;
  if (!text) return undefined;
  const middle = changedMiddle(text, ctx.bundle.files.get(FLOWS) ?? Buffer.alloc(0));
  const rounds = new Map([...Object.entries(started.saved.rounds)].map(([r, n]) => [BigInt(r), n]));
  const savedTotal = total(rounds);
  for (const f of middle.a) rounds.set(roundOf(f), (rounds.get(roundOf(f)) ?? 0) - 1);
  for (const f of middle.b) rounds.set(roundOf(f), (rounds.get(roundOf(f)) ?? 0) + 1);
  for (const [r, n] of rounds) if (n <= 0) rounds.delete(r);
  rounds.delete(0n);
  const own = ownership(ctx, desired, [...rounds.keys(), ...started.rounds]);
  // A round the record did not name (new in this bundle) may hold flows already: counted too.
  const counted = new Set(started.rounds);
  const fresh = own.rounds.filter((r) => !counted.has(r));
  const [count, freshCount, liveGroups, liveMeters] = await Promise.all([
    started.count,
    fresh.length > 0 ? countLiveFlows(ctx, fresh) : 0,
    started.groups ? readLiveGroups(ctx, own.groupIds, started.groups) : desired.groups,
    started.meters ? readLiveMeters(ctx, own.meterIds, started.meters) : desired.meters,
  ]);
  if (count + freshCount !== savedTotal) return undefined;
  const { add, del } = flowChanges(middle.a, middle.b, true);
  return { live: middle.a, desired: middle.b, add, del, rounds, own, liveGroups, liveMeters };
}

async function planFromLive(ctx: KindContext): Promise<FlowPlan> {
  const desired = desiredState(ctx.bundle, true);
  const rounds = roundCounts(desired.flows);
  const own = ownership(ctx, desired, rounds.keys());
  const [live, liveGroups, liveMeters] = await Promise.all([readLiveFlows(ctx, own.rounds), readLiveGroups(ctx, own.groupIds), readLiveMeters(ctx, own.meterIds)]);
  const { add, del } = flowChanges(live, desired.flows, false);
  rounds.delete(0n);
  return { live, desired: desired.flows, add, del, rounds, own, liveGroups, liveMeters };
}

async function planOpenflow(ctx: KindContext): Promise<KindPlan> {
  const desired = desiredState(ctx.bundle, false);
  const flows = (await planFromSaved(ctx, desired)) ?? (await planFromLive(ctx));
  const { add: addFlows, del: delFlows, own } = flows;

  const byIdMap = (ls: string[], field: 'group_id' | 'meter') => new Map(ls.map((l) => [idOf(l, field), l]));
  const liveGroups = byIdMap(flows.liveGroups, 'group_id');
  const desiredGroups = byIdMap(desired.groups, 'group_id');
  const setGroups = desired.groups.filter((g) => liveGroups.get(idOf(g, 'group_id')) !== g);
  const delGroups = [...liveGroups.keys()].filter((id) => !desiredGroups.has(id));
  const liveMeters = byIdMap(flows.liveMeters, 'meter');
  const desiredMeters = byIdMap(desired.meters, 'meter');
  const setMeters = desired.meters.filter((m) => liveMeters.get(idOf(m, 'meter')) !== m);
  const delMeters = [...liveMeters.keys()].filter((id) => !desiredMeters.has(id));

  const changes = [
    ...setMeters.map((m) => `${liveMeters.has(idOf(m, 'meter')) ? '~' : '+'} meter ${m}`),
    ...setGroups.map((g) => `${liveGroups.has(idOf(g, 'group_id')) ? '~' : '+'} group ${g}`),
    ...addFlows.map((f) => `+ flow ${f}`),
    ...delFlows.map((f) => `- flow ${f}`),
    ...delGroups.map((id) => `- group group_id=${id}`),
    ...delMeters.map((id) => `- meter meter=${id}`),
  ];
  const desiredDigest = digestOf(ctx.bundle);
  const record = new Map([
    ['dpc-cookie-rounds', [...flows.rounds.keys()].sort((a, b) => (a < b ? -1 : 1)).join(',')],
    ['dpc-group-ids', [...desiredGroups.keys()].join(',')],
    ['dpc-meter-ids', [...desiredMeters.keys()].join(',')],
    ['dpc-openflow-digest', desiredDigest],
  ]);

  const apply = async (): Promise<void> => {
    for (const m of setMeters) {
      await ofctl(ctx.conn, liveMeters.has(idOf(m, 'meter')) ? 'mod-meter' : 'add-meter', [m]);
      checkpoint('openflow-meter-set');
    }
    if (!(await sendNative(ctx, setGroups.length + delGroups.length, addFlows, delFlows))) {
      const mods = [
        ...setGroups.map((g) => `group ${liveGroups.has(idOf(g, 'group_id')) ? 'modify' : 'add'} ${g}`),
        ...addFlows.map((f) => `flow add ${f}`),
        // Strict, and only with the owned cookie: a foreign flow that happens to share the match stays.
        ...delFlows.map((f) => `flow delete_strict cookie=${hex(cookieOf(f))}/-1,${flowKey(f)}`),
        ...delGroups.map((id) => `group delete group_id=${id}`),
      ];
      if (mods.length > 0) await sendWithOfctl(ctx, mods);
    }
    for (const id of delMeters) {
      await ofctl(ctx.conn, 'del-meter', [`meter=${id}`]);
      checkpoint('openflow-meter-deleted');
    }
    // No count after the commit: the switch applied the whole bundle or refused it, and drift that others cause
    // later is what the next apply's count (or a reconcile) finds. The copy counts only once the bridge names it.
    saveRecord(ctx, desiredDigest, flows.rounds);
    checkpoint('openflow-state-saved');
  };

  return {
    kind: 'openflow',
    files: [
      { path: FLOWS, live: flows.live, desired: flows.desired, compare: compareFlows },
      { path: GROUPS, live: flows.liveGroups, desired: desired.groups, compare: compareGroups },
      { path: METERS, live: flows.liveMeters, desired: desired.meters, compare: compareMeters },
    ],
    changes,
    apply,
    record,
  };
}

export const openflowKind: ArtifactKind = {
  name: 'openflow',
  tools: ['ovs-ofctl'],
  inBundle: (meta) => FLOWS in meta.artifacts,
  start: startOpenflow,
  plan: planOpenflow,
};

