/**
 * Basic per-Node forwarding in encap mode (reference/ovs-pipeline.md §4): classification, spoof guards,
 * conntrack, L3 routing to local Pods / the gateway / peer Nodes over the tunnel, L2 forwarding and output.
 */
import type { ClusterModel, NodeInfo } from '../model/model.js';
import { hostCidr, parseIP, type IPAddr } from '../net/ip.js';
import type { NodePorts } from '../allocate/ports.js';
import {
  CtMark,
  CtZone,
  FromExternalRegMark,
  FromGatewayRegMark,
  FromLocalRegMark,
  FromPodRegMark,
  FromTunnelRegMark,
  GlobalVirtualMAC,
  HostLocalSourceMark,
  NotRewriteMACRegMark,
  OutputToOFPortRegMark,
  Priority,
  RewriteMACRegMark,
  SNATCtZone,
  TargetOFPortField,
  ToGatewayRegMark,
  ToTunnelRegMark,
  ToUplinkRegMark,
  VirtualServiceIPv4,
  EpToSelectRegMark,
} from './fields.js';
import { DROP, CookieCategory, cookie, goto, loadField, loadMark, regMatch, type Action, type Flow, type Match } from './flow.js';
import { firstTableOfStage, hasTable, nextTable, type TableMap, type TableName } from './pipeline.js';

/**
 * Flows that are the same on every Node that has them, built once per compile. With a thousand Nodes each
 * Node answers ARP for 999 peers; sharing the records also lets the renderer spell each line once.
 */
export interface SharedFlows {
  arpResponder: ReadonlyMap<string, Flow>;
}

function arpResponderFlow(peer: NodeInfo): Flow {
  return sharedFlow('ARPResponder', Priority.normal, { proto: 'arp', arpTpa: peer.gatewayIP, arpOp: 1 }, [
    { kind: 'move', src: 'NXM_OF_ETH_SRC[]', dst: 'NXM_OF_ETH_DST[]' },
    { kind: 'setMac', field: 'eth_src', mac: GlobalVirtualMAC },
    { kind: 'setValue', field: 'arp_op', value: 2n },
    { kind: 'move', src: 'NXM_NX_ARP_SHA[]', dst: 'NXM_NX_ARP_THA[]' },
    { kind: 'setMac', field: 'arp_sha', mac: GlobalVirtualMAC },
    { kind: 'move', src: 'NXM_OF_ARP_SPA[]', dst: 'NXM_OF_ARP_TPA[]' },
    { kind: 'setIP', field: 'arp_spa', ip: peer.gatewayIP },
    { kind: 'inPort' },
  ]);
}

export function createSharedFlows(model: ClusterModel): SharedFlows {
  return { arpResponder: new Map(model.nodes.map((n) => [n.name, arpResponderFlow(n)])) };
}

interface Ctx {
  shared: SharedFlows;
  tables: TableMap;
  node: NodeInfo;
  ports: NodePorts;
  peers: readonly NodeInfo[];
  proxy: boolean;
}

const COOKIE = cookie(CookieCategory.podConnectivity);

function flow(table: TableName, priority: number, match: Match, actions: Action[]): Flow {
  return { table, priority, match, actions, cookie: COOKIE };
}

function sharedFlow(table: TableName, priority: number, match: Match, actions: Action[]): Flow {
  return { ...flow(table, priority, match, actions), shared: true };
}

function rootFlows(c: Ctx): Flow[] {
  const out = [flow('PipelineRootClassifier', Priority.normal, { proto: 'ip' }, [goto('Classifier')])];
  if (hasTable(c.tables, 'ARPSpoofGuard')) {
    out.push(flow('PipelineRootClassifier', Priority.normal, { proto: 'arp' }, [goto('ARPSpoofGuard')]));
  }
  return out;
}

