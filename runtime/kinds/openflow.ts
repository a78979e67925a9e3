/**
 * Flows, groups and meters on the bridge. Owned: flows whose cookie round (bits 48–63) is one the bundle's flows
 * carry or the last apply recorded, and groups and meters whose IDs the bundle or the last apply uses; nothing
 * else is read for the diff or touched.
 *
 * Every flow and group change goes to ovs-vswitchd as one OpenFlow bundle (ovs-ofctl bundle): group adds and
 * modifications, then flow adds (a changed flow is an add over the same match, which replaces it in place, so
 * the flow never disappears), then deletes of flows the bundle lost, then group deletes. A kill at any moment
 * leaves the switch entirely before or after: an uncommitted OpenFlow bundle dies with its connection.
 * Meters cannot go in an OpenFlow bundle (OVS accepts only flow and group mods there), so new and changed meters
 * are set before the bundle, which may then use them, and removed meters after it, when no flow uses them.
 *
 * Reading 50,000 flows back from ovs-vswitchd takes seconds, so after each apply the runtime keeps what it
 * applied in its state dir, and the next apply of a *new* bundle starts from that when the Node agrees with it: the
 * digest recorded on the bridge matches and the bridge holds exactly as many owned flows (dump-aggregate, which is
 * cheap). Drift that keeps the count is then found by the next reconcile: re-applying the bundle already applied
 * (what a periodic resync does), `apply --full` and `dpc diff --live` always read everything.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { lines, type LoadedBundle } from '../bundle.js';
import { ofctl } from '../ovs.js';
import { checkpoint, RuntimeError } from '../tools.js';
import type { ArtifactKind, KindContext, KindPlan } from './kind.js';

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

/** The cookie rounds of a flow list, from its distinct cookies (a few hundred among tens of thousands of flows). */
function roundsOf(flows: readonly string[]): Set<bigint> {
  const cookies = new Set(flows.map((f) => (f.startsWith('cookie=') ? f.slice(7, f.indexOf(',')) : '0x0')));
  return new Set([...cookies].map((c) => BigInt(c) >> ROUND_SHIFT));
}

function ownership(ctx: KindContext, desired: OwnedState): Ownership {
  const rounds = roundsOf(desired.flows);
  for (const r of listOf(ctx.recorded.get('dpc-cookie-rounds'))) rounds.add(BigInt(r));
  rounds.delete(0n); // cookie 0 is every tool's default: never dpc's
  const groupIds = new Set([...desired.groups.map((g) => idOf(g, 'group_id')), ...listOf(ctx.recorded.get('dpc-group-ids')).map(Number)]);
  const meterIds = new Set([...desired.meters.map((m) => idOf(m, 'meter')), ...listOf(ctx.recorded.get('dpc-meter-ids')).map(Number)]);
  return { rounds: [...rounds].sort((a, b) => (a < b ? -1 : 1)), groupIds, meterIds };
}

const roundFilter = (round: bigint): string => `cookie=${hex(round << ROUND_SHIFT)}/${hex(ROUND_MASK)}`;

function readLiveFlows(ctx: KindContext, rounds: readonly bigint[]): string[] {
  return rounds.flatMap((r) => lines(ofctl(ctx.conn, 'dump-flows', [roundFilter(r)], ['--no-names', '--no-stats'])).filter((l) => l.startsWith('cookie=')));
}

function countLiveFlows(ctx: KindContext, rounds: readonly bigint[]): number {
  let n = 0;
  for (const r of rounds) {
    const m = /flow_count=(\d+)/.exec(ofctl(ctx.conn, 'dump-aggregate', [roundFilter(r)]));
    if (!m) throw new RuntimeError('ovs-ofctl dump-aggregate printed no flow_count');
    n += Number(m[1]);
  }
  return n;
}

function readLiveGroups(ctx: KindContext, ids: ReadonlySet<number>): string[] {
  return lines(ofctl(ctx.conn, 'dump-groups')).filter((l) => l.startsWith('group_id=') && ids.has(idOf(l, 'group_id')));
}

/** dump-meters prints `meter=N kbps burst bands=` and then one line per band; meters.txt spells it with commas. */
function readLiveMeters(ctx: KindContext, ids: ReadonlySet<number>): string[] {
  const out: string[] = [];
  for (const l of lines(ofctl(ctx.conn, 'dump-meters'))) {
    if (l.startsWith('meter=')) out.push(l.replace(/ /g, ','));
    else if (out.length > 0 && /^type=/.test(l)) out[out.length - 1] += l.replace(/ /g, ',');
  }
  return out.filter((m) => ids.has(idOf(m, 'meter')));
}

const stateFile = (ctx: KindContext): string => join(ctx.stateDir, `${ctx.conn.bridge}.openflow.json`);
const flowsFile = (ctx: KindContext, digest: string): string => join(ctx.stateDir, `${ctx.conn.bridge}.flows-${digest}.txt`);

/** The applied flows, groups and meters, named by the digests bundle.json already holds for them. */
const digestOf = (bundle: LoadedBundle): string =>
  createHash('sha256').update([FLOWS, GROUPS, METERS].map((f) => bundle.meta.artifacts[f] ?? '').join('\n')).digest('hex');

