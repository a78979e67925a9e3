import { describe, expect, test } from 'vitest';
import { normalizeAgentConfig } from './config.js';
import { formatCidr } from '../net/ip.js';

const load = (conf: Record<string, unknown>) => normalizeAgentConfig([{ obj: conf, loc: { file: 'antrea-agent.conf', doc: 0, path: [] } }]);

describe('egress.* agent settings (docs/reference/iptables-egress.md §5.2)', () => {
  test("Antrea's defaults", () => {
    const { config, diagnostics } = load({});
    expect(diagnostics).toEqual([]);
    expect(config.egress).toEqual({ exceptCIDRs: [], maxEgressIPsPerNode: 255, snatFullyRandomPorts: false, separateSubnet: true });
    expect(config.features.egress).toBe(true);
    expect(config.features.egressTrafficShaping).toBe(false);
  });
  test('exceptCIDRs are masked as Go parses them; 0 IPs per Node means 255; the top-level random-ports flag is inherited', () => {
    const { config, diagnostics } = load({ snatFullyRandomPorts: true, egress: { exceptCIDRs: ['203.0.113.7/24'], maxEgressIPsPerNode: 0 } });
    expect(diagnostics).toEqual([]);
    expect(config.egress.exceptCIDRs.map(formatCidr)).toEqual(['203.0.113.0/24']);
    expect(config.egress.maxEgressIPsPerNode).toBe(255);
    expect(config.egress.snatFullyRandomPorts).toBe(true);
  });
  test('a bad except CIDR and more than 255 IPs per Node are refused with positions', () => {
    const { diagnostics } = load({ egress: { exceptCIDRs: ['10.0.0.0/8', '10.0.0.300/8'], maxEgressIPsPerNode: 256 } });
    expect(diagnostics.map((d) => [d.code, d.message, d.field, d.at?.field])).toEqual([
      ['DPC3300', 'Egress Except CIDR 10.0.0.300/8 is invalid', 'egress.exceptCIDRs[1]', ['egress', 'exceptCIDRs', 1]],
      ['DPC3301', 'maxEgressIPsPerNode 256 cannot be greater than 255', 'egress.maxEgressIPsPerNode', ['egress', 'maxEgressIPsPerNode']],
    ]);
  });
  test('EgressSeparateSubnet is on by default and off with Egress', () => {
    expect(load({ featureGates: { Egress: false } }).config.egress.separateSubnet).toBe(false);
    expect(load({ featureGates: { EgressSeparateSubnet: false } }).config.egress.separateSubnet).toBe(false);
  });
});
