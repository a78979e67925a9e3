/**
 * net/routes.txt and net/routes6.txt: `ip -batch` input (one command a line, without the leading `ip`) for the
 * links, addresses, routes and policy rules of a Node's plan. `ip -batch` takes no per-line family, and a rule has
 * no address to infer one from, so the lines split by family: routes.txt (for `ip -batch`) holds the links and every
 * IPv4 line, routes6.txt (for `ip -6 -batch`, loaded after routes.txt, whose devices it uses) every IPv6 line.
 * Links come first, then addresses, routes and rules, each group sorted, so a file does not depend on input order.
 */
import { formatCidr, formatIP, type Family } from '../../compiler/net/ip.js';
import type { NetRecord } from '../../compiler/plan/net.js';

const ORDER: Record<NetRecord['kind'], number> = { link: 0, address: 1, route: 2, rule: 3 };

/** The family whose file holds the record; links are family-less and go with IPv4. */
function familyOf(r: NetRecord): Family {
  switch (r.kind) {
    case 'link':
      return 4;
    case 'address':
      return r.ip.family;
    case 'route':
      return r.dest !== 'default' ? r.dest.family : (r.via?.family ?? 4);
    case 'rule':
      return r.family;
  }
}

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
      return `route replace ${dest}${r.via ? ` via ${formatIP(r.via)}` : ''} dev ${r.device}${r.scopeLink ? ' scope link' : ''} table ${r.table}`;
    }
    case 'rule':
      return `rule add fwmark 0x${r.mark.toString(16)}/0xff lookup ${r.table}`;
  }
}

/** The batch file of one family: routes.txt for 4, routes6.txt for 6. */
export function renderNetBatch(records: readonly NetRecord[], family: Family): string {
  const keyed = [...new Set(records.filter((r) => familyOf(r) === family).map((r) => `${ORDER[r.kind]}\0${line(r)}`))].sort();
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
