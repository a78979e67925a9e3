/**
 * The Traceflow-shaped view of a Node's walk: the observations Antrea's agent reports for a traced packet
 * (pkg/agent/controller/traceflow, parsePacketIn), derived the same way from the same places: the table where the
 * packet ended (its drop table, or Output), the conjunction registers the rule flows loaded (TFEgressConjID,
 * TFIngressConjID, APConjID), the target port, tun_dst, the RemoteSNAT mark and pkt_mark.
 */
import type { Run } from '../openflow/interp.js';
import type { Bundles, NodeView } from './bundles.js';
import { ipText } from './format.js';
import type { NodeHop, Verdict } from './trace.js';

export interface Observation {
  component: string;
  componentInfo?: string;
  action: string;
  pod?: string;
  srcPodIP?: string;
  translatedDstIP?: string;
  translatedSrcIP?: string;
  tunnelDstIP?: string;
  egress?: string;
  egressIP?: string;
  egressNode?: string;
  networkPolicy?: string;
  networkPolicyRule?: string;
}

/** Antrea's registers for Traceflow (docs/reference/ovs-pipeline.md): reg5/reg6 egress/ingress rule, reg3 deny rule. */
const TF_EGRESS_CONJ = 'reg5';
const TF_INGRESS_CONJ = 'reg6';
const AP_CONJ = 'reg3';
const REMOTE_SNAT_BIT = 19n;

interface Input {
  bundles: Bundles;
  node: NodeView;
  run: Run;
  hop: NodeHop;
  sender: boolean;
  srcIP: string;
  verdict: Verdict;
}

function npObservation(tableName: string, ingress: boolean): Observation {
  const dir = ingress ? 'Ingress' : 'Egress';
  if (tableName === `${dir}Metric` || tableName === `${dir}DefaultRule`) return { component: 'NetworkPolicy', componentInfo: tableName, action: 'Dropped' };
  return { component: 'NetworkPolicy', componentInfo: `${dir}Rule`, action: 'Forwarded' };
}

export function observe({ bundles, node, run, hop, sender, srcIP, verdict }: Input): Observation[] {
  const obs: Observation[] = [];
  const inv = node.meta.inventory;
  // The packet-in Antrea would see: at the drop, or at Output when it left a port.
  const out = run.emissions.find((e) => e.kind === 'output');
  const drop = [...run.emissions].reverse().find((e) => e.kind === 'drop');
  const end = out ?? drop;
  const p = end?.packet ?? run.packet;
  const tableName = end ? node.tableNames.get(end.table) ?? '' : '';
  const ruleRef = (id: bigint): { networkPolicy?: string; networkPolicyRule?: string; action?: string } => {
    const r = node.rules.get(Number(id));
    if (!r) return {};
    const ns = r.policy.namespace ? `${r.policy.namespace}/` : '';
    return { networkPolicy: `${r.policy.type}:${ns}${r.policy.name}`, ...(r.rule ? { networkPolicyRule: r.rule } : {}), ...(r.action ? { action: r.action } : {}) };
  };
  const withRule = (o: Observation, id: bigint): Observation => {
    const { networkPolicy, networkPolicyRule } = ruleRef(id);
    return { ...o, ...(networkPolicy ? { networkPolicy } : {}), ...(networkPolicyRule ? { networkPolicyRule } : {}) };
  };

  if (sender) obs.push({ component: 'SpoofGuard', action: 'Forwarded', srcPodIP: srcIP });
  else obs.push({ component: 'Forwarding', action: 'Received' });

  if (p.get(TF_EGRESS_CONJ) !== 0n) obs.push(withRule(npObservation(tableName, false), p.get(TF_EGRESS_CONJ)));
  if (p.get(TF_INGRESS_CONJ) !== 0n) obs.push(withRule(npObservation(tableName, true), p.get(TF_INGRESS_CONJ)));

  if (!out && (tableName === 'EgressMetric' || tableName === 'IngressMetric')) {
    const o = npObservation(tableName, tableName === 'IngressMetric');
    const id = p.get(AP_CONJ);
    const ref = id !== 0n ? ruleRef(id) : {};
    if (ref.networkPolicy) o.networkPolicy = ref.networkPolicy;
    if (ref.networkPolicyRule) o.networkPolicyRule = ref.networkPolicyRule;
    if (ref.action === 'Reject') o.action = 'Rejected';
    obs.push(o);
  } else if (!out && (tableName === 'EgressDefaultRule' || tableName === 'IngressDefaultRule')) {
    obs.push(npObservation(tableName, tableName === 'IngressDefaultRule'));
  }

  if (out && out.kind === 'output') {
    const o: Observation = { component: 'Forwarding', componentInfo: 'Output', action: 'Delivered' };
    const tunnelDstIP = p.get('tun_dst') !== 0n ? ipText(p.get('tun_dst')) : '';
    if (inv.tunnel && out.port === inv.tunnel.ofport) {
      if ((p.get('reg0') >> REMOTE_SNAT_BIT) & 1n) {
        const name = bundles.egressNames.get(tunnelDstIP) ?? '';
        obs.push({ component: 'Egress', action: 'ForwardedToEgressNode', ...(name ? { egress: name } : {}) });
      }
      o.action = 'Forwarded';
      if (tunnelDstIP) o.tunnelDstIP = tunnelDstIP;
    } else if (out.port === inv.gateway.ofport && ipText(p.get('nw_dst')) === node.meta.node.gatewayIP) {
      o.action = 'Delivered';
    } else if (out.port === inv.gateway.ofport) {
      const mark = Number(p.get('pkt_mark'));
      if (mark !== 0) {
        const egressIP = hop.host?.snat ?? '';
        const e: Observation = { component: 'Egress', action: 'MarkedForSNAT' };
        if (egressIP) e.egressIP = egressIP;
        // As Antrea's agent: the Egress name and Node only when this Node is also the source's.
        if (!tunnelDstIP && sender) {
          const name = bundles.egressNames.get(egressIP);
          if (name) e.egress = name;
          e.egressNode = node.name;
        }
        obs.push(e);
      }
      o.action = 'ForwardedOutOfNetwork';
    }
    void verdict;
    obs.push(o);
  }
  return obs;
}
