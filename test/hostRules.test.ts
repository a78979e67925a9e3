// The iptables and ipset renderers against the real tools: what a bundle's files load into a network namespace,
// iptables-save / ip6tables-save / ipset save print back line for line (owned chains only).

import { afterAll, describe, expect, it } from 'vitest';
import {
  comment,
  conntrackMatch,
  icmpMatches,
  jumpTo,
  logTarget,
  portMatches,
  setMatch,
  target,
  type HostOrigin,
  type HostRules,
  type IptablesChain,
  type IptablesRule,
  type IptTable,
} from '../compiler/plan/iptables.js';
import type { Family } from '../compiler/net/ip.js';
import { renderIptablesJumps, renderIptablesRestore, saveString } from '../targets/iptables/restore.js';
import { renderIpsetRestore } from '../targets/ipset/restore.js';
import { join } from 'node:path';
import { GOLDEN_DIR, readExpected } from './golden/golden.js';
import { checkPrintedBack } from './conformance/hostnet/cluster.js';
import { createNetns, HAVE_NETNS, loadHostArtifacts, netnsUnavailable, ownedSave, type Netns } from './harness/netns.js';

const origin: HostOrigin = { kind: 'Test', name: 't', feature: 'NodeNetworkPolicy' };

function sample(): HostRules {
  const chains: IptablesChain[] = [];
  const rules: IptablesRule[] = [];
  const chain = (family: Family, table: IptTable, name: string) => chains.push({ family, table, chain: name, origin });
  const rule = (family: Family, table: IptTable, ch: string, matches: IptablesRule['matches'], t?: IptablesRule['target']) =>
    rules.push({ family, table, chain: ch, matches, target: t, origin });
  for (const family of [4, 6] as const) {
    const any = family === 4 ? '10.10.0.0/16' : 'fd00:10::/64';
    const host = family === 4 ? '192.168.77.101/32' : 'fd00:77::101/128';
    const set = `ANTREA-POL-0123456789ABCDEF-${family}`;
    chain(family, 'filter', 'ANTREA-POL-INGRESS-RULES');
    chain(family, 'filter', 'ANTREA-POL-0123456789ABCDEF');
    chain(family, 'filter', 'ANTREA-INPUT');
    chain(family, 'filter', 'ANTREA-POL-PRE-INGRESS-RULES');
    rule(family, 'filter', 'ANTREA-POL-0123456789ABCDEF', portMatches('tcp', undefined, [10250, 10250]), target(family, 'ACCEPT'));
    rule(family, 'filter', 'ANTREA-POL-0123456789ABCDEF', portMatches('udp', [1000, 2000], [30000, 32767]), logTarget('Antrea:I:Allow:a-label.x:'));
    rule(family, 'filter', 'ANTREA-POL-0123456789ABCDEF', portMatches('sctp', undefined, [80, 80]), target(family, 'REJECT'));
    rule(family, 'filter', 'ANTREA-POL-0123456789ABCDEF', icmpMatches(family, 8, 0), target(family, 'ACCEPT'));
    rule(family, 'filter', 'ANTREA-POL-0123456789ABCDEF', icmpMatches(family, 3), target(family, 'DROP'));
    rule(family, 'filter', 'ANTREA-POL-0123456789ABCDEF', icmpMatches(family), target(family, 'ACCEPT'));
    rule(family, 'filter', 'ANTREA-POL-INGRESS-RULES',
      [setMatch(set, 'src'), comment(`Antrea: for rule it's \\odd, policy AntreaClusterNetworkPolicy:p`)], jumpTo('ANTREA-POL-0123456789ABCDEF'));
    rule(family, 'filter', 'ANTREA-POL-INGRESS-RULES', [{ kind: 'addr', dir: 'src', cidr: any }, ...portMatches('tcp', undefined, [22, 22]), comment('Pass-only')]);
    rule(family, 'filter', 'ANTREA-POL-INGRESS-RULES', [{ kind: 'addr', dir: 'dst', cidr: host, negate: true }, ...portMatches('tcp'), comment('x')], target(family, 'DROP'));
    rule(family, 'filter', 'ANTREA-POL-PRE-INGRESS-RULES', [conntrackMatch(['ESTABLISHED', 'RELATED']), comment('Antrea: allow ingress established or related packets')], target(family, 'ACCEPT'));
    rule(family, 'filter', 'ANTREA-POL-PRE-INGRESS-RULES', [{ kind: 'iface', dir: 'in', name: 'lo' }, comment('Antrea: allow ingress packets from loopback')], target(family, 'ACCEPT'));
    rule(family, 'filter', 'ANTREA-INPUT', [comment('Antrea: jump to ingress NodeNetworkPolicy rules')], jumpTo('ANTREA-POL-INGRESS-RULES'));
  }
  chain(4, 'nat', 'ANTREA-POSTROUTING');
  rule(4, 'nat', 'ANTREA-POSTROUTING', [{ kind: 'iface', dir: 'out', name: 'antrea-gw0', negate: true }, comment('Antrea: SNAT Pod to external packets'),
    { kind: 'module', module: 'mark', args: ['--mark', '0x1/0xff'] }], { name: 'SNAT', args: ['--to-source', '10.10.0.8'] });
  return {
    chains,
    rules,
    jumps: [
      { family: 4, table: 'filter', builtin: 'INPUT', position: 'append', chain: 'ANTREA-INPUT', comment: 'Antrea: jump to Antrea input rules', origin },
      { family: 6, table: 'filter', builtin: 'INPUT', position: 'append', chain: 'ANTREA-INPUT', comment: 'Antrea: jump to Antrea input rules', origin },
    ],
    ipsets: [
      { name: 'ANTREA-POL-0123456789ABCDEF-4', type: 'hash:net', family: 4, members: ['9.0.0.0/24', '10.0.0.0/24', '10.0.0.0/8', '10.0.0.1', '192.168.77.101'], origin },
      { name: 'ANTREA-POL-0123456789ABCDEF-6', type: 'hash:net', family: 6, members: ['::/1', 'fd00::/8', 'fd00:77::101'], origin },
    ],
  };
}

