// The rate of an Egress, measured as Antrea's e2e test does (iperf3 from the Pod to a server outside the cluster),
// on the real thing: the Egress Node's whole bundle loaded into an Open vSwitch whose userspace datapath carries the
// Pod's kernel traffic (the `netdev` datapath inside the Node's network namespace), so every packet of the stream
// crosses the compiled flows and the Egress's OVS meter, then the Node's own iptables SNAT and routes.
//
// Stand-ins, each for something outside the flows under test:
// - The Node namespace already holds a Linux bridge named like the gateway (the SYN leg's), so this switch's gateway
//   port is the same internal port under another name (GATEWAY_STANDIN), with the bundle's ofport and MAC.
// - The Pod's and the Node's neighbours are written statically, as the CNI plugin and Antrea's ARP flows would
//   leave them; ARP is not what this check is about.
// - A userspace datapath cannot hand its packet mark to the kernel: the marks the SYN leg saw the flows set are
//   set again by a mangle rule on the gateway for the Pod's packets to the server (as for the SYN, snat.ts).
// - Segmentation offloads are off on the Pod's veth and the gateway: OVS's userspace datapath reads whole frames
//   of the link MTU, as a NIC delivers them, and the kernel must not hand it 64 KiB TSO super-frames.
//
// - A Pod whose Egress Node is another Node reaches the meter through the tunnel: its own Node's switch runs too,
//   and the two are joined by OVS's userspace tunnel (the bundle's own tunnel port) over a veth of their own (joinUnderlay), each side's
//   tunnel address on a netdev bridge, as OVS's native tunnelling needs; replies come back the same way.

import type { NodeBundle } from '../../targets/bundle/bundle.js';
import { loadBundle, type BundleInventory } from '../harness/bundle.js';
import { createNetns, type Netns } from '../harness/netns.js';
import { withHostLock } from '../harness/hostLock.js';
import { startOvs, type Ovs } from '../harness/ovs.js';
import { commonPrefix } from './cluster.js';
import type { SnatCheck } from './snat.js';

const GATEWAY_STANDIN = 'dpc-ratgw0';
const UNDERLAY = 'dpc-ratphy';
const UNDERLAY_LINK = 'dpc-ratul';
const TUNNELLED_POD_MTU = 1450;
/** Antrea's GlobalVirtualMAC: the destination MAC of everything it sends into a tunnel. */
const GLOBAL_VIRTUAL_MAC = 'aa:bb:cc:dd:ee:ff';

export interface RateHost {
  name: string;
  ns: Netns;
  bundle: NodeBundle;
  podCIDR: string;
  gatewayIP: string;
  /** The address other Nodes' tunnels reach this Node at. */
  tunnelIP: string;
}

type InventoryPod = BundleInventory['inventory']['pods'][number];

function inventoryOf(host: RateHost): BundleInventory {
  return JSON.parse(host.bundle.files.get('bundle.json') ?? '{}') as BundleInventory;
}

export interface RateResult {
  ok: boolean;
  lines: string[];
}

interface IperfReport {
  end?: { sum_sent?: { bits_per_second?: number } };
  error?: string;
}

/**
 * iperf3's sender rate in Mbit/s (what the Go test reads), or why there is none. Asynchronous: a run lasts up to
 * time + omit seconds, longer than a test worker may leave its event loop blocked.
 */
async function iperf(pod: Netns, c: SnatCheck): Promise<number | string> {
  const rate = c.rateMbps!;
  const args = ['-c', c.to, '-p', String(c.port), '-t', String(rate.time), '-O', String(rate.omit), '-J'];
  const r = await pod.runAsync('iperf3', args, (rate.time + rate.omit + 30) * 1000);
  let report: IperfReport;
  try {
    report = JSON.parse(r.stdout) as IperfReport;
  } catch {
    return `iperf3 printed no report (exit ${r.status}): ${r.stderr.trim()}`;
  }
  const bps = report.end?.sum_sent?.bits_per_second;
  return report.error ?? (typeof bps === 'number' ? bps / 1e6 : 'iperf3 reported no sender rate');
}

export type SkbMark = { value: number; mask: number };

export function markText(m: SkbMark): string {
  return `0x${m.value.toString(16)}/0x${(m.mask >>> 0).toString(16)}`;
}

