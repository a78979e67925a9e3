/**
 * Antrea's OVS tables, declared once in Antrea's order (docs/reference/ovs-pipeline.md §1.2). Which tables exist
 * depends on the enabled features; IDs are handed out densely in declaration order, pipeline by pipeline,
 * exactly as the agent does, so every table number matches a real Antrea Node with the same config.
 */
import type { Features } from '../model/config.js';

export type PipelineName = 'root' | 'arp' | 'ip' | 'multicast';

export type TableName =
  | 'PipelineRootClassifier'
  | 'ARPSpoofGuard'
  | 'ARPResponder'
  | 'Classifier'
  | 'SpoofGuard'
  | 'IPv6'
  | 'PipelineIPClassifier'
  | 'UnSNAT'
  | 'ConntrackZone'
  | 'ConntrackState'
  | 'PreRoutingClassifier'
  | 'NodePortMark'
  | 'SessionAffinity'
  | 'ServiceLB'
  | 'DSRServiceMark'
  | 'EndpointDNAT'
  | 'DNAT'
  | 'AntreaPolicyEgressRule'
  | 'EgressRule'
  | 'EgressDefaultRule'
  | 'EgressMetric'
  | 'L3Forwarding'
  | 'EgressMark'
  | 'EgressQoS'
  | 'L3DecTTL'
  | 'SNATMark'
  | 'SNAT'
  | 'L2ForwardingCalc'
  | 'TrafficControl'
  | 'IngressSecurityClassifier'
  | 'AntreaPolicyIngressRule'
  | 'IngressRule'
  | 'IngressDefaultRule'
  | 'IngressMetric'
  | 'ConntrackCommit'
  | 'Output'
  | 'MulticastEgressRule'
  | 'MulticastEgressPodMetric'
  | 'MulticastEgressMetric'
  | 'MulticastRouting'
  | 'MulticastIngressRule'
  | 'MulticastIngressPodMetric'
  | 'MulticastIngressMetric'
  | 'MulticastOutput';

/** Stages group tables by purpose; some flows jump to "the first table of a stage". */
export type Stage =
  | 'start'
  | 'validation'
  | 'classifier'
  | 'conntrackState'
  | 'preRouting'
  | 'egressSecurity'
  | 'routing'
  | 'postRouting'
  | 'switching'
  | 'ingressSecurity'
  | 'conntrack'
  | 'output';

interface TableDecl {
  name: TableName;
  pipeline: PipelineName;
  stage: Stage;
  /** Tables that drop on miss instead of continuing to the next table. */
  dropOnMiss?: boolean;
  present: (f: Features) => boolean;
}

const always = () => true;

