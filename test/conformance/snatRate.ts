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
// A Pod whose Egress Node is another Node reaches the meter through the tunnel; carrying a stream through userspace
// tunnels between two such switches is not built (the dummy-datapath tunnels carry frames one by one), so that
// check fails saying so rather than measuring something else.

import { spawnSync } from 'node:child_process';
import type { NodeBundle } from '../../targets/bundle/bundle.js';
import { loadBundle, type BundleInventory } from '../harness/bundle.js';
import { createNetns, type Netns } from '../harness/netns.js';
import { withHostLock } from '../harness/hostLock.js';
import { startOvs } from '../harness/ovs.js';
import type { SnatCheck } from './snat.js';

const GATEWAY_STANDIN = 'dpc-ratgw0';

export interface RateHost {
  name: string;
  ns: Netns;
  bundle: NodeBundle;
  podCIDR: string;
  gatewayIP: string;
}

export interface RateResult {
  ok: boolean;
  lines: string[];
}

interface IperfReport {
  end?: { sum_sent?: { bits_per_second?: number } };
  error?: string;
}

/** iperf3's sender rate in Mbit/s (what the Go test reads), or why there is none. */
function iperf(pod: Netns, c: SnatCheck): number | string {
  const rate = c.rateMbps!;
  const args = ['-c', c.to, '-p', String(c.port), '-t', String(rate.time), '-O', String(rate.omit), '-J'];
  const r = spawnSync('ip', ['netns', 'exec', pod.name, 'iperf3', ...args], { encoding: 'utf8', timeout: (rate.time + rate.omit + 30) * 1000 });
  let report: IperfReport;
  try {
    report = JSON.parse(r.stdout) as IperfReport;
  } catch {
    return `iperf3 printed no report (exit ${r.status}): ${(r.stderr || String(r.error ?? '')).trim()}`;
  }
  const bps = report.end?.sum_sent?.bits_per_second;
  return report.error ?? (typeof bps === 'number' ? bps / 1e6 : 'iperf3 reported no sender rate');
}

function offloadsOff(ns: Netns, dev: string): void {
  ns.exec('ethtool', ['-K', dev, 'tso', 'off', 'gso', 'off', 'tx', 'off']);
}

/**
 * Runs the check's iperf3 from `from` (a Pod with `podIP`) through `host`'s switch and kernel. `marks` are the
 * skb marks the flows set on the SYN (value and mask).
 */
export async function measureEgressRate(host: RateHost, c: SnatCheck, podIP: string, marks: readonly { value: number; mask: number }[]): Promise<RateResult> {
  const rate = c.rateMbps!;
  const meta = JSON.parse(host.bundle.files.get('bundle.json') ?? '{}') as BundleInventory;
  const [namespace, name] = c.from.split('/');
  const pod = meta.inventory.pods.find((p) => p.namespace === namespace && p.name === name);
  if (!pod) return { ok: false, lines: [`rateMbps: ${c.from} reaches Egress Node ${host.name} through the tunnel; the runner measures rates of Pods on their Egress Node only`] };

  const podNs = createNetns('rpod');
  const ovs = await startOvs({ netns: host.ns.name, datapath: 'netdev' });
  const gw = meta.inventory.gateway;
  const mangle = ['-i', GATEWAY_STANDIN, '-s', podIP, '-d', c.to, '-p', 'tcp', '--dport', String(c.port)];
  try {
    podNs.ip([
      `link add eth0 type veth peer name ${pod.interface} netns ${host.ns.name}`,
      `link set eth0 address ${pod.mac}`,
      `addr add ${podIP}/${host.podCIDR.split('/')[1]} dev eth0`,
      'link set eth0 up',
      `route add default via ${host.gatewayIP}`,
      `neigh replace ${host.gatewayIP} lladdr ${gw.mac} dev eth0`,
    ]);
    offloadsOff(podNs, 'eth0');
    host.ns.ip([`link set ${pod.interface} up`]);
    offloadsOff(host.ns, pod.interface);
    loadBundle(ovs, host.bundle, {
      gatewayName: GATEWAY_STANDIN,
      podPort: (p) => {
        if (p.namespace !== pod.namespace || p.name !== pod.name) return false;
        ovs.vsctl('add-port', ovs.bridge, p.interface, '--', 'set', 'interface', p.interface, `ofport_request=${p.ofport}`);
        return true;
      },
    });
    host.ns.ip([`link set ${GATEWAY_STANDIN} up`, `route replace ${podIP}/32 dev ${GATEWAY_STANDIN}`, `neigh replace ${podIP} lladdr ${pod.mac} dev ${GATEWAY_STANDIN}`]);
    offloadsOff(host.ns, GATEWAY_STANDIN);
    for (const m of marks) host.ns.exec('iptables', ['-t', 'mangle', '-A', 'PREROUTING', ...mangle, '-j', 'MARK', '--set-xmark', `0x${m.value.toString(16)}/0x${(m.mask >>> 0).toString(16)}`]);
    const meters = ovs.dumpMeters().filter((m) => !/pktps/.test(m));
    const got = await withHostLock('iperf3', async () => iperf(podNs, c));
    const lines = [`rateMbps: ${host.name}'s switch (netdev datapath) with meters ${meters.join(' ; ') || 'none'}`];
    if (typeof got === 'string') return { ok: false, lines: [...lines, got] };
    // testify's InEpsilon as the Go test calls it: the measured value is the reference.
    const ok = Math.abs(got - rate.expected) <= rate.tolerance * got;
    lines.push(`iperf3 -t ${rate.time} -O ${rate.omit}: sender ${got.toFixed(1)} Mbit/s, expected ${rate.expected} within ${rate.tolerance * 100}% of the measure`);
    return { ok, lines };
  } finally {
    host.ns.run('iptables', ['-t', 'mangle', '-F', 'PREROUTING']);
    await ovs.stop();
    podNs.delete();
    host.ns.run('ip', ['link', 'del', pod.interface]);
    host.ns.run('ip', ['route', 'del', `${podIP}/32`, 'dev', GATEWAY_STANDIN]);
  }
}
