/**
 * Egress in OVS (docs/reference/ovs-pipeline.md §6, Antrea's featureEgress in pkg/agent/openflow/pipeline.go).
 * The init flows exist whenever the Egress feature is on, with or without Egress objects: they send Pod and
 * tunnel traffic bound outside the cluster to EgressMark, keep Node, except-CIDR and Service traffic out of SNAT,
 * and drop new tunnelled connections that no Egress IP of this Node claims.
 */
import type { ClusterModel, NodeInfo } from '../model/model.js';
import { compareCidr, formatCidr, formatIP, hostCidr, type Cidr, type IPAddr } from '../net/ip.js';
import type { NodePorts } from '../allocate/ports.js';
import { discoverServiceCIDRs } from '../resolve/serviceCidrs.js';
import type { EgressDecision, ResolvedEgress, SubnetInfo } from '../resolve/egress.js';
import { allocateInRange, MAX_EGRESS_MARK, MAX_EGRESS_ROUTE_TABLE, MIN_EGRESS_MARK, MIN_EGRESS_ROUTE_TABLE } from '../allocate/egress.js';
import {
  FromPodRegMark,
  FromTunnelRegMark,
  GlobalVirtualMAC,
  NotAntreaFlexibleIPAMRegMark,
  Priority,
  RemoteSNATRegMark,
  SNATIPMarkField,
  fieldMask,
  ToGatewayRegMark,
  ToTunnelRegMark,
} from './fields.js';
import type { MeterPlan } from './meters.js';
import { comment, type HostOrigin, type HostRules, type IptablesRule, type Ipset } from './iptables.js';
import type { NetRecord } from './net.js';
import { CookieCategory, DROP, bitsValue, cookie, goto, loadMark, regMatch, setBits, type Action, type Flow, type Match, type Origin } from './flow.js';
import { firstTableOfStage, hasTable, type TableMap, type TableName } from '../allocate/pipeline.js';
import type { FamilyUse, FlowFamily } from './family.js';

const COOKIE = cookie(CookieCategory.egress);
const ORIGIN: Origin = { feature: 'Egress', kind: 'Feature', name: 'Egress' };

function flow(table: TableName, priority: number, match: Match, actions: Action[], origin: Origin = ORIGIN): Flow {
  return { table, priority, match, actions, cookie: COOKIE, origin };
}

/**
 * Destinations that never take an Egress: this Node's and every peer's transport IP, `egress.exceptCIDRs` and
 * the discovered Service CIDRs. They go to the gateway and leave masqueraded like any Pod traffic. One flow per
 * distinct CIDR: Antrea installs the same match twice as one flow. This Node and its peers are every Node, so the
 * list is the same on every Node (the renderer orders the lines).
 */
export function egressBypassCIDRs(model: ClusterModel): Cidr[] {
  const all = [
    ...model.nodes.map((n) => hostCidr(n.internalIP)),
    ...model.config.egress.exceptCIDRs,
    ...discoverServiceCIDRs(model),
  ].filter((c) => c.family === 4); // the IPv4 pipeline is the only one compiled
  const seen = new Map<string, Cidr>();
  for (const c of all) seen.set(formatCidr(c), c);
  return [...seen.values()];
}

/**
 * Per compile: the bypass flows, one family (./family.ts) every Node has whole (one member per Node of the
 * cluster, so made once and ordered once rather than a thousand times on each of a thousand Nodes). Created by
 * the compile, passed explicitly.
 */
export interface EgressPlanCache {
  bypass?: FlowFamily;
  /** ANTREA-POD-IP, every Node's Pod CIDR: the same set on every Node, sorted once. */
  podIPSet?: Ipset;
}

export const createEgressPlanCache = (): EgressPlanCache => ({});