/** Declaration order is pipeline order. */
const TABLES: readonly TableDecl[] = [
  { name: 'PipelineRootClassifier', pipeline: 'root', stage: 'start', dropOnMiss: true, present: always },
  { name: 'ARPSpoofGuard', pipeline: 'arp', stage: 'validation', dropOnMiss: true, present: (f) => f.ipv4 },
  { name: 'ARPResponder', pipeline: 'arp', stage: 'output', present: (f) => f.ipv4 },
  { name: 'Classifier', pipeline: 'ip', stage: 'classifier', dropOnMiss: true, present: always },
  { name: 'SpoofGuard', pipeline: 'ip', stage: 'validation', dropOnMiss: true, present: always },
  { name: 'IPv6', pipeline: 'ip', stage: 'validation', present: (f) => f.ipv6 },
  { name: 'PipelineIPClassifier', pipeline: 'ip', stage: 'validation', present: (f) => f.multicast },
  { name: 'UnSNAT', pipeline: 'ip', stage: 'conntrackState', present: (f) => f.antreaProxy },
  { name: 'ConntrackZone', pipeline: 'ip', stage: 'conntrackState', present: always },
  { name: 'ConntrackState', pipeline: 'ip', stage: 'conntrackState', present: always },
  { name: 'PreRoutingClassifier', pipeline: 'ip', stage: 'preRouting', present: (f) => f.antreaProxy },
  { name: 'NodePortMark', pipeline: 'ip', stage: 'preRouting', present: (f) => f.proxyAll },
  { name: 'SessionAffinity', pipeline: 'ip', stage: 'preRouting', present: (f) => f.antreaProxy },
  { name: 'ServiceLB', pipeline: 'ip', stage: 'preRouting', present: (f) => f.antreaProxy },
  { name: 'DSRServiceMark', pipeline: 'ip', stage: 'preRouting', present: (f) => f.loadBalancerModeDSR },
  { name: 'EndpointDNAT', pipeline: 'ip', stage: 'preRouting', present: (f) => f.antreaProxy },
  { name: 'DNAT', pipeline: 'ip', stage: 'preRouting', present: (f) => !f.antreaProxy },
  { name: 'AntreaPolicyEgressRule', pipeline: 'ip', stage: 'egressSecurity', present: (f) => f.antreaPolicy },
  { name: 'EgressRule', pipeline: 'ip', stage: 'egressSecurity', present: always },
  { name: 'EgressDefaultRule', pipeline: 'ip', stage: 'egressSecurity', present: always },
  { name: 'EgressMetric', pipeline: 'ip', stage: 'egressSecurity', present: always },
  { name: 'L3Forwarding', pipeline: 'ip', stage: 'routing', present: always },
  { name: 'EgressMark', pipeline: 'ip', stage: 'routing', present: (f) => f.egress },
  { name: 'EgressQoS', pipeline: 'ip', stage: 'routing', present: (f) => f.egressTrafficShaping },
  { name: 'L3DecTTL', pipeline: 'ip', stage: 'routing', present: always },
  { name: 'SNATMark', pipeline: 'ip', stage: 'postRouting', present: (f) => f.antreaProxy },
  { name: 'SNAT', pipeline: 'ip', stage: 'postRouting', present: (f) => f.antreaProxy },
  { name: 'L2ForwardingCalc', pipeline: 'ip', stage: 'switching', present: always },
  { name: 'TrafficControl', pipeline: 'ip', stage: 'switching', present: (f) => f.trafficControl || f.l7NetworkPolicy },
  { name: 'IngressSecurityClassifier', pipeline: 'ip', stage: 'ingressSecurity', present: always },
  { name: 'AntreaPolicyIngressRule', pipeline: 'ip', stage: 'ingressSecurity', present: (f) => f.antreaPolicy },
  { name: 'IngressRule', pipeline: 'ip', stage: 'ingressSecurity', present: always },
  { name: 'IngressDefaultRule', pipeline: 'ip', stage: 'ingressSecurity', present: always },
  { name: 'IngressMetric', pipeline: 'ip', stage: 'ingressSecurity', present: always },
  { name: 'ConntrackCommit', pipeline: 'ip', stage: 'conntrack', present: always },
  { name: 'Output', pipeline: 'ip', stage: 'output', present: always },
  { name: 'MulticastEgressRule', pipeline: 'multicast', stage: 'egressSecurity', present: (f) => f.multicast },
  { name: 'MulticastEgressPodMetric', pipeline: 'multicast', stage: 'egressSecurity', present: (f) => f.multicast },
  { name: 'MulticastEgressMetric', pipeline: 'multicast', stage: 'egressSecurity', present: (f) => f.multicast },
  { name: 'MulticastRouting', pipeline: 'multicast', stage: 'routing', present: (f) => f.multicast },
  { name: 'MulticastIngressRule', pipeline: 'multicast', stage: 'ingressSecurity', present: (f) => f.multicast },
  { name: 'MulticastIngressPodMetric', pipeline: 'multicast', stage: 'ingressSecurity', present: (f) => f.multicast },
  { name: 'MulticastIngressMetric', pipeline: 'multicast', stage: 'ingressSecurity', present: (f) => f.multicast },
  { name: 'MulticastOutput', pipeline: 'multicast', stage: 'output', present: (f) => f.multicast },
];

export interface TableInfo {
  name: TableName;
  id: number;
  pipeline: PipelineName;
  stage: Stage;
  /** The following table of the same pipeline; undefined for the last one. */
  next?: TableName;
  /** Drops on miss: declared so, or the last table of its pipeline. */
  dropOnMiss: boolean;
}

export interface TableMap {
  tables: readonly TableInfo[];
  byName: ReadonlyMap<TableName, TableInfo>;
}

const PIPELINE_ORDER: readonly PipelineName[] = ['root', 'arp', 'ip', 'multicast'];

export function computeTableMap(features: Features): TableMap {
  const tables: TableInfo[] = [];
  let nextId = 0;
  for (const pipeline of PIPELINE_ORDER) {
    const decls = TABLES.filter((t) => t.pipeline === pipeline && t.present(features));
    decls.forEach((t, i) => {
      const info: TableInfo = {
        name: t.name,
        id: nextId++,
        pipeline,
        stage: t.stage,
        dropOnMiss: t.dropOnMiss === true || i === decls.length - 1,
      };
      const next = decls[i + 1];
      if (next) info.next = next.name;
      tables.push(info);
    });
  }
  return { tables, byName: new Map(tables.map((t) => [t.name, t])) };
}

export function hasTable(map: TableMap, name: TableName): boolean {
  return map.byName.has(name);
}

export function tableId(map: TableMap, name: TableName): number {
  const t = map.byName.get(name);
  if (!t) throw new Error(`internal: table ${name} is not in this pipeline`);
  return t.id;
}

/** The table after `name` in its pipeline. */
export function nextTable(map: TableMap, name: TableName): TableName {
  const t = map.byName.get(name);
  if (!t?.next) throw new Error(`internal: table ${name} has no next table`);
  return t.next;
}

/** The first present table of a stage in the IP pipeline (targets of Antrea's "goto stage" jumps). */
export function firstTableOfStage(map: TableMap, stage: Stage): TableName {
  const t = map.tables.find((x) => x.pipeline === 'ip' && x.stage === stage);
  if (!t) throw new Error(`internal: no table in stage ${stage}`);
  return t.name;
}
