/**
 * iptables and ip6tables in the current network namespace. Owned: chains named ANTREA-*, and the jump rules into
 * them from built-in chains (those jumps.txt lists, and any left from an earlier bundle). Per family and table,
 * one `iptables-restore --noflush`: each owned chain the bundle has is declared (which flushes it) and refilled,
 * stale jumps are deleted and stale owned chains flushed and removed, all committed at once or not at all.
 * Then the jumps the bundle lists are ensured (checked with -C, added only when missing), as Antrea does.
 */
import { lines, type BundleMeta } from '../bundle.js';
import { checkpoint, runAsync, runTool } from '../tools.js';
import type { ArtifactKind, KindContext, KindPlan } from './kind.js';

const OWNED = 'ANTREA-';
const FAMILIES = [
  { family: 4, file: 'iptables/ipv4.rules', save: 'iptables-save', restore: 'iptables-restore', cmd: 'iptables' },
  { family: 6, file: 'iptables/ipv6.rules', save: 'ip6tables-save', restore: 'ip6tables-restore', cmd: 'ip6tables' },
] as const;
const JUMPS = 'iptables/jumps.txt';

/** Per table: owned chain names and their rules, in iptables-save's spelling (chain counters zeroed). */
type Tables = Map<string, { chains: string[]; rules: string[]; jumps: string[] }>;

const table = (t: Tables, name: string) => {
  let x = t.get(name);
  if (!x) t.set(name, (x = { chains: [], rules: [], jumps: [] }));
  return x;
};

const chainOf = (rule: string): string => rule.split(' ')[1]!;
const targetOf = (rule: string): string | undefined => / -j (\S+)/.exec(rule)?.[1];

function parseSave(text: string): Tables {
  const out: Tables = new Map();
  let current = '';
  for (const l of lines(text)) {
    if (l.startsWith('*')) current = l.slice(1);
    else if (l.startsWith(':')) {
      const name = l.slice(1).split(' ')[0]!;
      if (name.startsWith(OWNED)) table(out, current).chains.push(name);
    } else if (l.startsWith('-A ')) {
      if (chainOf(l).startsWith(OWNED)) table(out, current).rules.push(l);
      else if (targetOf(l)?.startsWith(OWNED)) table(out, current).jumps.push(l);
    }
  }
  return out;
}

interface Jump {
  family: 4 | 6;
  table: string;
  builtin: string;
  insert: string[];
  /** The rule as iptables-save prints it: `-A BUILTIN spec`. */
  saved: string;
  spec: string[];
}

/** `iptables -t nat -A POSTROUTING -m comment --comment "..." -j ANTREA-POSTROUTING` → its parts. */
function parseJump(line: string): Jump {
  const m = /^(ip6?tables) -t (\S+) (?:-A (\S+)|-I (\S+) (\d+)) (.*)$/.exec(line);
  if (!m) throw new Error(`${JUMPS}: cannot read ${JSON.stringify(line)}`);
  const builtin = m[3] ?? m[4]!;
  const spec = m[6]!;
  return {
    family: m[1] === 'iptables' ? 4 : 6,
    table: m[2]!,
    builtin,
    insert: m[3] ? ['-A', builtin] : ['-I', builtin, m[5]!],
    saved: `-A ${builtin} ${spec}`,
    spec: splitArgs(spec),
  };
}

/** Shell-like words: iptables-save quotes a comment with double quotes and backslash escapes. */
function splitArgs(text: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}

const render = (t: Tables): string[] =>
  [...t.keys()].sort().flatMap((name) => {
    const x = t.get(name)!;
    return [`*${name}`, ...[...x.chains].sort().map((c) => `:${c} - [0:0]`), ...x.rules, ...x.jumps];
  });

/** iptables-save per family, read while the bundle's artifacts are read and checked. */
const readLive = (): Promise<string[]> => Promise.all(FAMILIES.map((f) => runAsync(f.save, [])));

