/**
 * TrafficControl on one Node (reference/ovs-pipeline.md §5): the mark flows in the TrafficControl table for each
 * local Pod whose effective TrafficControl it is, Output's mirror and redirect flows, one Classifier flow per
 * return port, and the OVSDB records that create every TrafficControl port. The mark flows run after
 * L2ForwardingCalc (reg1 already holds the output port) and the action happens in Output, after ingress policy:
 * a packet a policy drops is never mirrored or redirected.
 */
import type { NodeInfo } from '../model/model.js';
import type { NodePorts } from '../allocate/ports.js';
import type { TcPortOnNode, TcPortSet } from '../allocate/trafficControlPorts.js';
import type { TcPortSpec } from '../model/trafficControl.js';
import type { ResolvedTrafficControls } from '../resolve/trafficControl.js';
import {
  FromTCReturnRegMark,
  OutputToOFPortRegMark,
  Priority,
  TargetOFPortField,
  TrafficControlMirrorRegMark,
  TrafficControlRedirectRegMark,
  TrafficControlTargetOFPortField,
} from './fields.js';
import { featureCookie, goto, loadField, loadMark, regMatch, type Action, type Flow, type Match, type Origin } from './flow.js';
import { firstTableOfStage, nextTable, type TableMap, type TableName } from '../allocate/pipeline.js';
import type { OvsdbPortPlan } from './nodePlan.js';

const FEATURE = 'TrafficControl' as const;
/** PodConnectivity's category: Antrea builds these flows in featurePodConnectivity (trafficControlMarkFlows). */
const COOKIE = featureCookie(FEATURE);

/** What a Node's bundle needs to know about TrafficControl. */
export interface NodeTrafficControl {
  resolved: ResolvedTrafficControls;
  portSet: TcPortSet;
  ports: readonly TcPortOnNode[];
}

/** One TrafficControl as seen on one Node, for the compile summary: which local Pods it captures, and where to. */
export interface TrafficControlNodeSummary {
  trafficControl: string;
  direction: string;
  action: string;
  /** The target port, described (kind, name, remote, key). */
  target: string;
  returnPort?: string;
  /** Local Pods whose traffic it mirrors or redirects. */
  pods: string[];
  /** Local Pods it selects that an earlier TrafficControl holds. */
  lostTo: { pod: string; trafficControl: string }[];
}

export interface TrafficControlPlan {
  flows: Flow[];
  ovsdbPorts: OvsdbPortPlan[];
}

function flow(table: TableName, priority: number, match: Match, actions: Action[], origin: Origin): Flow {
  return { table, priority, match, actions, cookie: COOKIE, origin };
}

/** Installed once whenever the gate is on, whether or not any TrafficControl exists (trafficControlCommonFlows). */
function commonFlows(tables: TableMap): Flow[] {
  const origin: Origin = { kind: 'Feature', name: FEATURE, feature: FEATURE };
  return [
    flow('Output', Priority.trafficControlOutput, { regs: regMatch(OutputToOFPortRegMark, TrafficControlMirrorRegMark) }, [{ kind: 'outputReg', field: TargetOFPortField }, { kind: 'outputReg', field: TrafficControlTargetOFPortField }], origin),
    flow('Output', Priority.trafficControlOutput, { regs: regMatch(OutputToOFPortRegMark, TrafficControlRedirectRegMark) }, [{ kind: 'outputReg', field: TrafficControlTargetOFPortField }], origin),
    // A packet back from a return port was marked before it left; it only needs its output port again.
    flow('TrafficControl', Priority.high, { regs: regMatch(OutputToOFPortRegMark, FromTCReturnRegMark) }, [goto(firstTableOfStage(tables, 'output'))], origin),
  ];
}

const ovsType = (spec: TcPortSpec): OvsdbPortPlan['type'] =>
  spec.kind === 'ovsInternal' ? 'internal' : spec.kind === 'device' ? 'system' : spec.kind;

/** Interface options as Antrea's controller sets them (createUDPTunnelPort, createGREPort, createERSPANPort). */
function portOptions(spec: TcPortSpec): Record<string, string> {
  const o: Record<string, string> = {};
  const set = (k: string, v: number | undefined, radix = 10) => {
    if (v !== undefined) o[k] = v.toString(radix);
  };
  switch (spec.kind) {
    case 'ovsInternal':
    case 'device':
      return o;
    case 'vxlan':
    case 'geneve':
      o['remote_ip'] = spec.remoteIP;
      set('dst_port', spec.destinationPort);
      set('key', spec.vni);
      return o;
    case 'gre':
      o['remote_ip'] = spec.remoteIP;
      set('key', spec.key);
      return o;
    case 'erspan':
      o['remote_ip'] = spec.remoteIP;
      o['erspan_ver'] = String(spec.version);
      set('key', spec.sessionID);
      if (spec.version === 1) set('erspan_idx', spec.index, 16);
      else {
        set('erspan_dir', spec.dir);
        set('erspan_hwid', spec.hardwareID);
      }
      return o;
  }
}

