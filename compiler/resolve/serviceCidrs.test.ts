import { describe, expect, test } from 'vitest';
import { discoverServiceCIDRs } from './serviceCidrs.js';
import { formatCidr, parseIP, type IPAddr } from '../net/ip.js';
import type { ServiceInfo } from '../model/model.js';

function services(...ipLists: string[][]): { services: Map<string, ServiceInfo> } {
  const m = new Map<string, ServiceInfo>();
  ipLists.forEach((ips, i) => m.set(`ns/s${i}`, { namespace: 'ns', name: `s${i}`, clusterIPs: ips.map((t) => parseIP(t) as IPAddr) }));
  return { services: m };
}

describe("Service CIDR discovery as Antrea's agent does it (pkg/agent/servicecidr)", () => {
  test('one ClusterIP is a host CIDR', () => {
    expect(discoverServiceCIDRs(services(['10.96.0.1'])).map(formatCidr)).toEqual(['10.96.0.1/32']);
  });
  test('the CIDR grows to the longest common prefix of every ClusterIP, whatever their order', () => {
    const a = discoverServiceCIDRs(services(['10.96.0.1'], ['10.96.0.10'], ['10.96.3.200'])).map(formatCidr);
    const b = discoverServiceCIDRs(services(['10.96.3.200'], ['10.96.0.10'], ['10.96.0.1'])).map(formatCidr);
    expect(a).toEqual(['10.96.0.0/22']);
    expect(b).toEqual(a);
  });
  test('each family has its own CIDR; no Services, no CIDR', () => {
    expect(discoverServiceCIDRs(services(['10.96.0.1', 'fd00:10:96::1'], ['fd00:10:96::a'])).map(formatCidr)).toEqual([
      '10.96.0.1/32',
      'fd00:10:96::/124',
    ]);
    expect(discoverServiceCIDRs(services())).toEqual([]);
  });
  test('a ClusterIP that would widen the CIDR to /0 is skipped, as Antrea refuses it', () => {
    expect(discoverServiceCIDRs(services(['10.96.0.1'], ['192.168.0.1'])).map(formatCidr)).toEqual(['10.96.0.1/32']);
  });
});