function bypassFamily(model: ClusterModel, tables: TableMap, cache: EgressPlanCache): FlowFamily {
  if (cache.bypass === undefined) {
    const toGateway = [loadMark(ToGatewayRegMark), goto(firstTableOfStage(tables, 'switching'))];
    const members = egressBypassCIDRs(model).map((c) => ({ key: formatCidr(c), flow: flow('EgressMark', Priority.high, { proto: 'ip', nwDst: c }, toGateway) }));
    cache.bypass = { name: 'EgressMark bypass', members };
  }
  return cache.bypass;
}

export function planEgressInit(model: ClusterModel, ports: NodePorts, tables: TableMap, cache: EgressPlanCache): { flows: Flow[]; families: FamilyUse[] } {
  if (!model.config.features.egress || !hasTable(tables, 'EgressMark')) return { flows: [], families: [] };
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
  if (hasTable(tables, 'EgressQoS')) out.push(flow('EgressQoS', Priority.low, {}, [goto(switching)]));
  return { flows: out, families: [{ family: bypassFamily(model, tables, cache) }] };
}

/** The dummy device that holds Egress IPs without a VLAN (pkg/agent/ipassigner). */
export const EGRESS_DUMMY_DEVICE = 'antrea-egress0';
const vlanDevice = (vlan: number) => `antrea-ext.${vlan}`;

export interface EgressNodePlan {
  flows: Flow[];
  families: FamilyUse[];
  meters: MeterPlan[];
  host: HostRules;
  net: NetRecord[];
  /** This Node's Egress IPs with their marks (and route tables), for the summary. */
  local: { egress: string; ip: IPAddr; mark: number; table?: number }[];
}

const hostOrigin = (name?: string): HostOrigin => (name ? { feature: 'Egress', kind: 'Egress', name } : ORIGIN);

/**
 * Antrea's nat ANTREA-POSTROUTING, as restore input refills it whole: one SNAT rule per local Egress IP (in mark
 * order), then the Pod masquerade and the LOCAL masquerade that Antrea keeps in the same chain (route_linux.go).
 */
function natRules(model: ClusterModel, node: NodeInfo, local: EgressNodePlan['local'], cache: EgressPlanCache): HostRules {
  const gw = model.config.gatewayName;
  const chain = 'ANTREA-POSTROUTING';
  const family = 4 as const;
  const rule = (matches: IptablesRule['matches'], target: IptablesRule['target'], name?: string): IptablesRule => ({
    family,
    table: 'nat',
    chain,
    matches,
    target,
    origin: hostOrigin(name),
  });
  const snat = [...local]
    .filter((l) => l.ip.family === 4)
    .sort((a, b) => a.mark - b.mark)
    .map((l) =>
      rule(
        [
          { kind: 'iface', dir: 'out', name: gw, negate: true },
          comment('Antrea: SNAT Pod to external packets'),
          { kind: 'module', module: 'mark', args: ['--mark', `0x${l.mark.toString(16)}/0x${fieldMask(SNATIPMarkField).toString(16)}`] },
        ],
        { name: 'SNAT', args: ['--to-source', formatIP(l.ip), ...(model.config.egress.snatFullyRandomPorts ? ['--random-fully'] : [])] },
        l.egress,
      ),
    );
  const masquerade = rule(
    [
      { kind: 'addr', dir: 'src', cidr: formatCidr(node.podCIDR) },
      { kind: 'iface', dir: 'out', name: gw, negate: true },
      comment('Antrea: masquerade Pod to external packets'),
      { kind: 'module', module: 'set', args: ['!', '--match-set', 'ANTREA-POD-IP', 'dst'] },
    ],
    { name: 'MASQUERADE', args: model.config.snatFullyRandomPorts ? ['--random-fully'] : [] },
  );
  const localMasquerade = rule(
    [
      { kind: 'iface', dir: 'out', name: gw },
      comment('Antrea: masquerade LOCAL traffic'),
      { kind: 'module', module: 'addrtype', args: ['!', '--src-type', 'LOCAL', '--limit-iface-out'] },
      { kind: 'module', module: 'addrtype', args: ['--src-type', 'LOCAL'] },
    ],
    { name: 'MASQUERADE', args: ['--random-fully'] },
  );
  // ipset's sorted order (see `Ipset.members`), not the Nodes' order.
  cache.podIPSet ??= { name: 'ANTREA-POD-IP', type: 'hash:net', family, members: model.nodes.map((n) => n.podCIDR).sort(compareCidr).map(formatCidr), origin: hostOrigin() };
  return {
    chains: [{ family, table: 'nat', chain, origin: hostOrigin() }],
    rules: [...snat, masquerade, localMasquerade],
    jumps: [{ family, table: 'nat', builtin: 'POSTROUTING', position: 'append', chain, comment: 'Antrea: jump to Antrea postrouting rules', origin: hostOrigin() }],
    ipsets: [cache.podIPSet],
  };
}

