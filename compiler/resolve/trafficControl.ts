/**
 * TrafficControl bindings, Node-independent: which Pods each TrafficControl selects, and which one TrafficControl
 * is in effect for each Pod (pkg/agent/controller/trafficcontrol/controller.go). An appliedTo without selectors
 * selects nothing; host-network Pods are never selected. A Pod selected by several TrafficControls is bound to the
 * first that claims it, as the agent binds it (bindPodToTrafficControl); the others stay alternatives and act on
 * that Pod only once the first lets go. The agent's "first" is the first one it happens to process; dpc makes that
 * the oldest by creationTimestamp (a snapshot without timestamps: by name), so the choice is stable and matches a
 * cluster in which TrafficControls were created one after another.
 */
import type { ClusterModel, PodInfo } from '../model/model.js';
import type { TrafficControlInfo } from '../model/trafficControl.js';
import { createSelection } from './selection.js';

export interface TrafficControlBinding {
  tc: TrafficControlInfo;
  /** Pods for which this TrafficControl is the effective one, sorted by key. */
  pods: readonly PodInfo[];
  /** Pods it selects that an earlier TrafficControl holds, with that TrafficControl's name. */
  lost: readonly { pod: PodInfo; to: string }[];
}

export interface ResolvedTrafficControls {
  /** In claiming order (see above). */
  bindings: readonly TrafficControlBinding[];
}

function createdMs(tc: TrafficControlInfo): number {
  const ms = tc.createdAt === undefined ? NaN : Date.parse(tc.createdAt);
  return Number.isNaN(ms) ? -Infinity : ms;
}

/** Antrea's claiming order as dpc reproduces it: oldest first, then by name. */
export function claimingOrder(a: TrafficControlInfo, b: TrafficControlInfo): number {
  const d = createdMs(a) - createdMs(b);
  if (d !== 0 && !Number.isNaN(d)) return d < 0 ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function resolveTrafficControls(model: ClusterModel): ResolvedTrafficControls {
  const selection = createSelection(model);
  const holder = new Map<string, string>();
  const bindings: TrafficControlBinding[] = [];
  for (const tc of [...model.trafficControls].sort(claimingOrder)) {
    const { podSelector, namespaceSelector } = tc.appliedTo;
    const selected = podSelector === undefined && namespaceSelector === undefined ? [] : selection.pods(podSelector, namespaceSelector);
    const pods: PodInfo[] = [];
    const lost: { pod: PodInfo; to: string }[] = [];
    for (const pod of selected) {
      const first = holder.get(pod.key);
      if (first === undefined) {
        holder.set(pod.key, tc.name);
        pods.push(pod);
      } else lost.push({ pod, to: first });
    }
    bindings.push({ tc, pods, lost });
  }
  return { bindings };
}