function arpFlows(c: Ctx): Flow[] {
  const { ports, node } = c;
  const guard = (inPort: number, ip: IPAddr, mac: string) =>
    flow('ARPSpoofGuard', Priority.normal, { proto: 'arp', inPort, arpSpa: ip, arpSha: mac }, [goto('ARPResponder')]);
  const out: Flow[] = [guard(ports.gateway.ofport, node.gatewayIP, ports.gateway.mac)];
  for (const p of ports.pods) out.push(guard(p.ofport, p.pod.ip, p.mac));
  // Peer gateways are reached through the tunnel, so nothing on this bridge would answer ARP for them.
  for (const peer of c.peers) out.push(c.shared.arpResponder.get(peer.name)!);
  out.push(flow('ARPResponder', Priority.low, { proto: 'arp' }, [{ kind: 'normal' }]));
  return out;
}

function classifierFlows(c: Ctx): Flow[] {
  const { ports, node, tables } = c;
  const gw = ports.gateway.ofport;
  // Tunnelled packets were checked on their source Node: they skip SpoofGuard.
  const afterTunnel = firstTableOfStage(tables, 'conntrackState');
  const out: Flow[] = [
    flow('Classifier', Priority.high, { proto: 'ip', inPort: gw, nwSrc: hostCidr(node.gatewayIP) }, [
      loadMark(FromGatewayRegMark),
      loadMark(FromLocalRegMark),
      goto('SpoofGuard'),
    ]),
    flow('Classifier', Priority.normal, { inPort: gw }, [loadMark(FromGatewayRegMark), loadMark(FromExternalRegMark), goto('SpoofGuard')]),
    flow('Classifier', Priority.normal, { inPort: ports.tunnel.ofport }, [
      loadMark(FromTunnelRegMark),
      loadMark(RewriteMACRegMark),
      goto(afterTunnel),
    ]),
  ];
  for (const p of ports.pods) {
    out.push(flow('Classifier', Priority.low, { inPort: p.ofport }, [loadMark(FromPodRegMark), loadMark(FromLocalRegMark), goto('SpoofGuard')]));
  }
  return out;
}

function spoofGuardFlows(c: Ctx): Flow[] {
  const next = nextTable(c.tables, 'SpoofGuard');
  const out: Flow[] = [flow('SpoofGuard', Priority.normal, { proto: 'ip', inPort: c.ports.gateway.ofport }, [goto(next)])];
  for (const p of c.ports.pods) {
    out.push(flow('SpoofGuard', Priority.normal, { proto: 'ip', inPort: p.ofport, dlSrc: p.mac, nwSrc: hostCidr(p.pod.ip) }, [goto(next)]));
  }
  return out;
}

function conntrackFlows(c: Ctx): Flow[] {
  const egressSecurity = firstTableOfStage(c.tables, 'egressSecurity');
  const out: Flow[] = [];
  if (c.proxy) {
    // Replies to hairpinned Service traffic and to Node-originated Service traffic are un-SNATed first.
    for (const ip of [parseIP(VirtualServiceIPv4)!, c.node.gatewayIP]) {
      out.push(flow('UnSNAT', Priority.normal, { proto: 'ip', nwDst: hostCidr(ip) }, [{ kind: 'ct', table: 'ConntrackZone', zone: SNATCtZone, nat: true }]));
    }
  }
  out.push(
    flow('ConntrackZone', Priority.normal, { proto: 'ip' }, [{ kind: 'ct', table: 'ConntrackState', zone: CtZone, nat: true }]),
    flow('ConntrackState', Priority.normal, { ctState: '+inv+trk', proto: 'ip' }, [DROP]),
  );
  if (c.proxy) {
    out.push(
      flow('ConntrackState', Priority.low, { ctState: '-new+trk', ctMark: { value: 0n, mask: CtMark.service }, proto: 'ip' }, [goto(egressSecurity)]),
      flow('ConntrackState', Priority.low, { ctState: '-new+trk', ctMark: { value: CtMark.service, mask: CtMark.service }, proto: 'ip' }, [
        loadMark(RewriteMACRegMark),
        goto(egressSecurity),
      ]),
    );
  } else {
    out.push(flow('ConntrackState', Priority.low, { ctState: '-new+trk', proto: 'ip' }, [goto(egressSecurity)]));
  }
  const commitMatch: Match = c.proxy
    ? { ctState: '+new+trk', ctMark: { value: 0n, mask: CtMark.snat }, proto: 'ip' }
    : { ctState: '+new+trk', proto: 'ip' };
  out.push(
    flow('ConntrackCommit', Priority.normal, commitMatch, [
      {
        kind: 'ct',
        commit: true,
        table: 'Output',
        zone: CtZone,
        exec: [{ kind: 'move', src: 'NXM_NX_REG0[0..3]', dst: 'NXM_NX_CT_MARK[0..3]' }],
      },
    ]),
  );
  return out;
}

