/**
 * openflow/portmods.txt: OpenFlow port settings OVSDB has no column for, one `ovs-ofctl -O OpenFlow10 mod-port
 * BRIDGE` argument list a line (`PORT no-flood`), sorted by port. NO_FLOOD exists in OpenFlow 1.0 only, so these
 * go over a 1.0 session, as Antrea's agent sends them. Antrea sets every TrafficControl port no-flood so that NORMAL's
 * floods (ARP broadcasts, unknown unicast) never reach a capture device (controller.go SetPortNoFlood).
 */
import type { OvsdbPortPlan } from '../../compiler/plan/nodePlan.js';

export function renderPortMods(ports: readonly OvsdbPortPlan[]): string {
  const lines = ports
    .filter((p) => p.noFlood)
    .map((p) => `${p.name} no-flood`)
    .sort();
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
