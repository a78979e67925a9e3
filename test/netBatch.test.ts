/**
 * net/routes.txt and net/routes6.txt as the bundle writes them, loaded on a real kernel the way their headers say:
 * routes.txt with `ip -batch`, then routes6.txt with `ip -6 -batch`, in a network namespace the test creates. `ip`
 * takes no per-line `-6` in a batch, which the last test shows on the same kernel (the layout before routes6.txt).
 *
 * This kernel has neither the dummy nor the 8021q driver, so the two device-creating lines are spelled as bridges
 * when loaded; every other line is loaded byte for byte.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseCidr, parseIP, type IPAddr } from '../compiler/net/ip.js';
import type { NetRecord } from '../compiler/plan/net.js';
import { renderNetBatch } from '../targets/net/routes.js';
import { createNetns, HAVE_NETNS, type Netns } from './harness/netns.js';

const ip = (t: string): IPAddr => parseIP(t)!;
const RECORDS: NetRecord[] = [
  { kind: 'link', name: 'antrea-egress0', type: 'dummy' },
  { kind: 'link', name: 'antrea-ext.10', type: 'vlan', parent: 'eth0', vlan: 10 },
  { kind: 'address', device: 'antrea-egress0', ip: ip('169.254.100.1'), prefix: 32 },
  { kind: 'address', device: 'antrea-ext.10', ip: ip('172.20.10.2'), prefix: 24 },
  { kind: 'address', device: 'antrea-ext.10', ip: ip('fd00:10::2'), prefix: 64 },
  { kind: 'route', table: 101, dest: parseCidr('172.20.10.0/24')!, device: 'antrea-ext.10', scopeLink: true },
  { kind: 'route', table: 101, dest: 'default', via: ip('172.20.10.1'), device: 'antrea-ext.10' },
  { kind: 'route', table: 102, dest: parseCidr('fd00:10::/64')!, device: 'antrea-ext.10', scopeLink: true },
  { kind: 'route', table: 102, dest: 'default', via: ip('fd00:10::1'), device: 'antrea-ext.10' },
  { kind: 'rule', family: 4, mark: 0x17, table: 101 },
  { kind: 'rule', family: 6, mark: 0x18, table: 102 },
];

describe('net/routes.txt and routes6.txt', () => {
  const four = renderNetBatch(RECORDS, 4);
  const six = renderNetBatch(RECORDS, 6);

  it('split by family: links and IPv4 in routes.txt, IPv6 in routes6.txt, no line with a per-line -6', () => {
    for (const line of `${four}${six}`.split('\n').filter(Boolean)) expect(line).not.toMatch(/^-6 /);
    expect(four).toMatch(/^link add antrea-egress0 type dummy\n/);
    expect(four).not.toMatch(/fd00/);
    expect(six).not.toMatch(/^link /m);
    expect(six.split('\n').filter(Boolean).every((l) => l.includes('fd00') || /^rule add fwmark 0x18\//.test(l))).toBe(true);
    // Input order does not leak.
    expect(renderNetBatch([...RECORDS].reverse(), 4)).toBe(four);
    expect(renderNetBatch([...RECORDS].reverse(), 6)).toBe(six);
  });

  describe.skipIf(!HAVE_NETNS)('on a real kernel', () => {
    let ns: Netns;
    afterAll(() => ns?.delete());
    const batch = (opts: string[], text: string) => ns.run('ip', [...opts, '-batch', '-'], text);

    it('routes.txt loads with `ip -batch`, then routes6.txt with `ip -6 -batch`, as written', () => {
      ns = createNetns('nb');
      ns.exec('sysctl', ['-qw', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0']);
      ns.ip(['link add eth0 type veth peer name eth1', 'link set eth0 up', 'link set eth1 up']);
      const loadable = four
        .replace('link add antrea-egress0 type dummy', 'link add antrea-egress0 type bridge')
        .replace('link add link eth0 name antrea-ext.10 type vlan id 10', 'link add antrea-ext.10 type bridge');
      expect(batch([], loadable)).toMatchObject({ status: 0, stderr: '' });
      expect(batch(['-6'], six)).toMatchObject({ status: 0, stderr: '' });
      const show = (...args: string[]) => ns.exec('ip', args);
      expect(show('-4', 'address', 'show', 'dev', 'antrea-egress0')).toContain('inet 169.254.100.1/32');
      expect(show('-6', 'address', 'show', 'dev', 'antrea-ext.10')).toContain('inet6 fd00:10::2/64');
      expect(show('-4', 'route', 'show', 'table', '101')).toMatch(/default via 172\.20\.10\.1 dev antrea-ext\.10/);
      expect(show('-6', 'route', 'show', 'table', '102')).toMatch(/default via fd00:10::1 dev antrea-ext\.10/);
      expect(show('-6', 'route', 'show', 'table', '102')).toMatch(/fd00:10::\/64 dev antrea-ext\.10/);
      expect(show('-4', 'rule', 'show')).toMatch(/fwmark 0x17\/0xff lookup 101/);
      expect(show('-6', 'rule', 'show')).toMatch(/fwmark 0x18\/0xff lookup 102/);
      expect(show('-4', 'rule', 'show')).not.toMatch(/lookup 102/);
    });

    it('the same IPv6 lines with a per-line -6 in one `ip -batch` are refused', () => {
      const perLine = six.split('\n').filter(Boolean).map((l) => `-6 ${l}\n`).join('');
      const r = batch([], perLine);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/Object "-6" is unknown/);
    });
  });
});
