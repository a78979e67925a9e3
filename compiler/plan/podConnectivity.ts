/**
 * Basic per-Node forwarding in encap mode (docs/reference/ovs-pipeline.md §4): classification, spoof guards,
 * conntrack, L3 routing to local Pods / the gateway / peer Nodes over the tunnel, L2 forwarding and output.
 */
import type { ClusterModel, NodeInfo } from '../model/model.js';
import { hostCidr, parseIP, type IPAddr } from '../net/ip.js';
import type { NodePorts, PodPort } from '../allocate/ports.js';
import {
  ConnSourceCTMarkField,
  CtZone,
  FromGatewayCTMark,
  HairpinCTMark,
  NotConnSNATCTMark,
  NotServiceCTMark,
  PktSourceField,
  ServiceCTMark,
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
import { DROP, bitsMatch, bitsRef, featureCookie, goto, headerRef, loadField, loadMark, regMatch, regRef, type Action, type Flow, type Feature, type Match, type Origin } from './flow.js';
import { firstTableOfStage, hasTable, nextTable, type TableMap, type TableName } from '../allocate/pipeline.js';
import { LOCAL_GATEWAY_MAC, type FamilyUse, type FlowFamily } from './family.js';

/**
 * Flows that are the same on every Node that has them, built once per compile: with a thousand Nodes each Node
 * answers ARP for 999 peer gateways and routes to 999 peer Pod CIDRs. Each is a family (./family.ts) keyed by the
 * peer's name, so a Node's plan holds the family minus its own entry and the renderer orders each family once.
 */
export interface SharedFlows {
  readonly arpResponder: FlowFamily;
  /** The route to each peer's Pod CIDR; the source MAC is the local gateway's (LOCAL_GATEWAY_MAC). */
  readonly peerRoutes: FlowFamily;
}

function peerRouteFlow(peer: NodeInfo): Flow {
  return flow(nodeOrigin(peer), 'L3Forwarding', Priority.normal, { proto: 'ip', nwDst: peer.podCIDR }, [
    { kind: 'setMac', field: 'eth_src', mac: LOCAL_GATEWAY_MAC },
    { kind: 'setMac', field: 'eth_dst', mac: GlobalVirtualMAC },
    { kind: 'setIP', field: 'tun_dst', ip: peer.internalIP },
    loadMark(ToTunnelRegMark),
    goto('L3DecTTL'),
  ]);
}

function arpResponderFlow(peer: NodeInfo): Flow {
  return flow(nodeOrigin(peer), 'ARPResponder', Priority.normal, { proto: 'arp', arpTpa: peer.gatewayIP, arpOp: 1 }, [
    { kind: 'move', src: headerRef('NXM_OF_ETH_SRC'), dst: headerRef('NXM_OF_ETH_DST') },
    { kind: 'setMac', field: 'eth_src', mac: GlobalVirtualMAC },
    { kind: 'setArpOp', value: 2 },
    { kind: 'move', src: headerRef('NXM_NX_ARP_SHA'), dst: headerRef('NXM_NX_ARP_THA') },
    { kind: 'setMac', field: 'arp_sha', mac: GlobalVirtualMAC },
    { kind: 'move', src: headerRef('NXM_OF_ARP_SPA'), dst: headerRef('NXM_OF_ARP_TPA') },
    { kind: 'setIP', field: 'arp_spa', ip: peer.gatewayIP },
    { kind: 'inPort' },
  ]);
}

export function createSharedFlows(model: ClusterModel): SharedFlows {
  const family = (name: string, make: (peer: NodeInfo) => Flow): FlowFamily => ({ name, members: model.nodes.map((n) => ({ key: n.name, flow: make(n) })) });
  return { arpResponder: family('ARP responder for peer gateways', arpResponderFlow), peerRoutes: family('routes to peer Pod CIDRs', peerRouteFlow) };
}

interface Ctx {
  origin: Origin;
  /** The same Node origin for the flows Antrea's Service, NetworkPolicy and Egress features build. */
  service: Origin;
  policy: Origin;
  egressOrigin: Origin;
  tables: TableMap;
  node: NodeInfo;
  ports: NodePorts;
  proxy: boolean;
}

/**
 * A flow's cookie carries the category of its origin's feature. Antrea builds some of the flows below in other
 * features than PodConnectivity, and so does this module: the Service skeleton (featureService), the
 * IngressSecurityClassifier (featureNetworkPolicy) and the way into EgressMark (featureEgress), pipeline.go.
 */
function flow(origin: Origin, table: TableName, priority: number, match: Match, actions: Action[]): Flow {
  return { table, priority, match, actions, cookie: featureCookie(origin.feature), origin };
}

const asFeature = (feature: Feature, origin: Origin): Origin => ({ ...origin, feature });

/** Flows a Node has for itself, for a peer Node, or for one of its Pods. */
export const nodeOrigin = (node: NodeInfo): Origin => ({ feature: 'PodConnectivity', kind: 'Node', name: node.name });
const podOrigin = (p: PodPort): Origin => ({ feature: 'PodConnectivity', kind: 'Pod', namespace: p.pod.namespace, name: p.pod.name });

function rootFlows(c: Ctx): Flow[] {
  const out = [flow(c.origin, 'PipelineRootClassifier', Priority.normal, { proto: 'ip' }, [goto('Classifier')])];
  if (hasTable(c.tables, 'ARPSpoofGuard')) {
    out.push(flow(c.origin, 'PipelineRootClassifier', Priority.normal, { proto: 'arp' }, [goto('ARPSpoofGuard')]));
  }
  return out;
}

function arpFlows(c: Ctx): Flow[] {
  const { ports, node } = c;
  const guard = (origin: Origin, inPort: number, ip: IPAddr, mac: string) =>
    flow(origin, 'ARPSpoofGuard', Priority.normal, { proto: 'arp', inPort, arpSpa: ip, arpSha: mac }, [goto('ARPResponder')]);
  const out: Flow[] = [guard(c.origin, ports.gateway.ofport, node.gatewayIP, ports.gateway.mac)];
  for (const p of ports.pods) out.push(guard(podOrigin(p), p.ofport, p.pod.ip, p.mac));
  out.push(flow(c.origin, 'ARPResponder', Priority.low, { proto: 'arp' }, [{ kind: 'normal' }]));
  return out;
}

function classifierFlows(c: Ctx): Flow[] {
  const { ports, node, tables } = c;
  const gw = ports.gateway.ofport;
  // Tunnelled packets were checked on their source Node: they skip SpoofGuard.
  const afterTunnel = firstTableOfStage(tables, 'conntrackState');
  const out: Flow[] = [
    flow(c.origin, 'Classifier', Priority.high, { proto: 'ip', inPort: gw, nwSrc: hostCidr(node.gatewayIP) }, [
      loadMark(FromGatewayRegMark),
      loadMark(FromLocalRegMark),
      goto('SpoofGuard'),
    ]),
    flow(c.origin, 'Classifier', Priority.normal, { inPort: gw }, [loadMark(FromGatewayRegMark), loadMark(FromExternalRegMark), goto('SpoofGuard')]),
    flow(c.origin, 'Classifier', Priority.normal, { inPort: ports.tunnel.ofport }, [
      loadMark(FromTunnelRegMark),
      loadMark(RewriteMACRegMark),
      goto(afterTunnel),
    ]),
  ];
  for (const p of ports.pods) {
    out.push(flow(podOrigin(p), 'Classifier', Priority.low, { inPort: p.ofport }, [loadMark(FromPodRegMark), loadMark(FromLocalRegMark), goto('SpoofGuard')]));
  }
  return out;
}

function spoofGuardFlows(c: Ctx): Flow[] {
  const next = nextTable(c.tables, 'SpoofGuard');
  const out: Flow[] = [flow(c.origin, 'SpoofGuard', Priority.normal, { proto: 'ip', inPort: c.ports.gateway.ofport }, [goto(next)])];
  for (const p of c.ports.pods) {
    out.push(flow(podOrigin(p), 'SpoofGuard', Priority.normal, { proto: 'ip', inPort: p.ofport, dlSrc: p.mac, nwSrc: hostCidr(p.pod.ip) }, [goto(next)]));
  }
  return out;
}

function conntrackFlows(c: Ctx): Flow[] {
  const egressSecurity = firstTableOfStage(c.tables, 'egressSecurity');
  const out: Flow[] = [];
  if (c.proxy) {
    // Replies to hairpinned Service traffic and to Node-originated Service traffic are un-SNATed first.
    for (const ip of [parseIP(VirtualServiceIPv4)!, c.node.gatewayIP]) {
      out.push(flow(c.service, 'UnSNAT', Priority.normal, { proto: 'ip', nwDst: hostCidr(ip) }, [{ kind: 'ct', table: 'ConntrackZone', zone: SNATCtZone, nat: true }]));
    }
  }
  out.push(
    flow(c.origin, 'ConntrackZone', Priority.normal, { proto: 'ip' }, [{ kind: 'ct', table: 'ConntrackState', zone: CtZone, nat: true }]),
    flow(c.origin, 'ConntrackState', Priority.normal, { ctState: '+inv+trk', proto: 'ip' }, [DROP]),
  );
  if (c.proxy) {
    out.push(
      flow(c.origin, 'ConntrackState', Priority.low, { ctState: '-new+trk', ctMark: bitsMatch(NotServiceCTMark), proto: 'ip' }, [goto(egressSecurity)]),
      flow(c.service, 'ConntrackState', Priority.low, { ctState: '-new+trk', ctMark: bitsMatch(ServiceCTMark), proto: 'ip' }, [
        loadMark(RewriteMACRegMark),
        goto(egressSecurity),
      ]),
    );
  } else {
    out.push(flow(c.origin, 'ConntrackState', Priority.low, { ctState: '-new+trk', proto: 'ip' }, [goto(egressSecurity)]));
  }
  const commitMatch: Match = c.proxy
    ? { ctState: '+new+trk', ctMark: bitsMatch(NotConnSNATCTMark), proto: 'ip' }
    : { ctState: '+new+trk', proto: 'ip' };
  out.push(
    flow(c.origin, 'ConntrackCommit', Priority.normal, commitMatch, [
      {
        kind: 'ct',
        commit: true,
        table: 'Output',
        zone: CtZone,
        exec: [{ kind: 'move', src: regRef(PktSourceField), dst: bitsRef(ConnSourceCTMarkField) }],
      },
    ]),
  );
  return out;
}

/** With no Services compiled yet, PreRouting still runs Antrea's lookups so table behaviour matches the agent's. */
function serviceSkeletonFlows(c: Ctx): Flow[] {
  if (!c.proxy) return [];
  return [
    flow(c.service, 'PreRoutingClassifier', Priority.normal, { proto: 'ip' }, [
      { kind: 'resubmit', table: 'SessionAffinity' },
      { kind: 'resubmit', table: 'ServiceLB' },
    ]),
  ];
}

function l3Flows(c: Ctx): Flow[] {
  const { node, ports } = c;
  const gwMac = ports.gateway.mac;
  const out: Flow[] = [
    flow(c.origin, 'L3Forwarding', Priority.high, { proto: 'ip', nwDst: hostCidr(node.gatewayIP) }, [
      { kind: 'setMac', field: 'eth_dst', mac: gwMac },
      loadMark(ToGatewayRegMark),
      goto('L3DecTTL'),
    ]),
    // Replies of connections the gateway started go back to the gateway, whatever their destination.
    flow(c.origin, 'L3Forwarding',
      Priority.high,
      { ctState: '+rpl+trk', ctMark: bitsMatch(FromGatewayCTMark), proto: 'ip' },
      [{ kind: 'setMac', field: 'eth_dst', mac: gwMac }, loadMark(ToGatewayRegMark), goto('L3DecTTL')],
    ),
    // Same-Node Pod traffic is switched, not routed: MACs and TTL stay as they are.
    flow(c.origin, 'L3Forwarding', Priority.normal, { proto: 'ip', regs: regMatch(NotRewriteMACRegMark), nwDst: node.podCIDR }, [goto('L2ForwardingCalc')]),
  ];
  for (const p of ports.pods) {
    out.push(
      flow(podOrigin(p), 'L3Forwarding', Priority.normal, { proto: 'ip', regs: regMatch(RewriteMACRegMark), nwDst: hostCidr(p.pod.ip) }, [
        { kind: 'setMac', field: 'eth_src', mac: gwMac },
        { kind: 'setMac', field: 'eth_dst', mac: p.mac },
        goto('L3DecTTL'),
      ]),
    );
  }
  if (c.proxy) {
    out.push(
      flow(c.service, 'L3Forwarding',
        Priority.low,
        { ctMark: bitsMatch(ServiceCTMark), regs: regMatch(RewriteMACRegMark, FromGatewayRegMark) },
        [{ kind: 'setMac', field: 'eth_dst', mac: gwMac }, loadMark(ToGatewayRegMark), goto('L3DecTTL')],
      ),
    );
  }
  const decTtlNext = nextTable(c.tables, 'L3DecTTL');
  out.push(
    // The kernel already decremented TTL for packets routed in from the gateway.
    flow(c.origin, 'L3DecTTL', Priority.high, { proto: 'ip', regs: regMatch(FromGatewayRegMark) }, [goto(decTtlNext)]),
    flow(c.origin, 'L3DecTTL', Priority.normal, { proto: 'ip' }, [{ kind: 'decTtl' }, goto(decTtlNext)]),
  );
  return out;
}

function l2Flows(c: Ctx): Flow[] {
  const next = nextTable(c.tables, 'L2ForwardingCalc');
  const to = (origin: Origin, mac: string, ofport: number) =>
    flow(origin, 'L2ForwardingCalc', Priority.normal, { dlDst: mac }, [
      loadField(TargetOFPortField, BigInt(ofport)),
      loadMark(OutputToOFPortRegMark),
      goto(next),
    ]);
  const out = [to(c.origin, c.ports.gateway.mac, c.ports.gateway.ofport), to(c.origin, GlobalVirtualMAC, c.ports.tunnel.ofport)];
  for (const p of c.ports.pods) out.push(to(podOrigin(p), p.mac, p.ofport));
  return out;
}

/** Only traffic to local Pods is checked against ingress rules; the rest goes straight to the metric table. */
function ingressClassifierFlows(c: Ctx): Flow[] {
  const out: Flow[] = [
    flow(c.origin, 'IngressSecurityClassifier',
      Priority.high,
      { pktMark: bitsMatch(HostLocalSourceMark), ctState: '-rpl+trk', proto: 'ip' },
      [goto('ConntrackCommit')],
    ),
  ];
  for (const m of [ToGatewayRegMark, ToTunnelRegMark, ToUplinkRegMark]) {
    out.push(flow(c.policy, 'IngressSecurityClassifier', Priority.normal, { regs: regMatch(m) }, [goto('IngressMetric')]));
  }
  if (c.proxy) {
    out.push(
      flow(c.policy, 'IngressSecurityClassifier', Priority.normal, { ctMark: bitsMatch(HairpinCTMark) }, [goto('ConntrackCommit')]),
    );
  }
  return out;
}

function outputFlows(c: Ctx): Flow[] {
  const out: Flow[] = [];
  if (c.proxy) {
    out.push(
      flow(c.service, 'Output', Priority.high, { ctMark: bitsMatch(HairpinCTMark), regs: regMatch(OutputToOFPortRegMark) }, [{ kind: 'inPort' }]),
    );
  }
  out.push(flow(c.origin, 'Output', Priority.normal, { regs: regMatch(OutputToOFPortRegMark) }, [{ kind: 'outputReg', field: TargetOFPortField }]));
  return out;
}

/**
 * Priority-0 flows that features install in place of the automatic `goto next` (docs/reference/ovs-pipeline.md §1.4, §8 item 8).
 */
export function podConnectivityMissFlows(origin: Origin, tables: TableMap, proxy: boolean): Flow[] {
  const out: Flow[] = [];
  if (proxy && hasTable(tables, 'SessionAffinity')) {
    // Reached by resubmit: it only marks "select an Endpoint" and returns.
    out.push(flow(asFeature('Service', origin), 'SessionAffinity', Priority.miss, {}, [loadMark(EpToSelectRegMark)]));
  }
  out.push(flow(origin, 'L3Forwarding', Priority.miss, {}, [loadMark(ToGatewayRegMark), goto('L2ForwardingCalc')]));
  return out;
}

/**
 * The Node's own flows, and the families it shares with every other Node minus its own entry: peer gateways are
 * reached through the tunnel, so nothing on this bridge would answer ARP for them, and a Node routes its own Pod
 * CIDR locally.
 */
export function planPodConnectivity(
  model: ClusterModel,
  node: NodeInfo,
  ports: NodePorts,
  tables: TableMap,
  shared: SharedFlows,
): { flows: Flow[]; families: FamilyUse[] } {
  const f = model.config.features;
  const origin = nodeOrigin(node);
  const c: Ctx = {
    origin,
    service: asFeature('Service', origin),
    policy: asFeature('NetworkPolicy', origin),
    egressOrigin: asFeature('Egress', origin),
    tables,
    node,
    ports,
    proxy: f.antreaProxy,
  };
  const families: FamilyUse[] = [
    { family: shared.arpResponder, without: node.name },
    { family: shared.peerRoutes, without: node.name },
  ];
  const flows = [
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
    ...podConnectivityMissFlows(c.origin, tables, c.proxy),
  ];
  return { flows, families };
}
