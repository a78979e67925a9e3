/**
 * A Node's plan: everything its bundle will hold, as typed records. Features contribute flows; this module adds
 * Antrea's automatic miss flow to every table that no feature gave its own. That no two flows claim the same
 * (table, priority, match) is checked where their text is made (targets/openflow/render.ts).
 */
import type { ClusterModel, NodeInfo } from '../model/model.js';
import type { NodePorts } from '../allocate/ports.js';
import { CookieCategory, cookie, DROP, goto, type Flow, type Origin } from './flow.js';
import { Priority } from './fields.js';
import type { TableMap } from '../allocate/pipeline.js';
import { planPodConnectivity, type SharedFlows } from './podConnectivity.js';
import { familyFlowCount, familyFlows, type FamilyUse } from './family.js';
import { createPolicyPlanCache, planNetworkPolicy, releaseRules, type GroupPlan, type PolicyPlan, type PolicyPlanCache } from './networkPolicy.js';
import { packetInMeters, type MeterPlan } from './meters.js';
import { createEgressPlanCache, planEgress, type EgressPlanCache } from './egress.js';
import type { ResolvedEgress } from '../resolve/egress.js';
import type { NetRecord } from './net.js';
import type { LastUses, NodePolicies } from './policyIndex.js';
import type { TcPortOnNode } from '../allocate/trafficControlPorts.js';
import { planTrafficControl, type NodeTrafficControl } from './trafficControl.js';
import type { HostRules } from './iptables.js';
import { createNodePolicyCache, planNodePolicy, type NodePolicyCache } from './nodePolicy.js';
import { planVisibility, type VisibilityPlan } from './visibility.js';
import type { FlowExporterIntent } from '../resolve/flowExporter.js';
import type { PodBandwidthIntent } from '../resolve/podBandwidth.js';
import { planPodBandwidth, type TcRecord } from './tc.js';

export interface OvsdbPortPlan {
  readonly name: string;
  /** OVS Interface type; `system` attaches an existing device. */
  readonly type: 'internal' | 'system' | 'geneve' | 'vxlan' | 'gre' | 'erspan';
  readonly ofport: number;
  readonly mac?: string;
  readonly options: Readonly<Record<string, string>>;
  readonly externalIds: Readonly<Record<string, string>>;
  /** The OpenFlow port is set no-flood (no copy of NORMAL's floods), which OVSDB cannot say: openflow/portmods.txt. */
  readonly noFlood?: true;
  readonly origin: Origin;
}

export interface NodePlan {
  readonly node: NodeInfo;
  readonly tables: TableMap;
  readonly ports: NodePorts;
  /** The Node's own flows; with `families`, every flow of its flows.txt (`allFlows` lists them together). */
  readonly flows: readonly Flow[];
  /** Flows it shares with every other Node, as families minus its own entry (./family.ts). */
  readonly families: readonly FamilyUse[];
  /** Lists of flows every Node with them has as these very records (a rule's action and metric flows). */
  readonly sharedFlows: readonly (readonly Flow[])[];
  readonly groups: readonly GroupPlan[];
  readonly meters: readonly MeterPlan[];
  /** NetworkPolicy rules and K8s isolations with flows on this Node. */
  readonly policy: Readonly<Pick<PolicyPlan, 'rules' | 'isolation'>>;
  /** Ports the bundle creates on the bridge; Pod ports belong to the CNI plugin and are only assumed. */
  readonly ovsdbPorts: readonly OvsdbPortPlan[];
  /** With the TrafficControl gate on: its ports on this Node, with their ofports and where those came from. */
  readonly trafficControlPorts?: readonly TcPortOnNode[];
  /** iptables chains, rules, built-in chain jumps and ipsets; empty on a Node with no host rules. */
  readonly host: HostRules;
  /** Links, addresses, routes and rules (net/routes.txt). */
  readonly net: readonly NetRecord[];
  /** Pod bandwidth shaping: ifb devices, qdiscs and filters (tc/). */
  readonly tc: readonly TcRecord[];
  /** With the FlowExporter gate on: what the Node's exporter needs (visibility/exporter.json). */
  readonly visibility?: VisibilityPlan;
}

/** Work shared by the plans of one compile (see each feature's cache); created by the compile, passed explicitly. */
export interface PlanCache {
  policy: PolicyPlanCache;
  host: NodePolicyCache;
  egress: EgressPlanCache;
}

export const createPlanCache = (): PlanCache => ({ policy: createPolicyPlanCache(), host: createNodePolicyCache(), egress: createEgressPlanCache() });