export function describePort(spec: TcPortSpec, name: string): string {
  switch (spec.kind) {
    case 'ovsInternal':
      return `internal port ${name}`;
    case 'device':
      return `device ${name}`;
    case 'vxlan':
    case 'geneve':
      return `${spec.kind} ${name} to ${spec.remoteIP}${spec.vni !== undefined ? ` VNI ${spec.vni}` : ''}${spec.destinationPort !== undefined ? ` UDP ${spec.destinationPort}` : ''}`;
    case 'gre':
      return `gre ${name} to ${spec.remoteIP}${spec.key !== undefined ? ` key ${spec.key}` : ''}`;
    case 'erspan':
      return `erspan v${spec.version} ${name} to ${spec.remoteIP}${spec.sessionID !== undefined ? ` session ${spec.sessionID}` : ''}`;
  }
}

export function planTrafficControl(node: NodeInfo, ports: NodePorts, tables: TableMap, tc: NodeTrafficControl): TrafficControlPlan {
  const flows = commonFlows(tables);
  const ofportOf = new Map(tc.ports.map((p) => [p.port.name, p.ofport]));
  const podPort = new Map(ports.pods.map((p) => [p.pod.key, p.ofport]));
  const afterMark = nextTable(tables, 'TrafficControl');
  for (const { tc: t, pods } of tc.resolved.bindings) {
    const names = tc.portSet.byTc.get(t.name);
    const target = names && ofportOf.get(names.target);
    if (names === undefined || target === undefined) continue; // its port was refused with an error
    const mark = loadMark(t.action === 'Redirect' ? TrafficControlRedirectRegMark : TrafficControlMirrorRegMark);
    const actions = [loadField(TrafficControlTargetOFPortField, BigInt(target)), mark, goto(afterMark)];
    for (const pod of pods) {
      if (pod.nodeName !== node.name) continue;
      const ofport = podPort.get(pod.key);
      if (ofport === undefined) continue;
      const origin = (dir: string): Origin => ({ kind: 'TrafficControl', name: t.name, rule: `${dir} of Pod ${pod.key}`, feature: FEATURE });
      if (t.direction !== 'Egress') flows.push(flow('TrafficControl', Priority.normal, { regs: regMatch({ field: TargetOFPortField, value: ofport }) }, actions, origin('ingress')));
      if (t.direction !== 'Ingress') flows.push(flow('TrafficControl', Priority.normal, { inPort: ofport }, actions, origin('egress')));
    }
  }
  const ovsdbPorts: OvsdbPortPlan[] = [];
  for (const { port, ofport } of tc.ports) {
    const origin: Origin = { kind: 'TrafficControlPort', name: port.name, rule: `used by ${port.usedBy.join(', ')}`, feature: FEATURE };
    if (port.isReturn) {
      // Returned packets skip SpoofGuard, conntrack and policy: they are routed again only to regain tun_dst.
      flows.push(flow('Classifier', Priority.normal, { inPort: ofport }, [loadMark(FromTCReturnRegMark), goto(firstTableOfStage(tables, 'routing'))], origin));
    }
    ovsdbPorts.push({
      name: port.name,
      type: ovsType(port.spec),
      ofport,
      options: portOptions(port.spec),
      externalIds: { 'antrea-type': 'traffic-control' },
      noFlood: true,
      origin,
    });
  }
  return { flows, ovsdbPorts };
}

/**
 * Pairs of TrafficControls whose flows both match a packet between their Pods on one Node: the source Pod's
 * in_port flow and the destination Pod's reg1 flow share table and priority, so OVS applies one of them, which
 * one undefined (reference/ovs-pipeline.md §5.2). Antrea installs exactly these flows; dpc says so in review.
 */
export function trafficControlOverlaps(summaries: readonly TrafficControlNodeSummary[]): { egress: string; ingress: string }[] {
  const acting = summaries.filter((s) => s.pods.length > 0);
  const out: { egress: string; ingress: string }[] = [];
  for (const e of acting.filter((s) => s.direction !== 'Ingress')) {
    for (const i of acting.filter((s) => s.direction !== 'Egress')) if (e !== i) out.push({ egress: e.trafficControl, ingress: i.trafficControl });
  }
  return out;
}

/** Per Node, in claiming order: what each TrafficControl does to the Node's Pods. */
export function summarizeTrafficControl(nodeName: string, resolved: ResolvedTrafficControls, portSet: TcPortSet): TrafficControlNodeSummary[] {
  const specOf = new Map(portSet.ports.map((p) => [p.name, p.spec]));
  return resolved.bindings.map(({ tc, pods, lost }) => {
    const names = portSet.byTc.get(tc.name);
    const spec = names && specOf.get(names.target);
    const s: TrafficControlNodeSummary = {
      trafficControl: tc.name,
      direction: tc.direction,
      action: tc.action,
      target: names && spec ? describePort(spec, names.target) : '(refused)',
      pods: pods.filter((p) => p.nodeName === nodeName).map((p) => p.key),
      lostTo: lost.filter((l) => l.pod.nodeName === nodeName).map((l) => ({ pod: l.pod.key, trafficControl: l.to })),
    };
    if (names?.return !== undefined) s.returnPort = describePort(specOf.get(names.return)!, names.return);
    return s;
  });
}
