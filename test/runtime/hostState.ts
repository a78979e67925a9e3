/**
 * Host state for runtime tests in network namespaces: iptables, ipset and net/routes.txt artifacts of a v1 and a
 * v2 bundle, the foreign network a Node has before dpc, and independent readers of what dpc owns there.
 */
import type { Netns } from '../harness/netns.js';

export const HOST_V1 = {
  rules: `*filter
:ANTREA-OLD - [0:0]
:ANTREA-POL-INGRESS-RULES - [0:0]
-A ANTREA-OLD -j DROP
-A ANTREA-POL-INGRESS-RULES -p tcp -m set --match-set ANTREA-POL-A-4 src -m tcp --dport 22 -m comment --comment "Antrea: rule a" -j ACCEPT
-A ANTREA-POL-INGRESS-RULES -m set --match-set ANTREA-POL-B-4 src -j DROP
COMMIT
`,
  jumps: `iptables -t filter -A INPUT -m comment --comment "Antrea: jump to Antrea policy rules" -j ANTREA-POL-INGRESS-RULES
`,
  sets: `create ANTREA-POL-A-4 hash:net family inet hashsize 1024 maxelem 65536
add ANTREA-POL-A-4 10.10.1.0/24
add ANTREA-POL-A-4 192.168.77.102
create ANTREA-POL-B-4 hash:ip family inet hashsize 1024 maxelem 65536
add ANTREA-POL-B-4 192.168.77.9
`,
};
export const HOST_V2 = {
  rules: `*filter
:ANTREA-POL-INGRESS-RULES - [0:0]
-A ANTREA-POL-INGRESS-RULES -p tcp -m set --match-set ANTREA-POL-A-4 src -m tcp --dport 22 -m comment --comment "Antrea: rule a" -j ACCEPT
-A ANTREA-POL-INGRESS-RULES -p tcp -m set --match-set ANTREA-POL-C-4 src -m tcp --dport 443 -j ACCEPT
COMMIT
`,
  jumps: HOST_V1.jumps,
  sets: `create ANTREA-POL-A-4 hash:net family inet hashsize 1024 maxelem 65536
add ANTREA-POL-A-4 10.10.1.0/24
add ANTREA-POL-A-4 192.168.77.103
create ANTREA-POL-C-4 hash:ip family inet hashsize 1024 maxelem 65536
add ANTREA-POL-C-4 192.168.77.100
`,
};

export const ROUTES_V1 = `link add antrea-egress0 type dummy
address add 192.168.77.200/32 dev antrea-egress0
address add 192.168.77.203/32 dev antrea-egress0
route replace 172.20.10.0/24 dev eth0 scope link table 120
route replace default via 172.20.10.1 dev eth0 table 120
rule add fwmark 0x5c/0xff lookup 120
`;
/** v2's IPv6 lines, in their own file for `ip -6 -batch`, on the devices routes.txt makes. */
export const ROUTES6_V2 = `address add fd00:77::204/128 dev antrea-egress0
route replace fd00:20::/64 dev antrea-ext.20 scope link table 105
route replace default via fd00:20::1 dev antrea-ext.20 table 105
rule add fwmark 0x17/0xff lookup 105
`;
export const ROUTES_V2 = `link add antrea-egress0 type dummy
link add antrea-ext.20 type bridge
link set antrea-ext.20 up
address add 172.20.20.2/24 dev antrea-ext.20
address add 192.168.77.203/32 dev antrea-egress0
address add 192.168.77.204/32 dev antrea-egress0
route replace 172.20.10.0/24 dev eth0 scope link table 120
route replace 172.20.20.0/24 dev antrea-ext.20 scope link table 105
route replace default via 172.20.10.254 dev eth0 table 120
route replace default via 172.20.20.1 dev antrea-ext.20 table 105
rule add fwmark 0x17/0xff lookup 105
rule add fwmark 0x5c/0xff lookup 120
`;