function subnetKey(s: SubnetInfo): string {
  return `${formatIP(s.gateway)}/${s.prefixLength}/${s.vlan}`;
}

/** Addresses on antrea-egress0 or antrea-ext.VLAN, and subnetInfo policy routing (reference §3.4, §3.6). */
function netRecords(model: ClusterModel, local: EgressNodePlan['local'], decisions: ReadonlyMap<string, EgressDecision>): NetRecord[] {
  const out: NetRecord[] = [];
  const transport = model.config.transportInterface;
  for (const l of local) {
    const d = decisions.get(l.egress)!;
    if (!d.pool) continue; // a static IP is already on the Node: nothing is assigned
    const bits = l.ip.family === 4 ? 32 : 128;
    const s = d.subnet;
    const dev = s && s.vlan !== 0 ? vlanDevice(s.vlan) : EGRESS_DUMMY_DEVICE;
    if (dev === EGRESS_DUMMY_DEVICE) out.push({ kind: 'link', name: dev, type: 'dummy' });
    else out.push({ kind: 'link', name: dev, type: 'vlan', parent: transport ?? '', vlan: s!.vlan });
    out.push({ kind: 'address', device: dev, ip: l.ip, prefix: s ? s.prefixLength : bits });
    if (s && l.table !== undefined) {
      const routeDev = s.vlan !== 0 ? dev : transport ?? '';
      const bitsMask = (1n << BigInt(bits)) - 1n;
      const mask = bitsMask ^ ((1n << BigInt(bits - s.prefixLength)) - 1n);
      out.push({ kind: 'route', table: l.table, dest: { family: s.gateway.family, base: s.gateway.value & mask, prefix: s.prefixLength }, device: routeDev, scopeLink: true });
      out.push({ kind: 'route', table: l.table, dest: 'default', via: s.gateway, device: routeDev });
      out.push({ kind: 'rule', family: s.gateway.family, mark: l.mark, table: l.table });
    }
  }
  return out;
}

/**
 * Everything Egress puts on one Node: the init flows; per selected local Pod the SNAT-mark flow (its Egress IP is
 * here) or the tunnel to that IP (it is elsewhere); per local Egress IP the mark for packets tunnelled in, the nat
 * SNAT rule, the address, its meter and policy routing.
 */