async function planIptables(ctx: KindContext): Promise<KindPlan> {
  const saved = await (ctx.started as Promise<string[]>);
  const jumps = lines(ctx.bundle.text(JUMPS)).map(parseJump);
  const files: { path: string; live: string[]; desired: string[]; compare: (a: string, b: string) => number }[] = [];
  const changes: string[] = [];
  const steps: (() => void)[] = [];
  for (const [i, f] of FAMILIES.entries()) {
    const desired = parseSave(ctx.bundle.text(f.file) ?? '');
    for (const j of jumps.filter((x) => x.family === f.family)) table(desired, j.table).jumps.push(j.saved);
    const live = parseSave(saved[i]!);
    // Same order on both sides, so the diff shows only what differs.
    const order = (x: Tables): Tables => new Map([...x].map(([k, v]) => [k, { chains: v.chains, rules: v.rules, jumps: [...v.jumps].sort() }]));
    const liveLines = render(order(live));
    const desiredLines = render(order(desired));
    files.push({ path: f.file, live: liveLines, desired: desiredLines, compare: () => 0 });
    for (const name of new Set([...desired.keys(), ...live.keys()])) {
      const want = desired.get(name) ?? { chains: [], rules: [], jumps: [] };
      const have = live.get(name) ?? { chains: [], rules: [], jumps: [] };
      const sameChains = JSON.stringify([...want.chains].sort()) === JSON.stringify([...have.chains].sort());
      const sameRules = JSON.stringify(want.rules) === JSON.stringify(have.rules);
      const staleJumps = have.jumps.filter((j) => !want.jumps.includes(j));
      const missingJumps = want.jumps.filter((j) => !have.jumps.includes(j));
      if (sameChains && sameRules && staleJumps.length === 0 && missingJumps.length === 0) continue;
      const stale = have.chains.filter((c) => !want.chains.includes(c));
      if (!sameChains || !sameRules || stale.length > 0 || staleJumps.length > 0) {
        changes.push(`~ ${f.cmd} ${name}: ${want.chains.length} owned chains, ${want.rules.length} rules${stale.length ? `, removing ${stale.join(' ')}` : ''}`);
        const input = [
          `*${name}`,
          ...want.chains.map((c) => `:${c} - [0:0]`),
          ...stale.map((c) => `:${c} - [0:0]`),
          ...want.rules,
          ...staleJumps.map((j) => j.replace(/^-A /, '-D ')),
          ...stale.map((c) => `-X ${c}`),
          'COMMIT',
        ];
        steps.push(() => {
          runTool(f.restore, ['-w', '--noflush'], { input: `${input.join('\n')}\n` });
          checkpoint(`iptables-${f.family}-${name}-restored`);
        });
      }
      for (const j of missingJumps) changes.push(`+ ${f.cmd} -t ${name} ${j}`);
    }
    const familyJumps = jumps.filter((j) => j.family === f.family);
    steps.push(() => {
      for (const j of familyJumps) {
        const present = runTool(f.cmd, ['-w', '-t', j.table, '-C', j.builtin, ...j.spec], { okCodes: [1] }).status === 0;
        if (!present) runTool(f.cmd, ['-w', '-t', j.table, ...j.insert, ...j.spec]);
      }
      checkpoint(`iptables-${f.family}-jumps-ensured`);
    });
  }
  return {
    kind: 'iptables',
    files,
    changes,
    apply: async () => {
      for (const s of steps) s();
    },
    record: new Map(),
  };
}

export const iptablesKind: ArtifactKind = {
  name: 'iptables',
  artifacts: [...FAMILIES.map((f) => f.file), JUMPS],
  tools: ['iptables-save', 'iptables-restore', 'iptables', 'ip6tables-save', 'ip6tables-restore', 'ip6tables'],
  inBundle: (meta: BundleMeta) => FAMILIES.some((f) => f.file in meta.artifacts) || JUMPS in meta.artifacts,
  start: readLive,
  plan: planIptables,
};
