/**
 * Egress in OVS (reference/ovs-pipeline.md §6, Antrea's featureEgress in pkg/agent/openflow/pipeline.go).
 * The init flows exist whenever the Egress feature is on, with or without Egress objects: they send Pod and
 * tunnel traffic bound outside the cluster to EgressMark, keep Node, except-CIDR and Service traffic out of SNAT,
 * and drop new tunnelled connections that no Egress IP of this Node claims.
 */
import type { ClusterModel, NodeInfo } from '../model/model.js';
import { formatCidr, hostCidr, type Cidr } from '../net/ip.js';
import type { NodePorts } from '../allocate/ports.js';
import { discoverServiceCIDRs } from '../resolve/serviceCidrs.js';
import {
  FromPodRegMark,
  FromTunnelRegMark,
  NotAntreaFlexibleIPAMRegMark,
  Priority,
  ToGatewayRegMark,
} from './fields.js';
import { CookieCategory, DROP, cookie, goto, loadMark, regMatch, type Action, type Flow, type Match } from './flow.js';
import { firstTableOfStage, hasTable, type TableMap, type TableName } from './pipeline.js';

const COOKIE = cookie(CookieCategory.egress);
const ORIGIN = { kind: 'Feature', name: 'Egress' } as const;

function flow(table: TableName, priority: number, match: Match, actions: Action[]): Flow {
  return { table, priority, match, actions, cookie: COOKIE, origin: ORIGIN };
}

/**
 * Destinations that never take an Egress: this Node's and every peer's transport IP, `egress.exceptCIDRs` and
 * the discovered Service CIDRs. They go to the gateway and leave masqueraded like any Pod traffic. One flow per
 * distinct CIDR: Antrea installs the same match twice as one flow.
 */
export function egressBypassCIDRs(model: ClusterModel, node: NodeInfo): Cidr[] {
  const all = [
    hostCidr(node.internalIP),
    ...model.nodes.filter((n) => n.name !== node.name).map((n) => hostCidr(n.internalIP)),
    ...model.config.egress.exceptCIDRs,
    ...discoverServiceCIDRs(model),
  ].filter((c) => c.family === 4); // the IPv4 pipeline is the only one compiled
  const seen = new Map<string, Cidr>();
  for (const c of all) seen.set(formatCidr(c), c);
  return [...seen.values()];
}

export function planEgressInit(model: ClusterModel, node: NodeInfo, ports: NodePorts, tables: TableMap): Flow[] {
  if (!model.config.features.egress || !hasTable(tables, 'EgressMark')) return [];
  const switching = firstTableOfStage(tables, 'switching');
  const toGateway = [loadMark(ToGatewayRegMark), goto(switching)];
  const out: Flow[] = [
    // Only requests (-rpl): replies of connections that entered from outside go back the way they came.
    flow('L3Forwarding', Priority.low, { ctState: '-rpl+trk', proto: 'ip', regs: regMatch(FromPodRegMark, NotAntreaFlexibleIPAMRegMark) }, [
      goto('EgressMark'),
    ]),
    flow('L3Forwarding', Priority.low, { ctState: '-rpl+trk', proto: 'ip', regs: regMatch(FromTunnelRegMark) }, [
      { kind: 'setMac', field: 'eth_dst', mac: ports.gateway.mac },
      goto('EgressMark'),
    ]),
    // A peer tunnels only traffic it means to SNAT here; with no Egress IP of this Node matching, it is dropped
    // rather than masqueraded with this Node's address.
    flow('EgressMark', Priority.low, { ctState: '+new+trk', proto: 'ip', regs: regMatch(FromTunnelRegMark) }, [DROP]),
    flow('EgressMark', Priority.miss, {}, toGateway),
  ];
  for (const c of egressBypassCIDRs(model, node)) out.push(flow('EgressMark', Priority.high, { proto: 'ip', nwDst: c }, toGateway));
  if (hasTable(tables, 'EgressQoS')) out.push(flow('EgressQoS', Priority.low, {}, [goto(switching)]));
  return out;
}