describe('iptables spelling', () => {
  it('quotes as xtables_save_string does', () => {
    expect(saveString('simple-Name_1')).toBe('simple-Name_1');
    expect(saveString('has space')).toBe('"has space"');
    expect(saveString(`a'b\\c`)).toBe(`"a\\'b\\\\c"`);
    expect(saveString('')).toBe('""');
  });
  it('renders nothing for a Node without host rules', () => {
    expect(renderIptablesRestore({ chains: [], rules: [], jumps: [], ipsets: [] }, 4)).toBe('');
    expect(renderIpsetRestore([])).toBe('');
  });
  it('refuses a rule in an undeclared chain', () => {
    const h = sample();
    expect(() => renderIptablesRestore({ ...h, chains: h.chains.filter((c) => c.chain !== 'ANTREA-INPUT') }, 4)).toThrow(/undeclared/);
  });
});

const unavailable = netnsUnavailable();
describe.skipIf(!HAVE_NETNS && !process.env.CI)(`iptables and ipset files on a real kernel${unavailable ? ` (${unavailable})` : ''}`, () => {
  const made: Netns[] = [];
  afterAll(() => made.forEach((n) => n.delete()));

  it('loads and prints back line for line', () => {
    const host = sample();
    const files = {
      ipv4: renderIptablesRestore(host, 4),
      ipv6: renderIptablesRestore(host, 6),
      ipsets: renderIpsetRestore(host.ipsets),
      jumps: renderIptablesJumps(host.jumps),
    };
    const ns = createNetns('render');
    made.push(ns);
    loadHostArtifacts(ns, files);
    for (const [family, save] of [[4, 'iptables-save'], [6, 'ip6tables-save']] as const) {
      const owned = new Set(host.chains.filter((c) => c.family === family).map((c) => `${c.table}/${c.chain}`));
      const printed = ownedSave(ns.exec(save, []), (t, c) => owned.has(`${t}/${c}`));
      expect(printed).toBe(family === 4 ? files.ipv4 : files.ipv6);
      // Each jump line's rule is found in the built-in chain as iptables-save prints it.
      const all = ns.exec(save, []);
      for (const line of files.jumps.split('\n').filter((l) => l.startsWith(family === 4 ? 'iptables ' : 'ip6tables '))) {
        const rule = line.replace(/^ip6?tables -t \S+ /, '');
        expect(all.split('\n')).toContain(rule);
      }
    }
    // ipset save -sorted orders IPv4 members by address, longest prefix first for one address; the kernel adds
    // its bucket size and random hash seed to each create line.
    const saved = ns.exec('ipset', ['save', '-sorted']).replace(/ bucketsize \d+ initval 0x[0-9a-f]+/g, '');
    const bySet = (text: string) => text.split('\n').filter(Boolean);
    expect(bySet(saved).filter((l) => l.includes('-4'))).toEqual(bySet(files.ipsets).filter((l) => l.includes('-4')));
    // IPv6 members: ipset's sort compares only the first 32 bits, so compare as sets there.
    expect(bySet(saved).filter((l) => l.includes('-6')).sort()).toEqual(bySet(files.ipsets).filter((l) => l.includes('-6')).sort());
  });

  it('golden/node-policies: the files of every Node load and print back line for line, IPv6 included', () => {
    const expected = readExpected(join(GOLDEN_DIR, 'node-policies'));
    const nodes = [...new Set([...expected.keys()].filter((k) => k.includes('/')).map((k) => k.split('/')[0]!))];
    expect(nodes.length).toBeGreaterThan(1);
    expect(expected.has('cp-1/iptables/ipv6.rules')).toBe(true);
    for (const node of nodes) {
      const files = new Map([...expected].filter(([k]) => k.startsWith(`${node}/`)).map(([k, v]) => [k.slice(node.length + 1), v]));
      const ns = createNetns('golden');
      made.push(ns);
      loadHostArtifacts(ns, { ipsets: files.get('ipset/ipsets.txt'), ipv4: files.get('iptables/ipv4.rules'), ipv6: files.get('iptables/ipv6.rules'), jumps: files.get('iptables/jumps.txt') });
      checkPrintedBack(ns, files);
      // The jumps sit in the built-in chains, spelled as iptables-save prints them.
      const save = ns.exec('iptables-save', []).split('\n');
      for (const j of (files.get('iptables/jumps.txt') ?? '').split('\n').filter((l) => l.startsWith('iptables '))) {
        expect(save).toContain(j.replace(/^iptables -t \S+ /, ''));
      }
    }
  });
});