/** With no Services compiled yet, PreRouting still runs Antrea's lookups so table behaviour matches the agent's. */
function serviceSkeletonFlows(c: Ctx): Flow[] {
  if (!c.proxy) return [];
  return [
    flow('PreRoutingClassifier', Priority.normal, { proto: 'ip' }, [
      { kind: 'resubmit', table: 'SessionAffinity' },
      { kind: 'resubmit', table: 'ServiceLB' },
    ]),
  ];
}

function l3Flows(c: Ctx): Flow[] {
  const { node, ports } = c;
  const gwMac = ports.gateway.mac;
  const out: Flow[] = [
    flow('L3Forwarding', Priority.high, { proto: 'ip', nwDst: hostCidr(node.gatewayIP) }, [
      { kind: 'setMac', field: 'eth_dst', mac: gwMac },
      loadMark(ToGatewayRegMark),
      goto('L3DecTTL'),
    ]),
    // Replies of connections the gateway started go back to the gateway, whatever their destination.
    flow(
      'L3Forwarding',
      Priority.high,
      { ctState: '+rpl+trk', ctMark: { value: CtMark.fromGateway, mask: CtMark.connSourceMask }, proto: 'ip' },
      [{ kind: 'setMac', field: 'eth_dst', mac: gwMac }, loadMark(ToGatewayRegMark), goto('L3DecTTL')],
    ),
    // Same-Node Pod traffic is switched, not routed: MACs and TTL stay as they are.
    flow('L3Forwarding', Priority.normal, { proto: 'ip', regs: regMatch(NotRewriteMACRegMark), nwDst: node.podCIDR }, [goto('L2ForwardingCalc')]),
  ];
  for (const peer of c.peers) {
    out.push(
      flow('L3Forwarding', Priority.normal, { proto: 'ip', nwDst: peer.podCIDR }, [
        { kind: 'setMac', field: 'eth_src', mac: gwMac },
        { kind: 'setMac', field: 'eth_dst', mac: GlobalVirtualMAC },
        { kind: 'setIP', field: 'tun_dst', ip: peer.internalIP },
        loadMark(ToTunnelRegMark),
        goto('L3DecTTL'),
      ]),
    );
  }
  for (const p of ports.pods) {
    out.push(
      flow('L3Forwarding', Priority.normal, { proto: 'ip', regs: regMatch(RewriteMACRegMark), nwDst: hostCidr(p.pod.ip) }, [
        { kind: 'setMac', field: 'eth_src', mac: gwMac },
        { kind: 'setMac', field: 'eth_dst', mac: p.mac },
        goto('L3DecTTL'),
      ]),
    );
  }
  if (c.proxy) {
    out.push(
      flow(
        'L3Forwarding',
        Priority.low,
        { ctMark: { value: CtMark.service, mask: CtMark.service }, regs: regMatch(RewriteMACRegMark, FromGatewayRegMark) },
        [{ kind: 'setMac', field: 'eth_dst', mac: gwMac }, loadMark(ToGatewayRegMark), goto('L3DecTTL')],
      ),
    );
  }
  const decTtlNext = nextTable(c.tables, 'L3DecTTL');
  out.push(
    // The kernel already decremented TTL for packets routed in from the gateway.
    flow('L3DecTTL', Priority.high, { proto: 'ip', regs: regMatch(FromGatewayRegMark) }, [goto(decTtlNext)]),
    flow('L3DecTTL', Priority.normal, { proto: 'ip' }, [{ kind: 'decTtl' }, goto(decTtlNext)]),
  );
  return out;
}