/** What the last apply left, when the Node still agrees with it; undefined means read the switch. */
function fromRecord(ctx: KindContext, own: Ownership): OwnedState | undefined {
  if (ctx.full) return undefined;
  let flows: string[];
  try {
    const saved = JSON.parse(readFileSync(stateFile(ctx), 'utf8')) as { digest: string };
    // The bridge names the record the last successful apply left; the files are written whole (by rename).
    if (ctx.recorded.get('dpc-openflow-digest') !== saved.digest) return undefined;
    flows = lines(readFileSync(flowsFile(ctx, saved.digest), 'utf8'));
  } catch {
    return undefined;
  }
  if (countLiveFlows(ctx, own.rounds) !== flows.length) return undefined;
  return { flows, groups: readLiveGroups(ctx, own.groupIds), meters: readLiveMeters(ctx, own.meterIds) };
}

function saveRecord(ctx: KindContext, digest: string): void {
  mkdirSync(ctx.stateDir, { recursive: true });
  const write = (path: string, text: string): void => {
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  };
  let previous: string | undefined;
  try {
    previous = (JSON.parse(readFileSync(stateFile(ctx), 'utf8')) as { digest: string }).digest;
  } catch {
    // first apply
  }
  write(flowsFile(ctx, digest), ctx.bundle.files.get(FLOWS) ?? '');
  write(stateFile(ctx), JSON.stringify({ digest }));
  if (previous && previous !== digest) rmSync(flowsFile(ctx, previous), { force: true });
}

/** In the bundle's own order (canonical already); only a diff for people needs the live side sorted. */
function desiredState(bundle: LoadedBundle): OwnedState {
  return { flows: lines(bundle.files.get(FLOWS)), groups: lines(bundle.files.get(GROUPS)), meters: lines(bundle.files.get(METERS)) };
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

function planOpenflow(ctx: KindContext): KindPlan {
  const desired = desiredState(ctx.bundle);
  const own = ownership(ctx, desired);
  const recorded = fromRecord(ctx, own);
  const live = recorded ?? {
    flows: readLiveFlows(ctx, own.rounds),
    groups: readLiveGroups(ctx, own.groupIds),
    meters: readLiveMeters(ctx, own.meterIds),
  };
  const { add: addFlows, del: delFlows } = flowChanges(live.flows, desired.flows, recorded !== undefined);

  const byIdMap = (ls: string[], field: 'group_id' | 'meter') => new Map(ls.map((l) => [idOf(l, field), l]));
  const liveGroups = byIdMap(live.groups, 'group_id');
  const desiredGroups = byIdMap(desired.groups, 'group_id');
  const setGroups = desired.groups.filter((g) => liveGroups.get(idOf(g, 'group_id')) !== g);
  const delGroups = [...liveGroups.keys()].filter((id) => !desiredGroups.has(id));
  const liveMeters = byIdMap(live.meters, 'meter');
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
    ['dpc-cookie-rounds', [...roundsOf(desired.flows)].filter((r) => r !== 0n).sort((a, b) => (a < b ? -1 : 1)).join(',')],
    ['dpc-group-ids', [...desiredGroups.keys()].join(',')],
    ['dpc-meter-ids', [...desiredMeters.keys()].join(',')],
    ['dpc-openflow-digest', desiredDigest],
  ]);

  const apply = (): void => {
    for (const m of setMeters) {
      ofctl(ctx.conn, liveMeters.has(idOf(m, 'meter')) ? 'mod-meter' : 'add-meter', [m]);
      checkpoint('openflow-meter-set');
    }
    const mods = [
      ...setGroups.map((g) => `group ${liveGroups.has(idOf(g, 'group_id')) ? 'modify' : 'add'} ${g}`),
      ...addFlows.map((f) => `flow add ${f}`),
      // Strict, and only with the owned cookie: a foreign flow that happens to share the match stays.
      ...delFlows.map((f) => `flow delete_strict cookie=${hex(cookieOf(f))}/-1,${flowKey(f)}`),
      ...delGroups.map((id) => `group delete group_id=${id}`),
    ];
    if (mods.length > 0) {
      mkdirSync(ctx.stateDir, { recursive: true });
      const file = join(ctx.stateDir, `${ctx.conn.bridge}.bundle-${process.pid}.txt`);
      writeFileSync(file, `${mods.join('\n')}\n`);
      checkpoint('openflow-bundle-written');
      try {
        ofctl(ctx.conn, 'bundle', [file]);
        checkpoint('openflow-bundle-committed');
      } finally {
        rmSync(file, { force: true });
      }
    }
    for (const id of delMeters) {
      ofctl(ctx.conn, 'del-meter', [`meter=${id}`]);
      checkpoint('openflow-meter-deleted');
    }
    // Verify cheaply what the commit left: the exact number of owned flows.
    const count = countLiveFlows(ctx, own.rounds);
    if (count !== desired.flows.length) throw new RuntimeError(`after the OpenFlow bundle the bridge holds ${count} owned flows, the bundle has ${desired.flows.length}`);
    checkpoint('openflow-verified');
    saveRecord(ctx, desiredDigest);
    checkpoint('openflow-state-saved');
  };

  return {
    kind: 'openflow',
    files: [
      { path: FLOWS, live: live.flows, desired: desired.flows, compare: compareFlows },
      { path: GROUPS, live: live.groups, desired: desired.groups, compare: compareGroups },
      { path: METERS, live: live.meters, desired: desired.meters, compare: compareMeters },
    ],
    changes,
    apply,
    record,
  };
}

export const openflowKind: ArtifactKind = {
  name: 'openflow',
  tools: ['ovs-ofctl'],
  inBundle: (b) => b.files.has(FLOWS),
  plan: planOpenflow,
};

