/**
 * Traffic control records (docs/design.md §3, `tc/`): what the CNI bandwidth plugin installs for a Pod's bandwidth
 * annotations. `tc/links.txt` (`ip -batch`) creates the ifb devices; `tc/tc.txt` (`tc -batch`) holds the qdiscs and
 * filters, on Pods' host-side interfaces and on those devices.
 */
import type { NodePorts } from '../allocate/ports.js';
import { allocateIfbNames } from '../allocate/ifbDevices.js';
import type { PodBandwidthIntent, TbfShape } from '../resolve/podBandwidth.js';
import type { Origin } from './flow.js';

export type TcRecord =
  | { readonly kind: 'ifb'; readonly device: string; readonly origin: Origin }
  /** The root qdisc, handle 1:, as the plugin adds it. */
  | { readonly kind: 'tbf'; readonly device: string; readonly shape: TbfShape; readonly origin: Origin }
  /** The ingress qdisc, handle ffff:. */
  | { readonly kind: 'ingress'; readonly device: string; readonly origin: Origin }
  /** A u32 filter matching every packet at prio 1 of the ingress qdisc, redirecting it to `target`'s egress. */
  | { readonly kind: 'redirect'; readonly device: string; readonly target: string; readonly origin: Origin };

/** The records for the shaped Pods of one Node; Pods without a port on it (other Nodes, host network) have none. */
export function planPodBandwidth(ports: NodePorts, intents: readonly PodBandwidthIntent[]): TcRecord[] {
  const here = new Map(ports.pods.map((p) => [p.pod.key, p.name]));
  const shaped = intents.filter((i) => here.has(i.pod.key));
  const ifbNames = allocateIfbNames(shaped.filter((i) => i.egress).map((i) => i.pod));
  const out: TcRecord[] = [];
  for (const { pod, ingress, egress } of shaped) {
    const origin: Origin = { feature: 'PodBandwidth', kind: 'Pod', namespace: pod.namespace, name: pod.name };
    const hostIf = here.get(pod.key)!;
    if (ingress) out.push({ kind: 'tbf', device: hostIf, shape: ingress, origin });
    if (egress) {
      const ifb = ifbNames.get(pod.key)!;
      out.push(
        { kind: 'ifb', device: ifb, origin },
        { kind: 'ingress', device: hostIf, origin },
        { kind: 'redirect', device: hostIf, target: ifb, origin },
        { kind: 'tbf', device: ifb, shape: egress, origin },
      );
    }
  }
  return out;
}
