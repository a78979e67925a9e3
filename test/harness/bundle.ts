/**
 * Applies a compiled Node bundle to a private OVS the way a Node would: transact.json creates the gateway and
 * tunnel ports, the CNI plugin's part (one port per Pod) is played by dummy ports, then groups, meters and
 * flows are loaded.
 */
import { join } from 'node:path';
import type { NodeBundle } from '../../targets/bundle/bundle.js';
import { addUnderlay, type Ovs, type Underlay } from './ovs.js';

export interface BundleInventory {
  node: { name: string; internalIP: string; podCIDR: string; gatewayIP: string };
  bridge: string;
  tables: Record<string, number>;
  inventory: {
    gateway: { name: string; ofport: number; mac: string };
    tunnel: { name: string; ofport: number };
    pods: { namespace: string; name: string; interface: string; ofport: number; mac: string; ip: string }[];
    trafficControlPorts?: { name: string; ofport: number; source: string }[];
  };
}

export interface LoadedNode {
  ovs: Ovs;
  meta: BundleInventory;
  underlay?: Underlay;
  /** Port name of each Pod, by `namespace/name`. */
  podPort: Map<string, string>;
}

export function bundleFile(bundle: NodeBundle, path: string): string {
  const text = bundle.files.get(path);
  if (text === undefined) throw new Error(`bundle of ${bundle.node} has no ${path}`);
  return text;
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

export interface LoadOptions {
  underlayPrefix?: number;
  /**
   * Attaches one Pod's port instead of a dummy port (a real veth end, say); returns whether it attached one.
   * Pods it declines get no port.
   */
  podPort?: (pod: BundleInventory['inventory']['pods'][number]) => boolean;
  /** Another name for the gateway's internal port, when its own name is taken in the daemon's namespace. */
  gatewayName?: string;
}

/** Every string in a JSON value equal to `from` replaced by `to`. */
function renamed(value: unknown, from: string, to: string): unknown {
  if (value === from) return to;
  if (Array.isArray(value)) return value.map((v) => renamed(v, from, to));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renamed(v, from, to)]));
  return value;
}

export function loadBundle(ovs: Ovs, bundle: NodeBundle, opts: LoadOptions = {}): LoadedNode {
  const meta = JSON.parse(bundleFile(bundle, 'bundle.json')) as BundleInventory;
  let ops = JSON.parse(bundleFile(bundle, 'ovsdb/transact.json')) as unknown[];
  const gateway = opts.gatewayName ?? meta.inventory.gateway.name;
  if (opts.gatewayName) ops = renamed(ops, meta.inventory.gateway.name, opts.gatewayName) as unknown[];
  ovs.transact(ops.slice(1));
  // tx_pcap is an option of dummy ports only; a caller attaching real ports runs a real datapath.
  if (!opts.podPort) ovs.vsctl('set', 'interface', gateway, `options:tx_pcap=${join(ovs.dir, `${gateway}.pcap`)}`);
  const podPort = new Map<string, string>();
  for (const p of meta.inventory.pods) {
    if (opts.podPort) {
      if (!opts.podPort(p)) continue;
    } else ovs.addDummyPort(p.interface, p.ofport);
    podPort.set(`${p.namespace}/${p.name}`, p.interface);
  }
  const groups = lines(bundleFile(bundle, 'openflow/groups.txt'));
  if (groups.length > 0) ovs.addGroups(groups);
  const meters = lines(bundleFile(bundle, 'openflow/meters.txt'));
  if (meters.length > 0) ovs.addMeters(meters);
  ovs.replaceFlows(bundleFile(bundle, 'openflow/flows.txt'));
  const loaded: LoadedNode = { ovs, meta, podPort };
  if (opts.underlayPrefix !== undefined) loaded.underlay = addUnderlay(ovs, meta.node.internalIP, opts.underlayPrefix);
  return loaded;
}