export function planEgress(
  model: ClusterModel,
  node: NodeInfo,
  ports: NodePorts,
  tables: TableMap,
  resolved: ResolvedEgress,
  cache: EgressPlanCache,
): EgressNodePlan {
  const { flows, families } = planEgressInit(model, ports, tables, cache);
  // The Pod masquerade is Antrea's route client's, there with or without the Egress feature: a Pod that no Egress
  // SNATs leaves with its Node's address.
  const empty: EgressNodePlan = { flows, families, meters: [], host: natRules(model, node, [], cache), net: [], local: [] };
  if (flows.length === 0) return empty;
  const switching = firstTableOfStage(tables, 'switching');
  const shaping = hasTable(tables, 'EgressQoS');
  const afterMark = shaping ? 'EgressQoS' : switching;
  const decisions = new Map(resolved.egresses.map((d) => [d.name, d]));
  // One mark per IP this Node holds, shared by every Egress with that IP.
  const localDecisions = resolved.egresses.filter((d) => d.ip && d.node === node.name && d.ip.family === 4);
  const marks = allocateInRange(localDecisions.map((d) => formatIP(d.ip!)), MIN_EGRESS_MARK, MAX_EGRESS_MARK);
  const subnets = localDecisions.filter((d) => d.subnet).map((d) => subnetKey(d.subnet!));
  const routeTables = allocateInRange(subnets, MIN_EGRESS_ROUTE_TABLE, MAX_EGRESS_ROUTE_TABLE);
  const local: EgressNodePlan['local'] = [];
  const seenIP = new Set<string>();
  const meters: MeterPlan[] = [];
  for (const d of localDecisions) {
    const ipText = formatIP(d.ip!);
    const mark = marks.get(ipText)!;
    if (seenIP.has(ipText)) continue;
    seenIP.add(ipText);
    const entry: EgressNodePlan['local'][number] = { egress: d.name, ip: d.ip!, mark };
    if (d.subnet) entry.table = routeTables.get(subnetKey(d.subnet))!;
    local.push(entry);
    const origin: Origin = { feature: 'Egress', kind: 'Egress', name: d.name };
    flows.push(
      flow('EgressMark', Priority.normal, { ctState: '+trk', proto: 'ip', tunDst: d.ip! }, [
        setBits(SNATIPMarkField, BigInt(mark)),
        loadMark(ToGatewayRegMark),
        goto(afterMark),
      ], origin),
    );
    // Egresses sharing an IP share its meter; Antrea keeps the last one written, dpc the first by name.
    const bw = resolved.egresses.find((x) => x.ip && formatIP(x.ip) === ipText && x.node === node.name && x.bandwidth)?.bandwidth;
    if (shaping && bw) {
      meters.push({ id: mark, kind: 'kbps', rate: bw.rateKbps, burst: bw.burstKbits, origin });
      flows.push(flow('EgressQoS', Priority.normal, { pktMark: bitsValue(SNATIPMarkField, BigInt(mark)) }, [{ kind: 'meter', id: mark }, goto(switching)], origin));
    }
  }
  for (const p of ports.pods) {
    const name = resolved.podEgress.get(p.pod.key);
    const d = name ? decisions.get(name) : undefined;
    if (!d?.ip || d.ip.family !== 4) continue;
    const origin: Origin = { feature: 'Egress', kind: 'Egress', name: d.name };
    if (d.node === node.name) {
      const mark = marks.get(formatIP(d.ip))!;
      flows.push(
        flow('EgressMark', Priority.normal, { ctState: '+trk', proto: 'ip', inPort: p.ofport }, [
          setBits(SNATIPMarkField, BigInt(mark)),
          loadMark(ToGatewayRegMark),
          goto(afterMark),
        ], origin),
      );
    } else {
      // The tunnel destination is the Egress IP itself: whichever Node holds it decapsulates (reference §6).
      flows.push(
        flow('EgressMark', Priority.normal, { proto: 'ip', inPort: p.ofport }, [
          { kind: 'setMac', field: 'eth_src', mac: ports.gateway.mac },
          { kind: 'setMac', field: 'eth_dst', mac: GlobalVirtualMAC },
          { kind: 'setIP', field: 'tun_dst', ip: d.ip },
          loadMark(ToTunnelRegMark),
          loadMark(RemoteSNATRegMark),
          goto(switching),
        ], origin),
      );
    }
  }
  if (local.length === 0) return { ...empty, flows };
  return { flows, families, meters, host: natRules(model, node, local, cache), net: netRecords(model, local, decisions), local };
}