function l2Flows(c: Ctx): Flow[] {
  const next = nextTable(c.tables, 'L2ForwardingCalc');
  const to = (mac: string, ofport: number) =>
    flow('L2ForwardingCalc', Priority.normal, { dlDst: mac }, [
      loadField(TargetOFPortField, BigInt(ofport)),
      loadMark(OutputToOFPortRegMark),
      goto(next),
    ]);
  const out = [to(c.ports.gateway.mac, c.ports.gateway.ofport), to(GlobalVirtualMAC, c.ports.tunnel.ofport)];
  for (const p of c.ports.pods) out.push(to(p.mac, p.ofport));
  return out;
}

/** Only traffic to local Pods is checked against ingress rules; the rest goes straight to the metric table. */
function ingressClassifierFlows(c: Ctx): Flow[] {
  const out: Flow[] = [
    flow(
      'IngressSecurityClassifier',
      Priority.high,
      { pktMark: { value: HostLocalSourceMark, mask: HostLocalSourceMark }, ctState: '-rpl+trk', proto: 'ip' },
      [goto('ConntrackCommit')],
    ),
  ];
  for (const m of [ToGatewayRegMark, ToTunnelRegMark, ToUplinkRegMark]) {
    out.push(flow('IngressSecurityClassifier', Priority.normal, { regs: regMatch(m) }, [goto('IngressMetric')]));
  }
  if (c.proxy) {
    out.push(
      flow('IngressSecurityClassifier', Priority.normal, { ctMark: { value: CtMark.hairpin, mask: CtMark.hairpin } }, [goto('ConntrackCommit')]),
    );
  }
  return out;
}

function outputFlows(c: Ctx): Flow[] {
  const out: Flow[] = [];
  if (c.proxy) {
    out.push(
      flow('Output', Priority.high, { ctMark: { value: CtMark.hairpin, mask: CtMark.hairpin }, regs: regMatch(OutputToOFPortRegMark) }, [{ kind: 'inPort' }]),
    );
  }
  out.push(flow('Output', Priority.normal, { regs: regMatch(OutputToOFPortRegMark) }, [{ kind: 'outputReg', src: 'NXM_NX_REG1[]' }]));
  return out;
}

/**
 * Priority-0 flows that features install in place of the automatic `goto next` (reference §1.4 and gotcha 8).
 */
export function podConnectivityMissFlows(tables: TableMap, proxy: boolean): Flow[] {
  const out: Flow[] = [];
  if (proxy && hasTable(tables, 'SessionAffinity')) {
    // Reached by resubmit: it only marks "select an Endpoint" and returns.
    out.push(flow('SessionAffinity', Priority.miss, {}, [loadMark(EpToSelectRegMark)]));
  }
  out.push(flow('L3Forwarding', Priority.miss, {}, [loadMark(ToGatewayRegMark), goto('L2ForwardingCalc')]));
  return out;
}

export function planPodConnectivity(model: ClusterModel, node: NodeInfo, ports: NodePorts, tables: TableMap, shared: SharedFlows): Flow[] {
  const f = model.config.features;
  const c: Ctx = {
    shared,
    tables,
    node,
    ports,
    peers: model.nodes.filter((n) => n.name !== node.name),
    proxy: f.antreaProxy,
  };
  return [
    ...rootFlows(c),
    ...arpFlows(c),
    ...classifierFlows(c),
    ...spoofGuardFlows(c),
    ...conntrackFlows(c),
    ...serviceSkeletonFlows(c),
    ...l3Flows(c),
    ...l2Flows(c),
    ...ingressClassifierFlows(c),
    ...outputFlows(c),
    ...podConnectivityMissFlows(tables, c.proxy),
  ];
}