/**
 * Sets again, on the Node's kernel, the marks the flows set on this traffic (`match`: iptables match arguments):
 * a userspace datapath cannot hand skb marks to the kernel.
 */
export function markAgain(ns: Netns, match: readonly string[], marks: readonly SkbMark[]): void {
  for (const m of marks) ns.exec('iptables', ['-t', 'mangle', '-A', 'PREROUTING', ...match, '-j', 'MARK', '--set-xmark', markText(m)]);
}

function offloadsOff(ns: Netns, dev: string): void {
  ns.exec('ethtool', ['-K', dev, 'tso', 'off', 'gso', 'off', 'tx', 'off']);
}

interface RateSwitch {
  host: RateHost;
  ovs: Ovs;
  meta: BundleInventory;
}

/** The Node's whole bundle on a netdev switch in its namespace; `pod`'s port is the host end of its veth. */
async function rateSwitch(host: RateHost, pod?: InventoryPod): Promise<RateSwitch> {
  const meta = inventoryOf(host);
  const ovs = await startOvs({ netns: host.ns.name, datapath: 'netdev' });
  loadBundle(ovs, host.bundle, {
    gatewayName: GATEWAY_STANDIN,
    podPort: (p) => {
      if (!pod || p.namespace !== pod.namespace || p.name !== pod.name) return false;
      ovs.vsctl('add-port', ovs.bridge, p.interface, '--', 'set', 'interface', p.interface, `ofport_request=${p.ofport}`);
      return true;
    },
  });
  host.ns.ip([`link set ${GATEWAY_STANDIN} up`]);
  offloadsOff(host.ns, GATEWAY_STANDIN);
  return { host, ovs, meta };
}

/**
 * Joins two switches as the underlay joins their Nodes, for OVS's own userspace tunnels: each gets a netdev
 * bridge (UNDERLAY) holding the address its tunnels use, with one end of a veth between the two Nodes as its
 * port, and a route and neighbour for the other side's address through it.
 */
function joinUnderlay(a: RateSwitch, aIP: string, b: RateSwitch, bIP: string): void {
  a.host.ns.ip([`link add ${UNDERLAY_LINK}a type veth peer name ${UNDERLAY_LINK}b netns ${b.host.ns.name}`]);
  const sides = [
    { sw: a, ip: aIP, link: `${UNDERLAY_LINK}a` },
    { sw: b, ip: bIP, link: `${UNDERLAY_LINK}b` },
  ];
  // OVS takes a tunnel's source from an address of the bridge whose subnet holds the destination; noprefixroute
  // keeps that subnet out of the Node kernel's own routing.
  const prefix = commonPrefix([aIP, bIP]);
  for (const { sw, ip, link } of sides) {
    sw.ovs.vsctl('add-br', UNDERLAY, '--', 'set', 'bridge', UNDERLAY, 'datapath_type=netdev', 'protocols=OpenFlow10,OpenFlow13,OpenFlow15', 'fail-mode=secure', '--', 'add-port', UNDERLAY, link);
    sw.host.ns.ip([`link set ${link} up`, `addr add ${ip}/${prefix} dev ${UNDERLAY} noprefixroute`, `link set ${UNDERLAY} up`]);
    offloadsOff(sw.host.ns, link);
    sw.ovs.ofctl('add-flow', UNDERLAY, 'actions=NORMAL');
  }
  for (const [i, { sw }] of sides.entries()) {
    const peer = sides[1 - i]!;
    const mac = (JSON.parse(peer.sw.ovs.vsctl('get', 'interface', UNDERLAY, 'mac_in_use')) as string).toLowerCase();
    sw.ovs.appctl('ovs/route/add', `${peer.ip}/32`, UNDERLAY);
    sw.ovs.appctl('tnl/neigh/set', UNDERLAY, peer.ip, mac);
  }
}

/**
 * Runs the check's iperf3 from `from` (a Pod with `podIP`, on `podHost`) through the Egress Node `exit`'s switch
 * and kernel; a Pod on another Node crosses its own Node's switch first and reaches `exit` through the tunnel to
 * `tunnelDst`. `marks` are the skb marks the flows set on the SYN (value and mask).
 */
