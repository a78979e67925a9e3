/**
 * iptables-restore --noflush input for one family, in the exact form iptables-save prints it back: tables in
 * iptables-save's order, `:CHAIN - [0:0]` for each owned chain and the chains' rules, both sorted by chain name as
 * iptables-save lists them, each rule spelled with header fields first (-s -d -i -o -p) and its modules in plan
 * order. Only owned chains appear: --noflush leaves every other chain as it is.
 */
import type { Family } from '../../compiler/net/ip.js';
import {
  IPT_TABLE_ORDER,
  type HostRules,
  type IptArg,
  type IptMatch,
  type IptablesJump,
  type IptablesRule,
  type IptTable,
} from '../../compiler/plan/iptables.js';

const NO_QUOTE = /^[_\-0-9A-Za-z]+$/;

/** iptables' xtables_save_string: bare when only [-_0-9A-Za-z], else double quotes with `"` `\` `'` escaped. */
export function saveString(text: string): string {
  if (NO_QUOTE.test(text)) return text;
  return `"${text.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

const arg = (a: IptArg): string => (typeof a === 'string' ? a : saveString(a.quoted));

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The part after `-A CHAIN`, as iptables-save prints it. */
export function ruleSpec(matches: readonly IptMatch[], target?: { name: string; args: readonly IptArg[] }): string {
  const parts: string[] = [];
  const header = (kind: 'addr' | 'iface', dir: string, flag: string): void => {
    for (const m of matches) {
      if (m.kind === kind && m.dir === dir) parts.push(`${m.negate ? '! ' : ''}${flag} ${m.kind === 'addr' ? m.cidr : m.name}`);
    }
  };
  header('addr', 'src', '-s');
  header('addr', 'dst', '-d');
  header('iface', 'in', '-i');
  header('iface', 'out', '-o');
  for (const m of matches) if (m.kind === 'proto') parts.push(`${m.negate ? '! ' : ''}-p ${m.proto}`);
  for (const m of matches) if (m.kind === 'module') parts.push(['-m', m.module, ...m.args.map(arg)].join(' '));
  if (target) parts.push(['-j', target.name, ...target.args.map(arg)].join(' '));
  return parts.join(' ');
}

function ruleLine(r: IptablesRule): string {
  const spec = ruleSpec(r.matches, r.target);
  return spec ? `-A ${r.chain} ${spec}` : `-A ${r.chain}`;
}

/** The restore text of one family; empty when the bundle owns no chain in it. */
export function renderIptablesRestore(host: HostRules, family: Family): string {
  const out: string[] = [];
  for (const table of IPT_TABLE_ORDER) {
    const chains = host.chains.filter((c) => c.family === family && c.table === table).map((c) => c.chain);
    if (chains.length === 0) continue;
    const owned = [...new Set(chains)].sort(byName);
    const rulesByChain = new Map<string, IptablesRule[]>(owned.map((c) => [c, []]));
    for (const r of host.rules) {
      if (r.family !== family || r.table !== table) continue;
      const list = rulesByChain.get(r.chain);
      // A rule in a chain the plan did not declare would be written into a chain --noflush never flushes.
      if (!list) throw new Error(`iptables rule in undeclared chain ${table}/${r.chain}`);
      list.push(r);
    }
    out.push(`*${table}`);
    for (const c of owned) out.push(`:${c} - [0:0]`);
    for (const c of owned) for (const r of rulesByChain.get(c)!) out.push(ruleLine(r));
    out.push('COMMIT');
  }
  for (const r of host.rules) {
    if (r.family === family && !host.chains.some((c) => c.family === family && c.table === r.table)) {
      throw new Error(`iptables rule in undeclared chain ${r.table}/${r.chain}`);
    }
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

const jumpKey = (j: IptablesJump): string => `${j.family} ${IPT_TABLE_ORDER.indexOf(j.table)} ${j.builtin} ${j.chain}`;

/**
 * The jumps from built-in chains, one command a line, as a Node applies them: `iptables`/`ip6tables`, the table,
 * `-A BUILTIN` (or `-I BUILTIN N`) and the rule spelled as iptables-save prints it, so a line can also be found
 * in iptables-save output. Antrea checks each with `-C` first and adds only what is missing.
 */
export function renderIptablesJumps(jumps: readonly IptablesJump[]): string {
  const sorted = [...jumps].sort((a, b) => byName(jumpKey(a), jumpKey(b)));
  const lines = sorted.map((j) => {
    const cmd = j.family === 4 ? 'iptables' : 'ip6tables';
    const where = j.position === 'append' ? `-A ${j.builtin}` : `-I ${j.builtin} ${j.position}`;
    const spec = ruleSpec([{ kind: 'module', module: 'comment', args: ['--comment', { quoted: j.comment }] }], { name: j.chain, args: [] });
    return `${cmd} -t ${j.table} ${where} ${spec}`;
  });
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

export type { IptTable };
