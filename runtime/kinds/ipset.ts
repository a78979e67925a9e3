/**
 * ipsets in the current network namespace. Owned: sets named ANTREA-*. A set whose members or parameters differ
 * is rebuilt beside the live one and swapped in (`ipset swap` is atomic, so a rule matching the set never sees
 * it half filled), then the temporary set destroyed; a new set is created whole. Sets the bundle no longer has
 * are destroyed in the finish step, after iptables has stopped referencing them.
 */
import { lines } from '../bundle.js';
import { checkpoint, run, runAsync, runTool } from '../tools.js';
import type { ArtifactKind, KindContext, KindPlan } from './kind.js';
import { appendAll } from '../../compiler/util/append.js';

const FILE = 'ipset/ipsets.txt';
const OWNED = 'ANTREA-';
const TEMP = 'ANTREA-TMP-';

/** Set name → its lines, the create line without the kernel's own additions (bucketsize, a random initval). */
function parse(text: string): Map<string, string[]> {
  const sets = new Map<string, string[]>();
  for (const l of lines(text)) {
    const [verb, name] = l.split(' ');
    if (!name?.startsWith(OWNED)) continue;
    if (verb === 'create') sets.set(name, [l.replace(/ bucketsize \d+/, '').replace(/ initval 0x[0-9a-f]+/, '')]);
    else if (verb === 'add') sets.get(name)?.push(l);
  }
  return sets;
}

/** The owned sets as `ipset save` prints them, read while the bundle's artifacts are read and checked. */
async function readLive(): Promise<string> {
  const names = lines(await runAsync('ipset', ['list', '-n'])).filter((n) => n.startsWith(OWNED));
  return (await Promise.all(names.map((n) => runAsync('ipset', ['save', '-sorted', n])))).join('');
}

async function planIpset(ctx: KindContext): Promise<KindPlan> {
  const desired = parse(ctx.bundle.text(FILE) ?? '');
  const live = parse(await (ctx.started as Promise<string>));
  const restore: string[] = [];
  const changes: string[] = [];
  let n = 0;
  for (const [name, want] of desired) {
    const have = live.get(name);
    if (have && JSON.stringify(have) === JSON.stringify(want)) continue;
    if (!have) {
      changes.push(`+ ipset ${name} (${want.length - 1} members)`);
      appendAll(restore, want);
      continue;
    }
    changes.push(`~ ipset ${name} (${want.length - 1} members)`);
    const tmp = `${TEMP}${process.pid.toString(36)}-${(n++).toString(36)}`.slice(0, 31);
    const rename = (l: string): string => l.replace(` ${name} `, ` ${tmp} `).replace(new RegExp(` ${name}$`), ` ${tmp}`);
    restore.push(...want.map(rename), `swap ${tmp} ${name}`, `destroy ${tmp}`);
  }
  const stale = [...live.keys()].filter((name) => !desired.has(name));
  for (const s of stale) changes.push(`- ipset ${s}`);
  const show = (m: Map<string, string[]>): string[] => [...m.keys()].sort().flatMap((k) => m.get(k)!);
  return {
    kind: 'ipset',
    files: [{ path: FILE, live: show(live), desired: show(desired), compare: () => 0 }],
    changes,
    apply: async () => {
      // Leftover temporary sets of an interrupted apply are owned and stale: removed in finish.
      if (restore.length > 0) runTool('ipset', ['restore'], { input: `${restore.join('\n')}\n` });
      checkpoint('ipset-restored');
    },
    finish: async () => {
      for (const s of stale) {
        run('ipset', ['destroy', s]);
        checkpoint('ipset-destroyed');
      }
    },
    record: new Map(),
  };
}

export const ipsetKind: ArtifactKind = {
  name: 'ipset',
  artifacts: [FILE],
  tools: ['ipset'],
  inBundle: (meta) => FILE in meta.artifacts,
  start: readLive,
  plan: planIpset,
};
