/**
 * `ipset restore` input in the form `ipset save -sorted` prints it: sets by name, each `create` line with the
 * defaults Antrea's `ipset create` gets (hashsize 1024, maxelem 65536), then its members ordered by address and,
 * for one address, longest prefix first. The kernel adds `bucketsize 12 initval 0x…` (a random hash seed) to the
 * create line it prints; the file leaves them out, as Antrea's create command does.
 */
import { parseCidr, parseIP, type Cidr } from '../../compiler/net/ip.js';
import type { Ipset } from '../../compiler/plan/iptables.js';

const memberKey = (m: string): Cidr | undefined => {
  const host = parseIP(m);
  if (host) return { family: host.family, base: host.value, prefix: host.family === 4 ? 32 : 128 };
  return parseCidr(m);
};

function compareMembers(a: string, b: string): number {
  const ka = memberKey(a);
  const kb = memberKey(b);
  if (ka && kb) {
    if (ka.base !== kb.base) return ka.base < kb.base ? -1 : 1;
    if (ka.prefix !== kb.prefix) return kb.prefix - ka.prefix;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

export function renderIpsetRestore(sets: readonly Ipset[]): string {
  const out: string[] = [];
  const sorted = [...sets].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const s of sorted) {
    out.push(`create ${s.name} ${s.type} family ${s.family === 4 ? 'inet' : 'inet6'} hashsize 1024 maxelem 65536`);
    for (const m of [...new Set(s.members)].sort(compareMembers)) out.push(`add ${s.name} ${m}`);
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
