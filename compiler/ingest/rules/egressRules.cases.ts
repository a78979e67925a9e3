/** Failing and passing inputs for the Egress and ExternalIPPool admission rules (reference §6.2–6.3). */
import type { Expected } from './testHarness.js';

export interface EgressCase {
  fail: { title: string; yaml: string; previous?: string; expect: Expected[] }[];
  pass: { title: string; yaml: string; previous?: string }[];
}

const API = 'apiVersion: crd.antrea.io/v1beta1';
const join = (...docs: string[]) => docs.join('---\n');
/** An ExternalIPPool; `spec` lines are indented by two spaces and nodeSelector is added. */
const pool = (name: string, spec: string, created = '') =>
  `${API}\nkind: ExternalIPPool\nmetadata: {name: ${name}${created ? `, creationTimestamp: "${created}"` : ''}}\nspec:\n  nodeSelector: {}\n${spec}`;
const egress = (name: string, spec: string) => `${API}\nkind: Egress\nmetadata: {name: ${name}}\nspec:\n  appliedTo: {podSelector: {}}\n${spec}`;
const EG = 'Egress';
const EIP = 'ExternalIPPool';
const POOL = pool('p', '  ipRanges: [{cidr: 10.0.0.0/24}]\n');

export const EGRESS_CASES: Record<string, EgressCase> = {
  ipRangeShape: {
    fail: [
      {
        title: 'cidr with start, a lone end, a bad CIDR and a bad start',
        yaml: pool(
          'p',
          `  ipRanges:
  - {cidr: 10.0.0.0/24, start: 10.0.0.1, end: 10.0.0.2} #!a
  - {end: 10.0.1.9} #!b
  - {cidr: 10.0.2.0/33} #!c
  - {start: 10.0.3.x, end: 10.0.3.9} #!d
`,
        ),
        expect: [
          { code: 'DPC1310', kind: EIP, name: 'p', field: 'spec.ipRanges[0]', at: 'a' },
          { code: 'DPC1310', kind: EIP, name: 'p', field: 'spec.ipRanges[1]', at: 'b' },
          { code: 'DPC1311', kind: EIP, name: 'p', field: 'spec.ipRanges[2].cidr', at: 'c' },
          { code: 'DPC1312', kind: EIP, name: 'p', field: 'spec.ipRanges[3].start', at: 'd' },
        ],
      },
    ],
    pass: [{ title: 'a CIDR and a start/end pair', yaml: pool('p', '  ipRanges: [{cidr: 10.0.0.0/24}, {start: 10.0.1.1, end: 10.0.1.9}]\n') }],
  },
  ipPoolSubnetInfoValid: {
    fail: [
      {
        title: 'IPv4 prefix 32 and a gateway that is no address',
        yaml: join(
          pool('p', '  ipRanges: [{cidr: 10.0.0.0/24}]\n  subnetInfo:\n    gateway: 10.0.0.1\n    prefixLength: 32 #!a\n'),
          pool('q', '  ipRanges: [{cidr: 10.0.1.0/24}]\n  subnetInfo:\n    gateway: gw #!b\n    prefixLength: 24\n'),
        ),
        expect: [
          { code: 'DPC1317', kind: EIP, name: 'p', field: 'spec.subnetInfo.prefixLength', at: 'a' },
          { code: 'DPC1316', kind: EIP, name: 'q', field: 'spec.subnetInfo.gateway', at: 'b' },
        ],
      },
    ],
    pass: [
      { title: 'IPv6 prefix 64', yaml: pool('p', '  ipRanges: [{cidr: "fd00::/120"}]\n  subnetInfo: {gateway: "fd00::1", prefixLength: 64}\n') },
    ],
  },
  ipRangesValid: {
    fail: [
      {
        title: 'mixed families, and start after end',
        yaml: join(
          pool('p', '  ipRanges:\n  - {start: 10.0.0.1, end: "fd00::1"} #!a\n'),
          pool('q', '  ipRanges:\n  - {start: 10.0.1.9, end: 10.0.1.1} #!b\n'),
        ),
        expect: [
          { code: 'DPC1314', kind: EIP, name: 'p', field: 'spec.ipRanges[0]', at: 'a' },
          { code: 'DPC1315', kind: EIP, name: 'q', field: 'spec.ipRanges[0]', at: 'b' },
        ],
      },
    ],
    pass: [{ title: 'a single-address range', yaml: pool('p', '  ipRanges: [{start: 10.0.0.5, end: 10.0.0.5}]\n') }],
  },
  ipRangesInSubnet: {
    fail: [
      {
        title: 'a range reaching past the subnet',
        yaml: pool('p', '  subnetInfo: {gateway: 10.0.0.1, prefixLength: 24}\n  ipRanges:\n  - {cidr: 10.0.0.0/25}\n  - {start: 10.0.0.200, end: 10.0.1.5} #!\n'),
        expect: [{ code: 'DPC1318', kind: EIP, name: 'p', field: 'spec.ipRanges[1]' }],
      },
    ],
    pass: [{ title: 'a range equal to the subnet', yaml: pool('p', '  subnetInfo: {gateway: 10.0.0.1, prefixLength: 24}\n  ipRanges: [{cidr: 10.0.0.0/24}]\n') }],
  },
  ipRangesDisjoint: {
    fail: [
      {
        title: "a start/end range touching a CIDR's broadcast address",
        yaml: pool('p', '  ipRanges:\n  - {cidr: 10.0.0.0/24}\n  - {start: 10.0.0.255, end: 10.0.1.3} #!\n'),
        expect: [{ code: 'DPC1319', kind: EIP, name: 'p', field: 'spec.ipRanges[1]' }],
      },
    ],
    pass: [{ title: 'adjacent ranges', yaml: pool('p', '  ipRanges: [{cidr: 10.0.0.0/24}, {start: 10.0.1.0, end: 10.0.1.3}]\n') }],
  },
  ipRangesDisjointAcrossPools: {
    fail: [
      {
        title: 'the later pool is refused, naming the earlier one',
        yaml: join(
          pool('b-first', '  ipRanges: [{cidr: 10.0.0.0/24}]\n', '2024-01-01T00:00:00Z'),
          pool('a-second', '  ipRanges:\n  - {start: 10.0.0.9, end: 10.0.0.9} #!\n', '2024-02-01T00:00:00Z'),
        ),
        expect: [{ code: 'DPC1319', kind: EIP, name: 'a-second', field: 'spec.ipRanges[0]' }],
      },
    ],
    pass: [{ title: 'disjoint pools', yaml: join(POOL, pool('q', '  ipRanges: [{cidr: 10.0.1.0/24}]\n')) }],
  },
  ipRangesImmutable: {
    fail: [
      {
        title: 'a range changed by an update',
        yaml: pool('p', '  ipRanges: #!\n  - {cidr: 10.0.0.0/23}\n'),
        previous: pool('p', '  ipRanges: [{cidr: 10.0.0.0/24}]\n'),
        expect: [{ code: 'DPC1320', kind: EIP, name: 'p', field: 'spec.ipRanges', at: 'seq' }],
      },
    ],
    pass: [{ title: 'a range added', yaml: pool('p', '  ipRanges: [{cidr: 10.0.0.0/24}, {cidr: 10.0.1.0/24}]\n'), previous: POOL }],
  },
  egressIPSource: {
    fail: [
      {
        title: 'neither group, and both groups',
        yaml: join(
          `${API}\nkind: Egress\nmetadata: {name: none}\nspec: {appliedTo: {podSelector: {}}} #!a\n`,
          `${API}\nkind: Egress\nmetadata: {name: both}\nspec: {appliedTo: {}, egressIP: 10.0.0.5, externalIPPools: [p]} #!b\n`,
        ),
        expect: [
          { code: 'DPC1300', kind: EG, name: 'none', field: 'spec', at: 'a' },
          { code: 'DPC1300', kind: EG, name: 'both', field: 'spec', at: 'b' },
        ],
      },
    ],
    pass: [{ title: 'a static IP', yaml: egress('e', '  egressIP: 10.0.0.5\n') }],
  },
  egressIPFormat: {
    fail: [
      {
        title: 'a host name as egressIP',
        yaml: egress('e', '  egressIP: egress.example #!\n'),
        expect: [{ code: 'DPC1301', kind: EG, name: 'e', field: 'spec.egressIP' }],
      },
    ],
    pass: [{ title: 'an IPv6 egressIP', yaml: egress('e', '  egressIP: "fd00::5"\n') }],
  },
  egressIPsNotSupported: {
    fail: [
      {
        title: 'two IPs',
        yaml: egress('e', '  egressIPs: [10.0.0.5, 10.0.0.6] #!\n'),
        expect: [{ code: 'DPC1302', kind: EG, name: 'e', field: 'spec.egressIPs' }],
      },
    ],
    pass: [{ title: 'an empty list with a pool list', yaml: egress('e', '  egressIPs: []\n  externalIPPools: []\n') }],
  },
  egressExternalIPPoolsNotSupported: {
    fail: [
      {
        title: 'a pool list',
        yaml: join(POOL, egress('e', '  externalIPPools: [p] #!\n')),
        expect: [{ code: 'DPC1303', kind: EG, name: 'e', field: 'spec.externalIPPools' }],
      },
    ],
    pass: [{ title: 'one pool', yaml: join(POOL, egress('e', '  externalIPPool: p\n')) }],
  },
  egressBandwidthQuantity: {
    fail: [
      {
        title: 'a rate with a unit suffix Kubernetes does not know',
        yaml: egress('e', '  egressIP: 10.0.0.5\n  bandwidth:\n    rate: 100Mbps #!\n    burst: 200M\n'),
        expect: [{ code: 'DPC1304', kind: EG, name: 'e', field: 'spec.bandwidth.rate' }],
      },
    ],
    pass: [{ title: 'decimal, binary and exponent suffixes', yaml: egress('e', '  egressIP: 10.0.0.5\n  bandwidth: {rate: 1.5G, burst: "2e6"}\n') }],
  },
  egressIPInPool: {
    fail: [
      {
        title: 'a missing pool, and an IP outside the range (the network address)',
        yaml: join(
          POOL,
          egress('e1', '  egressIP: 10.0.0.5\n  externalIPPool: nope #!a\n'),
          egress('e2', '  egressIP: 10.0.0.0 #!b\n  externalIPPool: p\n'),
        ),
        expect: [
          { code: 'DPC1305', kind: EG, name: 'e1', field: 'spec.externalIPPool', at: 'a' },
          { code: 'DPC1306', kind: EG, name: 'e2', field: 'spec.egressIP', at: 'b' },
        ],
      },
    ],
    pass: [
      { title: "the IPv4 broadcast address passes the webhook (Antrea's allocator then refuses it)", yaml: join(POOL, egress('e', '  egressIP: 10.0.0.255\n  externalIPPool: p\n')) },
      {
        title: 'an unchanged IP and pool pass even when the pool is gone',
        yaml: egress('e', '  egressIP: 10.0.0.5\n  externalIPPool: p\n'),
        previous: join(POOL, egress('e', '  egressIP: 10.0.0.5\n  externalIPPool: p\n')),
      },
      { title: 'a pool without an IP yet', yaml: egress('e', '  externalIPPool: later\n') },
    ],
  },
};
