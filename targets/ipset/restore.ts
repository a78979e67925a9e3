/**
 * `ipset restore` input in the form `ipset save -sorted` prints it: sets by name, each `create` line with the
 * defaults Antrea's `ipset create` gets (hashsize 1024, maxelem 65536), then its members in the order the plan
 * gives them, which is ipset's sorted order (see `Ipset.members`): a Node can hold hundreds of thousands of
 * members, and a set is shared by every Node its rule applies to, so the plan orders each set once per compile.
 * The kernel adds `bucketsize 12 initval 0x…` (a random hash seed) to the create line it prints; the file leaves
 * them out, as Antrea's create command does.
 */
import type { Ipset } from '../../compiler/plan/iptables.js';

export function renderIpsetRestore(sets: readonly Ipset[]): string {
  const out: string[] = [];
  const sorted = [...sets].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const s of sorted) {
    out.push(`create ${s.name} ${s.type} family ${s.family === 4 ? 'inet' : 'inet6'} hashsize 1024 maxelem 65536`);
    for (const m of s.members) out.push(`add ${s.name} ${m}`);
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