/** The Node's network before dpc: a transport interface and what other software put there. */
export function foreignNetwork(ns: Netns): void {
  // No IPv6 duplicate address detection: its `tentative` flag would change the foreign device's listing by itself.
  ns.exec('sysctl', ['-qw', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0']);
  ns.ip([
    'link add eth0 type veth peer name eth1',
    'link set eth0 up',
    'link set eth1 up',
    'address add 172.20.10.5/24 dev eth0',
    'address add 172.20.10.6/24 dev eth0',
    'link add antrea-egress0 type bridge',
    'route add 10.99.0.0/16 via 172.20.10.254 dev eth0',
    'route add default via 172.20.10.254 dev eth0 table 50',
    'rule add fwmark 0x1000/0xf000 lookup 50',
    'rule add from 10.1.2.3 lookup main priority 100',
  ]);
}

const j = (ns: Netns, ...args: string[]): unknown[] => JSON.parse(ns.exec('ip', ['-j', ...args])) as unknown[];

/** What dpc owns, read independently of the runtime: addresses on its devices, tables 101–120, rules into them. */
export function ownedNet(ns: Netns): { addresses: string[]; routes: string[]; rules: string[]; devices: string[] } {
  const links = j(ns, 'address', 'show') as { ifname: string; flags: string[]; addr_info: { family: string; local: string; prefixlen: number; scope: string }[] }[];
  const owned = links.filter((l) => l.ifname === 'antrea-egress0' || l.ifname.startsWith('antrea-ext.'));
  return {
    devices: owned.map((l) => `${l.ifname}${l.flags.includes('UP') ? ' up' : ''}`).sort(),
    addresses: owned.flatMap((l) => l.addr_info.filter((a) => a.scope !== 'link' || a.family === 'inet').map((a) => `${a.local}/${a.prefixlen} ${l.ifname}`)).sort(),
    routes: ['-4', '-6'].flatMap((f) => ns.exec('ip', [f, 'route', 'show', 'table', 'all']).split('\n')).filter((l) => / table (10[1-9]|11\d|120)\b/.test(l)).map((l) => l.trim()).sort(),
    rules: ['-4', '-6'].flatMap((f) => ns.exec('ip', [f, 'rule', 'show']).split('\n')).filter((l) => / lookup (10[1-9]|11\d|120)\b/.test(l)).map((l) => l.replace(/^\d+:\s*/, '')).sort(),
  };
}

/** Everything else: eth0's addresses, main-table routes not on dpc's devices, table 50, rules into other tables. */
export function foreignNet(ns: Netns): string[] {
  return [
    ns.exec('ip', ['address', 'show', 'dev', 'eth0']),
    ns.exec('ip', ['route', 'show', 'table', 'main']).split('\n').filter((l) => !/ dev antrea-/.test(l)).join('\n'),
    ns.exec('ip', ['route', 'show', 'table', '50']),
    ns.exec('ip', ['rule', 'show']).split('\n').filter((l) => !/ lookup (10[1-9]|11\d|120)\b/.test(l)).join('\n'),
  ];
}


/** The owned filter-table lines: ANTREA- chains, their rules and the jumps into them. */
export const ownedRules = (ns: Netns): string[] => ns.exec('iptables-save', ['-t', 'filter']).split('\n').filter((l) => /^(:ANTREA-|-A ANTREA-)/.test(l) || /-j ANTREA-/.test(l));

/** Each ANTREA- set as `ipset save` prints it (sorted members), without the kernel's own bucketsize and initval. */
export function ownedSets(ns: Netns): Map<string, string> {
  const names = ns.exec('ipset', ['list', '-n']).split('\n').filter((n) => n.startsWith('ANTREA-'));
  return new Map(names.sort().map((n) => [n, ns.exec('ipset', ['save', '-sorted', n]).replace(/ bucketsize \d+ initval 0x[0-9a-f]+/, '')]));
}

/** ipsets.txt text → set name → its lines, as ownedSets spells them. */
export function setsOf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of text.split('\n').filter(Boolean)) {
    const name = l.split(' ')[1]!;
    out.set(name, `${out.get(name) ?? ''}${l}\n`);
  }
  return out;
}
