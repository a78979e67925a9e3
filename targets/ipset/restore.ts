/**
 * `ipset restore` input in the form `ipset save -sorted` prints it: sets by name, each `create` line with the
 * defaults Antrea's `ipset create` gets (hashsize 1024, maxelem 65536), then its members in the order the plan
 * gives them, which is ipset's sorted order (see `Ipset.members`): a Node can hold hundreds of thousands of
 * members, and a set is shared by every Node its rule applies to, so the plan orders each set once per compile.
 * The kernel adds `bucketsize 12 initval 0x…` (a random hash seed) to the create line it prints; the file leaves
 * them out, as Antrea's create command does.
 */
import type { Ipset } from '../../compiler/plan/iptables.js';

export function renderIpsetRestore(sets: readonly Ipset[], cache?: WeakMap<Ipset, string>): string {
  const sorted = [...sets].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return sorted.map((s) => setText(s, cache)).join('');
}

/** One set's lines; a set shared by many Nodes (ANTREA-POD-IP lists every Node's Pod CIDR) is spelled once per compile. */
function setText(s: Ipset, cache?: WeakMap<Ipset, string>): string {
  let text = cache?.get(s);
  if (text === undefined) {
    const lines = [`create ${s.name} ${s.type} family ${s.family === 4 ? 'inet' : 'inet6'} hashsize 1024 maxelem 65536`];
    for (const m of s.members) lines.push(`add ${s.name} ${m}`);
    text = `${lines.join('\n')}\n`;
    cache?.set(s, text);
  }
  return text;
}
