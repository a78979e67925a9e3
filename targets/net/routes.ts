/**
 * net/routes.txt: `ip -batch` input (one command a line, without the leading `ip`) for the links, addresses,
 * routes and policy rules of a Node's plan. Links come first, then addresses, routes and rules, each group sorted,
 * so the file does not depend on input order. IPv6 lines carry `-6` where `ip` needs the family.
 */
import { formatCidr, formatIP } from '../../compiler/net/ip.js';
import type { NetRecord } from '../../compiler/plan/net.js';

const ORDER: Record<NetRecord['kind'], number> = { link: 0, address: 1, route: 2, rule: 3 };

function line(r: NetRecord): string {
  switch (r.kind) {
    case 'link':
      return r.type === 'dummy'
        ? `link add ${r.name} type dummy`
        : `link add link ${r.parent} name ${r.name} type vlan id ${r.vlan}`;
    case 'address':
      return `address add ${formatIP(r.ip)}/${r.prefix} dev ${r.device}`;
    case 'route': {
      const dest = r.dest === 'default' ? 'default' : formatCidr(r.dest);
      const v6 = (r.dest !== 'default' && r.dest.family === 6) || r.via?.family === 6 ? '-6 ' : '';
      return `${v6}route replace ${dest}${r.via ? ` via ${formatIP(r.via)}` : ''} dev ${r.device}${r.scopeLink ? ' scope link' : ''} table ${r.table}`;
    }
    case 'rule':
      return `${r.family === 6 ? '-6 ' : ''}rule add fwmark 0x${r.mark.toString(16)}/0xff lookup ${r.table}`;
  }
}

export function renderNetBatch(records: readonly NetRecord[]): string {
  const keyed = [...new Set(records.map((r) => `${ORDER[r.kind]}\0${line(r)}`))].sort();
  // A device is brought up right after it exists, before addresses go on it: an address on a down device is not
  // local to the kernel (no ARP answer, no local route), and Antrea's agent sets antrea-egress0 up too.
  const out: string[] = [];
  for (const k of keyed) {
    const text = k.slice(k.indexOf('\0') + 1);
    out.push(text);
    const made = /^link add (?:link \S+ name (\S+) type vlan|(\S+) type dummy)/.exec(text);
    if (made) out.push(`link set ${made[1] ?? made[2]} up`);
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
