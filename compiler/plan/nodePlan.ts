/**
 * A Node's plan: everything its bundle will hold, as typed records. Features contribute flows; this module adds
 * Antrea's automatic miss flow to every table that no feature gave its own. That no two flows claim the same
 * (table, priority, match) is checked where their text is made (targets/openflow/render.ts).
 */
import type { ClusterModel, NodeInfo } from '../model/model.js';
import type { NodePorts } from '../allocate/ports.js';
import { CookieCategory, cookie, DROP, goto, type Flow } from './flow.js';
import { Priority } from './fields.js';
import type { TableMap } from './pipeline.js';
import { planPodConnectivity, type SharedFlows } from './podConnectivity.js';
import { planEgress } from './egress.js';
import type { ResolvedEgress } from '../resolve/egress.js';
import type { NetRecord } from './net.js';
import { planNetworkPolicy, type GroupPlan, type MeterPlan, type PolicyPlan } from './networkPolicy.js';
import type { ResolvedPolicies } from '../resolve/policies.js';
import type { HostRules } from './iptables.js';
import { planNodePolicy } from './nodePolicy.js';

export interface OvsdbPortPlan {
  name: string;
  type: 'internal' | 'geneve' | 'vxlan' | 'gre';
  ofport: number;
  mac?: string;
  options: Readonly<Record<string, string>>;
  externalIds: Readonly<Record<string, string>>;
}

export interface NodePlan {
  node: NodeInfo;
  tables: TableMap;
  ports: NodePorts;
  flows: readonly Flow[];
  groups: readonly GroupPlan[];
  meters: readonly MeterPlan[];
  /** NetworkPolicy rules and K8s isolations with flows on this Node. */
  policy: Pick<PolicyPlan, 'rules' | 'isolation'>;
  /** Ports the bundle creates on the bridge; Pod ports belong to the CNI plugin and are only assumed. */
  ovsdbPorts: readonly OvsdbPortPlan[];
  /** iptables chains, rules, built-in chain jumps and ipsets; empty on a Node with no host rules. */
  host: HostRules;
  /** Links, addresses, routes and rules (net/routes.txt). */
  net: readonly NetRecord[];
}

const PIPELINE_COOKIE = cookie(CookieCategory.pipeline);

function missFlows(tables: TableMap, claimed: ReadonlySet<string>): Flow[] {
  const out: Flow[] = [];
  for (const t of tables.tables) {
    if (claimed.has(t.name)) continue;
    out.push({
      table: t.name,
      priority: Priority.miss,
      match: {},
      actions: t.dropOnMiss || !t.next ? [DROP] : [goto(t.next)],
      cookie: PIPELINE_COOKIE,
    });
  }
  return out;
}

function infraPorts(model: ClusterModel, ports: NodePorts): OvsdbPortPlan[] {
  const tunnelOptions: Record<string, string> = { key: 'flow', remote_ip: 'flow' };
  if (model.config.tunnelPort) tunnelOptions['dst_port'] = String(model.config.tunnelPort);
  return [
    {
      name: ports.tunnel.name,
      type: model.config.tunnelType,
      ofport: ports.tunnel.ofport,
      options: tunnelOptions,
      externalIds: { 'antrea-type': 'tunnel' },
    },
    {
      name: ports.gateway.name,
      type: 'internal',
      ofport: ports.gateway.ofport,
      mac: ports.gateway.mac,
      options: {},
      externalIds: { 'antrea-type': 'gateway' },
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
  policies: ResolvedPolicies,
  shared: SharedFlows,
  egress: ResolvedEgress,
): NodePlan {
  const np = planNetworkPolicy(model, node, ports, tables, policies);
  const eg = planEgress(model, node, ports, tables, egress);
  const featureFlows = [...planPodConnectivity(model, node, ports, tables, shared), ...eg.flows, ...np.flows];
  const claimed = new Set(featureFlows.filter((f) => f.priority === Priority.miss && Object.keys(f.match).length === 0).map((f) => f.table));
  const flows = [...featureFlows, ...missFlows(tables, claimed)];
  return {
    node,
    tables,
    ports,
    flows,
    groups: np.groups,
    meters: [...np.meters, ...eg.meters],
    policy: { rules: np.rules, isolation: np.isolation },
    ovsdbPorts: infraPorts(model, ports),
    host: mergeHostRules(planNodePolicy(node, policies.nodeRules.get(node.name) ?? [], policies.nodePolicyEnabled, model.config), eg.host),
    net: eg.net,
  };
}
