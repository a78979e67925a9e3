// Deciding node-policy cells with real sockets (hostnet/cluster.ts): TCP connect (connected / ICMP port unreachable
// / timeout), a UDP datagram and its echo (reply / ICMP port unreachable / timeout), and for SCTP, which this
// kernel has no sockets for, a crafted INIT sent through a raw socket and looked for by the destination's raw
// socket. Reject is what Antrea's iptables REJECT sends: an ICMP port unreachable, seen by the source.

import { cidrContains, parseCidr, parseIP } from '../../../compiler/net/ip.js';
import type { PodInfo, ProbeSpec } from '../cases.js';
import type { Actual, Probe, ProbeOutcome } from '../probe.js';
import { ProbeError } from '../probe.js';
import type { HostNetCluster, HostPod } from './cluster.js';

const TIMEOUT_S = { TCP: 1.5, UDP: 1.5, SCTP: 1.0 } as const;

/** Cases whose fixture has host-network Pods run on network namespaces; every other case on OVS. */
export function runsOnHostNet(pods: readonly PodInfo[]): boolean {
  return pods.some((p) => p.hostNetwork && !p.fromStep);
}

export class HostNetProber {
  private constructor(
    private readonly cluster: HostNetCluster,
    private readonly pods: ReadonlyMap<string, PodInfo>,
  ) {}

  static async create(cluster: HostNetCluster, pods: readonly PodInfo[]): Promise<HostNetProber> {
    await cluster.ensurePods(pods);
    return new HostNetProber(cluster, new Map(pods.map((p) => [p.key, p])));
  }

  private pod(key: string): { info: PodInfo; at: HostPod } {
    const info = this.pods.get(key);
    const at = this.cluster.pods.get(key);
    if (!info || !at) throw new ProbeError(`no Pod ${key} with an address on a Node of this case`);
    return { info, at };
  }

  /** Source and destination addresses as the first packet carries them when it leaves the source. */
  addresses(spec: ProbeSpec): { src: string; dst: string } {
    const src = this.pod(spec.from).at;
    const node = this.cluster.nodes.get(src.node)!;
    let dst: string;
    if ('pod' in spec.to) {
      const d = this.pod(spec.to.pod).at;
      // A Pod reaches a host-network Pod of its own Node through its gateway (README, fixture notes).
      dst = d.hostNetwork && !src.hostNetwork && d.node === src.node ? this.cluster.nodes.get(d.node)!.gatewayIP : d.ip;
    } else dst = spec.to.ip;
    if (!src.hostNetwork) return { src: src.ip, dst };
    const ip = parseIP(dst);
    const toPods = !!ip && [...this.cluster.nodes.values()].some((n) => cidrContains(parseCidr(n.podCIDR)!, ip));
    return { src: toPods ? node.gatewayIP : node.internalIP, dst };
  }

  async run(probes: readonly Probe[]): Promise<ProbeOutcome[]> {
    return Promise.all(probes.map((p) => this.one(p)));
  }

  private async one(probe: Probe): Promise<ProbeOutcome> {
    const outcome = (actual: Actual, summary: string): ProbeOutcome => ({ probe, actual, summary, legs: [], emissions: [], packetIns: [], notes: [] });
    const spec = probe.spec;
    try {
      if (spec.protocol === 'ICMP') return outcome('error', 'ICMP cells are not run on the network-namespace backend');
      if (!('pod' in spec.to)) return outcome('error', 'only Pod destinations are run on the network-namespace backend');
      const { dst } = this.addresses(spec);
      const src = this.pod(spec.from).at;
      const dest = this.pod(spec.to.pod).at;
      const proto = spec.protocol.toLowerCase();
      if (proto !== 'sctp') {
        const l = await dest.agent.call('listen', { proto, port: spec.port });
        if (!l.ok) return outcome('error', `cannot listen on ${proto}/${spec.port} at ${dest.key}: ${l.error}`);
      }
      const a = await src.agent.call('probe', { proto, dst, port: spec.port, sport: probe.srcPort, timeout: TIMEOUT_S[spec.protocol] });
      if (!a.ok) return outcome('error', `agent: ${a.error}`);
      const result = a['result'] as string;
      const detail = a['detail'] ? ` (${String(a['detail'])})` : '';
      const where = `${spec.from} → ${dst}:${spec.port}/${spec.protocol} from port ${probe.srcPort}`;
      switch (result) {
        case 'connected':
          return outcome('allow', `${where}: connected`);
        case 'reply':
          return outcome('allow', `${where}: the echo came back`);
        case 'unreachable':
          return outcome('reject', `${where}: answered by ICMP port unreachable${detail}`);
        case 'blocked':
          return outcome('drop', `${where}: never left${detail}`);
        case 'timeout':
          return outcome('drop', `${where}: no answer within ${TIMEOUT_S[spec.protocol]} s`);
        case 'sent': {
          const seen = await dest.agent.call('sctp-seen', { sport: probe.srcPort, port: spec.port });
          if (!seen.ok) return outcome('error', `agent: ${seen.error}`);
          return seen['seen'] ? outcome('allow', `${where}: the INIT reached ${dest.key}`) : outcome('drop', `${where}: the INIT never reached ${dest.key}`);
        }
        default:
          return outcome('error', `${where}: ${result}${detail}`);
      }
    } catch (e) {
      if (e instanceof ProbeError) return outcome('error', e.message);
      throw e;
    }
  }

  async trace(_outcome: ProbeOutcome): Promise<string> {
    return `    rule counters (iptables-save -c, Node policy chains):\n${this.cluster.counters()}`;
  }
}
