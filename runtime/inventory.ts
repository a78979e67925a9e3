/**
 * What only the Node knows, read from its OVSDB: the gateway, tunnel and Pod ports on br-int with their ofports
 * and MACs. Pod ports are the ones Antrea's CNI marks (Interface external_ids antrea-type=container with
 * pod-namespace, pod-name, attached-mac, ip-address); gateway and tunnel carry antrea-type=gateway / tunnel.
 */
import type { BundleMeta } from './bundle.js';
import { mapOf, type LiveBridge, type Row } from './ovs.js';

export interface LivePort {
  name: string;
  ofport: number | undefined;
  mac: string | undefined;
}

export interface LivePod extends LivePort {
  namespace: string;
  pod: string;
  ips: string[];
}

export interface LiveInventory {
  bridge: string;
  gateway?: LivePort;
  tunnel?: LivePort;
  pods: LivePod[];
}

/** OVS reports -1 for an interface it could not create, and [] before it has assigned one. */
const ofportOf = (row: Row): number | undefined => (typeof row.ofport === 'number' && row.ofport > 0 ? row.ofport : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function readInventory(bridge: LiveBridge): LiveInventory {
  const inv: LiveInventory = { bridge: String(bridge.row.name), pods: [] };
  const { interfaces } = bridge;
  for (const row of [...interfaces].sort((a, b) => String(a.name).localeCompare(String(b.name)))) {
    const ids = mapOf(row.external_ids);
    const name = String(row.name);
    const port = { name, ofport: ofportOf(row), mac: str(row.mac_in_use) ?? str(row.mac) };
    switch (ids.get('antrea-type')) {
      case 'gateway':
        inv.gateway = port;
        break;
      case 'tunnel':
        inv.tunnel = { ...port, mac: undefined };
        break;
      case 'container': {
        const namespace = ids.get('pod-namespace');
        const pod = ids.get('pod-name');
        if (!namespace || !pod) break;
        // attached-mac is the Pod's own MAC (the container end), which is what flows match; the host end differs.
        inv.pods.push({ ...port, namespace, pod, mac: ids.get('attached-mac'), ips: (ids.get('ip-address') ?? '').split(',').map((s) => s.trim()).filter(Boolean) });
        break;
      }
    }
  }
  inv.pods.sort((a, b) => `${a.namespace}/${a.pod}`.localeCompare(`${b.namespace}/${b.pod}`));
  return inv;
}

const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The NodeInventory (dpc/v1alpha1) `dpc compile` reads. */
export function inventoryDocument(node: string, inv: LiveInventory): object {
  return {
    apiVersion: 'dpc/v1alpha1',
    kind: 'NodeInventory',
    metadata: { name: node },
    spec: defined({
      bridge: inv.bridge,
      gateway: inv.gateway && defined({ name: inv.gateway.name, ofport: inv.gateway.ofport, mac: inv.gateway.mac }),
      tunnel: inv.tunnel && defined({ name: inv.tunnel.name, ofport: inv.tunnel.ofport }),
      pods: inv.pods.map((p) => defined({ namespace: p.namespace, name: p.pod, interface: p.name, ofport: p.ofport, mac: p.mac })),
    }),
  };
}

const sameMac = (a: string | undefined, b: string | undefined): boolean => a?.toLowerCase() === b?.toLowerCase();

/**
 * Where the bundle's assumed inventory and the live Node disagree. Gateway and tunnel may be absent (the bundle's
 * OVSDB operations create them with the assumed ofport and MAC); every Pod the bundle serves must be there as
 * assumed, since its flows would otherwise steer that Pod's traffic to another port.
 */
export function inventoryMismatches(meta: BundleMeta, live: LiveInventory): string[] {
  const out: string[] = [];
  const want = meta.inventory;
  if (meta.bridge !== live.bridge) out.push(`bridge: bundle is for ${meta.bridge}, live bridge is ${live.bridge}`);
  const port = (what: string, assumed: { name: string; ofport: number; mac?: string }, got: LivePort | undefined): void => {
    if (!got) return;
    if (got.name !== assumed.name) out.push(`${what}: bundle assumes interface ${assumed.name}, Node has ${got.name}`);
    if (got.ofport !== undefined && got.ofport !== assumed.ofport) out.push(`${what} ${got.name}: bundle assumes ofport ${assumed.ofport}, Node has ${got.ofport}`);
    if (assumed.mac && got.mac && !sameMac(got.mac, assumed.mac)) out.push(`${what} ${got.name}: bundle assumes MAC ${assumed.mac}, Node has ${got.mac}`);
  };
  port('gateway', want.gateway, live.gateway);
  port('tunnel', want.tunnel, live.tunnel);
  const livePods = new Map(live.pods.map((p) => [`${p.namespace}/${p.pod}`, p]));
  for (const p of want.pods) {
    const key = `${p.namespace}/${p.name}`;
    const got = livePods.get(key);
    if (!got) {
      out.push(`Pod ${key}: bundle assumes interface ${p.interface} (ofport ${p.ofport}), Node has no port for this Pod`);
      continue;
    }
    port(`Pod ${key}`, { name: p.interface, ofport: p.ofport, mac: p.mac }, got);
    if (got.ofport === undefined) out.push(`Pod ${key} ${got.name}: Node has no ofport for it (interface failed?)`);
    if (p.ip && got.ips.length > 0 && !got.ips.some((ip) => ip.split('/')[0] === p.ip)) out.push(`Pod ${key}: bundle assumes IP ${p.ip}, Node has ${got.ips.join(',')}`);
  }
  return out;
}