/** After a Node's plan: what no later Node needs leaves the cache (policyIndex.ts lastUses). */
export const releasePlanCache = (cache: PlanCache, ended: LastUses): void => releaseRules(cache.policy, ended);

const PIPELINE_COOKIE = cookie(CookieCategory.pipeline);

/** Every flow of the Node's flows.txt as records: its own and its families' (tests and tools; the renderer takes families whole). */
export const allFlows = (plan: NodePlan): Flow[] => [...plan.flows, ...plan.sharedFlows.flat(), ...familyFlows(plan.families, plan.ports.gateway.mac)];

export const flowCount = (plan: NodePlan): number => plan.flows.length + plan.sharedFlows.reduce((n, list) => n + list.length, 0) + familyFlowCount(plan.families);

function missFlows(origin: Origin, tables: TableMap, claimed: ReadonlySet<string>): Flow[] {
  const out: Flow[] = [];
  for (const t of tables.tables) {
    if (claimed.has(t.name)) continue;
    out.push({
      table: t.name,
      priority: Priority.miss,
      match: {},
      actions: t.dropOnMiss || !t.next ? [DROP] : [goto(t.next)],
      cookie: PIPELINE_COOKIE,
      origin,
    });
  }
  return out;
}

function infraPorts(model: ClusterModel, node: NodeInfo, ports: NodePorts): OvsdbPortPlan[] {
  const origin: Origin = { feature: 'PodConnectivity', kind: 'Node', name: node.name };
  const tunnelOptions: Record<string, string> = { key: 'flow', remote_ip: 'flow' };
  if (model.config.tunnelPort) tunnelOptions['dst_port'] = String(model.config.tunnelPort);
  return [
    {
      name: ports.tunnel.name,
      type: model.config.tunnelType,
      ofport: ports.tunnel.ofport,
      options: tunnelOptions,
      externalIds: { 'antrea-type': 'tunnel' },
      origin,
    },
    {
      name: ports.gateway.name,
      type: 'internal',
      ofport: ports.gateway.ofport,
      mac: ports.gateway.mac,
      options: {},
      externalIds: { 'antrea-type': 'gateway' },
      origin,
    },
  ];
}

function mergeHostRules(a: HostRules, b: HostRules): HostRules {
  return { chains: [...a.chains, ...b.chains], rules: [...a.rules, ...b.rules], jumps: [...a.jumps, ...b.jumps], ipsets: [...a.ipsets, ...b.ipsets] };
}

export function planNode(
  model: ClusterModel,
  node: NodeInfo,
  ports: NodePorts,
  tables: TableMap,
  policies: NodePolicies | undefined,
  shared: SharedFlows,
  cache: PlanCache,
  egress: ResolvedEgress,
  trafficControl?: NodeTrafficControl,
  exporter?: FlowExporterIntent,
  podBandwidth: readonly PodBandwidthIntent[] = [],
): NodePlan {
  const np = planNetworkPolicy(model, node, ports, tables, policies, cache.policy);
  const eg = planEgress(model, node, ports, tables, egress, cache.egress);
  const tc = trafficControl ? planTrafficControl(node, ports, tables, trafficControl) : undefined;
  const pc = planPodConnectivity(model, node, ports, tables, shared);
  const featureFlows = [...pc.flows, ...eg.flows, ...np.flows, ...(tc?.flows ?? [])];
  // Family members are never miss flows: each matches its own peer.
  const claimed = new Set(featureFlows.filter((f) => f.priority === Priority.miss && Object.keys(f.match).length === 0).map((f) => f.table));
  const flows = [...featureFlows, ...missFlows({ feature: 'Pipeline', kind: 'Node', name: node.name }, tables, claimed)];
  return {
    node,
    tables,
    ports,
    flows,
    families: [...pc.families, ...eg.families, ...np.flowFamilies],
    sharedFlows: np.ruleFlows,
    groups: np.groups,
    meters: [...packetInMeters(model.config, node), ...eg.meters],
    policy: { rules: np.rules, isolation: np.isolation },
    ovsdbPorts: [...infraPorts(model, node, ports), ...(tc?.ovsdbPorts ?? [])],
    ...(trafficControl ? { trafficControlPorts: trafficControl.ports } : {}),
    host: mergeHostRules(planNodePolicy(node, policies?.nodeRules ?? [], model.config.features.nodeNetworkPolicy, model.config, cache.host), eg.host),
    net: eg.net,
    tc: planPodBandwidth(ports, podBandwidth),
    ...(exporter ? { visibility: planVisibility(node, ports, exporter) } : {}),
  };
}