export async function measureEgressRate(
  podHost: RateHost,
  exit: RateHost,
  c: SnatCheck,
  podIP: string,
  marks: readonly SkbMark[],
  tunnelDst?: string,
): Promise<RateResult> {
  const rate = c.rateMbps!;
  const [namespace, name] = c.from.split('/');
  const pod = inventoryOf(podHost).inventory.pods.find((p) => p.namespace === namespace && p.name === name);
  if (!pod) throw new Error(`${c.from} has no port in ${podHost.name}'s bundle`);
  const remote = podHost.name !== exit.name;
  if (remote && !tunnelDst) return { ok: false, lines: [`rateMbps: ${c.from} on ${podHost.name} left from ${exit.name} without a tunnel`] };

  const podNs = createNetns('rpod');
  const switches: RateSwitch[] = [];
  const mangle = ['-i', GATEWAY_STANDIN, '-s', podIP, '-d', c.to, '-p', 'tcp', '--dport', String(c.port)];
  try {
    const gw = inventoryOf(podHost).inventory.gateway;
    podNs.ip([
      `link add eth0 type veth peer name ${pod.interface} netns ${podHost.ns.name}`,
      `link set eth0 address ${pod.mac}`,
      // Antrea's Pod MTU leaves room for the tunnel header (1450 with Geneve or VXLAN).
      ...(remote ? [`link set eth0 mtu ${TUNNELLED_POD_MTU}`] : []),
      `addr add ${podIP}/${podHost.podCIDR.split('/')[1]} dev eth0`,
      'link set eth0 up',
      `route add default via ${podHost.gatewayIP}`,
      `neigh replace ${podHost.gatewayIP} lladdr ${gw.mac} dev eth0`,
    ]);
    offloadsOff(podNs, 'eth0');
    podHost.ns.ip([`link set ${pod.interface} up`]);
    offloadsOff(podHost.ns, pod.interface);
    switches.push(await rateSwitch(podHost, pod));
    if (remote) {
      switches.push(await rateSwitch(exit));
      joinUnderlay(switches[0]!, podHost.tunnelIP, switches[1]!, tunnelDst!);
    }
    // Replies leave the Egress Node's kernel through its gateway: to the Pod's port, or into the tunnel back.
    exit.ns.ip([`route replace ${podIP}/32 dev ${GATEWAY_STANDIN}`, `neigh replace ${podIP} lladdr ${remote ? GLOBAL_VIRTUAL_MAC : pod.mac} dev ${GATEWAY_STANDIN}`]);
    markAgain(exit.ns, mangle, marks);
    const meters = switches.at(-1)!.ovs.dumpMeters().filter((m) => !/pktps/.test(m));
    const got = await withHostLock('iperf3', () => iperf(podNs, c));
    const path = remote ? `${podHost.name}'s switch, the tunnel to ${tunnelDst}, ${exit.name}'s switch` : `${exit.name}'s switch`;
    const lines = [`rateMbps: ${path} (netdev datapath), meters there ${meters.join(' ; ') || 'none'}`];
    if (typeof got === 'string') return { ok: false, lines: [...lines, got] };
    // testify's InEpsilon as the Go test calls it: the measured value is the reference.
    const ok = Math.abs(got - rate.expected) <= rate.tolerance * got;
    lines.push(`iperf3 -t ${rate.time} -O ${rate.omit}: sender ${got.toFixed(1)} Mbit/s, expected ${rate.expected} within ${rate.tolerance * 100}% of the measure`);
    return { ok, lines };
  } finally {
    exit.ns.run('iptables', ['-t', 'mangle', '-F', 'PREROUTING']);
    for (const sw of switches) {
      await sw.ovs.stop();
      // The userspace datapath's tap devices outlive its daemon.
      for (const dev of [GATEWAY_STANDIN, UNDERLAY, sw.ovs.bridge, 'ovs-netdev']) sw.host.ns.run('ip', ['link', 'del', dev]);
    }
    podNs.delete();
    podHost.ns.run('ip', ['link', 'del', pod.interface]);
    podHost.ns.run('ip', ['link', 'del', `${UNDERLAY_LINK}a`]);
    exit.ns.run('ip', ['route', 'del', `${podIP}/32`, 'dev', GATEWAY_STANDIN]);
  }
}
