/**
 * The cluster model: an indexed, read-only view of the snapshot that every resolver queries. Building it runs
 * the semantic checks a schema cannot express (duplicates, references, address plans).
 */
import { fieldPathText, type Diagnostic, type Located, type ObjectLocation } from '../diagnostics/diagnostic.js';
import { Msg } from '../diagnostics/messages.js';
import type { Snapshot } from '../ingest/ingest.js';
import {
  cidrContains,
  cidrsOverlap,
  compareCidr,
  firstHost,
  formatCidr,
  formatIP,
  parseCidr,
  parseIP,
  type Cidr,
  type IPAddr,
} from '../net/ip.js';
import { normalizeAgentConfig, type DataplaneConfig } from './config.js';
import { checkUpstreamPolicies, normalizeControllerConfig, type ControllerSettings } from './controllerConfig.js';
import { normalizeTrafficControl, type TrafficControlInfo } from './trafficControl.js';
import { EGRESS_BANDWIDTH, INGRESS_BANDWIDTH, normalizeCniConfig, readPodBandwidth, type CniSettings, type PodBandwidth } from './podBandwidth.js';
import type { NodeInventoryObject } from '../../schemas/nodeInventory.js';
import type { PodObject } from '../../schemas/core.js';
import type { EgressObject, ExternalIPPoolObject } from '../../schemas/egress.js';
import type { NetworkPolicyObject } from '../../schemas/networkPolicy.js';
import type {
  AntreaNetworkPolicyObject,
  ClusterGroupObject,
  ClusterNetworkPolicyObject,
  GroupObject,
  TierObject,
} from '../../schemas/antreaPolicy.js';
import { effectiveTierName, SYSTEM_TIERS } from '../../schemas/tiers.js';
import { appendAll } from '../util/append.js';

export type Labels = Readonly<Record<string, string>>;

export interface NodeInfo {
  name: string;
  labels: Labels;
  /** The IPv4 Pod CIDR: Antrea's gateway takes its first address. */
  podCIDR: Cidr;
  gatewayIP: IPAddr;
  /** The IPv4 InternalIP: the tunnel endpoint peers send to. */
  internalIP: IPAddr;
  addresses: IPAddr[];
  /**
   * The IP families the Node runs: IPv4 always (dpc needs an IPv4 Pod CIDR), IPv6 when it also has an IPv6 Pod CIDR
   * and an IPv6 address, as Antrea decides per Node (pkg/agent/config/node_config.go IsIPv6Enabled).
   */
  ipFamilies: readonly (4 | 6)[];
  /** What Antrea's Egress scheduler asks of a Node: it runs Linux and its agent is up (Ready unless stated otherwise). */
  linux: boolean;
  ready: boolean;
  /** The `node.antrea.io/max-egress-ips` annotation, when it parses as Go's strconv.Atoi parses it. */
  maxEgressIPs?: number;
  /** `node.antrea.io/transport-addresses`: at most one per family, the last one given (Antrea's parsing). */
  transportAddresses: IPAddr[];
  loc: ObjectLocation;
}

export interface ContainerPortInfo {
  name?: string;
  port: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
}

export interface PodInfo {
  /** `namespace/name`, the Pod's identity everywhere in dpc. */
  key: string;
  namespace: string;
  name: string;
  nodeName: string;
  hostNetwork: boolean;
  ip: IPAddr;
  labels: Labels;
  ports: ContainerPortInfo[];
  /** spec.serviceAccountName; absent means the Namespace's `default` account. */
  serviceAccount?: string;
  /** kubernetes.io/ingress-bandwidth and egress-bandwidth, when the Pod has either. */
  bandwidth?: PodBandwidth;
  loc: ObjectLocation;
}

export interface ServiceInfo {
  namespace: string;
  name: string;
  selector?: Readonly<Record<string, string>>;
  /** spec.clusterIPs (or clusterIP) that parse as addresses; `None` of headless Services is no address. */
  clusterIPs: readonly IPAddr[];
}

export interface NamespaceInfo {
  name: string;
  labels: Labels;
}

export interface ClusterModel {
  /** Sorted by name. */
  nodes: readonly NodeInfo[];
  nodeByName: ReadonlyMap<string, NodeInfo>;
  namespaces: ReadonlyMap<string, NamespaceInfo>;
  /** Pods with an IP on a known Node, sorted by key. */
  pods: readonly PodInfo[];
  /** Pods with a port on the Node's bridge (not host-network), sorted by key. */
  podsByNode: ReadonlyMap<string, readonly PodInfo[]>;
  config: DataplaneConfig;
  /** What antrea-cni.conflist chains after Antrea's plugin (the chart's default without one). */
  cni: CniSettings;
  /** The controller's feature gates (Antrea's defaults without antrea-controller.conf). */
  controller: ControllerSettings;
  inventories: ReadonlyMap<string, Located<NodeInventoryObject>>;
  services: ReadonlyMap<string, ServiceInfo>;
  /** Policy objects as validated by ingest, each list sorted by namespace/name. */
  k8sNetworkPolicies: readonly Located<NetworkPolicyObject>[];
  antreaNetworkPolicies: readonly Located<AntreaNetworkPolicyObject>[];
  clusterNetworkPolicies: readonly Located<ClusterNetworkPolicyObject>[];
  tiers: readonly Located<TierObject>[];
  /** Every Tier a policy may name (Antrea's system Tiers and the snapshot's), name → priority. */
  tierPriorities: ReadonlyMap<string, number>;
  clusterGroups: ReadonlyMap<string, Located<ClusterGroupObject>>;
  /** Namespaced Groups by `namespace/name`. */
  groups: ReadonlyMap<string, Located<GroupObject>>;
  /** TrafficControls in both input shapes, normalized; sorted by name; empty while the feature gate is off. */
  trafficControls: readonly TrafficControlInfo[];
  /** Egresses and ExternalIPPools that passed admission, by name. */
  egresses: readonly Located<EgressObject>[];
  externalIPPools: ReadonlyMap<string, Located<ExternalIPPoolObject>>;
}

export interface ModelResult {
  model: ClusterModel;
  diagnostics: Diagnostic[];
}

function tierPriorities(tiers: readonly Located<TierObject>[]): ReadonlyMap<string, number> {
  const out = new Map(SYSTEM_TIERS);
  for (const t of tiers) out.set(t.obj.metadata.name, t.obj.spec.priority);
  return out;
}

/** The Tier a policy belongs to, by its `spec.tier`; no priority when the snapshot has no such Tier. */
export function effectiveTier(model: ClusterModel, specTier: string | undefined): { name: string; priority?: number } {
  const name = effectiveTierName(specTier);
  const priority = model.tierPriorities.get(name);
  return priority === undefined ? { name } : { name, priority };
}

const byKey = <T>(key: (t: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

interface Identified {
  kind: string;
  namespace?: string;
  name: string;
  loc: ObjectLocation;
}

/** Reports every object whose (kind, namespace, name) was seen before, pointing at both places. */
function checkDuplicates(items: readonly Identified[], diags: Diagnostic[]): Set<ObjectLocation> {
  const seen = new Map<string, Identified>();
  const dropped = new Set<ObjectLocation>();
  for (const it of items) {
    const key = `${it.kind}\0${it.namespace ?? ''}\0${it.name}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, it);
      continue;
    }
    dropped.add(it.loc);
    diags.push({
      severity: 'error',
      ...Msg.duplicate(),
      object: { kind: it.kind, namespace: it.namespace, name: it.name },
      at: { loc: it.loc },
      related: [{ at: { loc: first.loc }, message: 'first defined here' }],
    });
  }
  return dropped;
}

function buildNodes(snapshot: Snapshot, diags: Diagnostic[]): NodeInfo[] {
  const dropped = checkDuplicates(
    snapshot.nodes.map((n) => ({ kind: 'Node', name: n.obj.metadata.name, loc: n.loc })),
    diags,
  );
  const nodes: NodeInfo[] = [];
  for (const { obj, loc } of snapshot.nodes) {
    if (dropped.has(loc)) continue;
    const object = { kind: 'Node', name: obj.metadata.name };
    const err = (m: { code: string; message: string }, field: (string | number)[]) =>
      diags.push({ severity: 'error', ...m, object, field: fieldPathText(field), at: { loc, field } });
    let ok = true;
    const cidrTexts: { text: string; field: (string | number)[] }[] = [];
    const podCIDRs = obj.spec?.podCIDRs ?? [];
    podCIDRs.forEach((text, i) => cidrTexts.push({ text, field: ['spec', 'podCIDRs', i] }));
    const single = obj.spec?.podCIDR;
    if (single !== undefined && single !== '') {
      if (podCIDRs.length > 0 && podCIDRs[0] !== single) {
        err(Msg.podCIDRMismatch(single, podCIDRs.join(', ')), ['spec', 'podCIDR']);
        ok = false;
      }
      if (podCIDRs.length === 0) cidrTexts.push({ text: single, field: ['spec', 'podCIDR'] });
    }
    const cidrs: Cidr[] = [];
    const byFamily = new Map<number, string>();
    for (const c of cidrTexts) {
      const parsed = parseCidr(c.text);
      if (!parsed) {
        err(Msg.badCIDR(c.text), c.field);
        ok = false;
        continue;
      }
      // The API server allows one Pod CIDR per family (dual-stack), no more.
      const first = byFamily.get(parsed.family);
      if (first !== undefined) {
        err(Msg.podCIDRsPerFamily(parsed.family, first, c.text), c.field);
        ok = false;
      } else byFamily.set(parsed.family, c.text);
      cidrs.push(parsed);
    }
    const v4 = cidrs.filter((c) => c.family === 4);
    if (cidrs.length > v4.length) diags.push({ severity: 'warning', ...Msg.ipv6NotCompiled(), object, field: 'spec.podCIDRs', at: { loc, field: ['spec', 'podCIDRs'] } });
    if (ok && v4.length === 0) {
      err(Msg.noPodCIDR(), ['spec', 'podCIDR']);
      ok = false;
    }
    const addresses: IPAddr[] = [];
    let internalIP: IPAddr | undefined;
    (obj.status?.addresses ?? []).forEach((a, i) => {
      if (a.type !== 'InternalIP' && a.type !== 'ExternalIP') return;
      const ip = parseIP(a.address);
      if (!ip) {
        err(Msg.badIP(a.address), ['status', 'addresses', i, 'address']);
        ok = false;
        return;
      }
      addresses.push(ip);
      if (a.type === 'InternalIP' && ip.family === 4 && !internalIP) internalIP = ip;
    });
    if (!internalIP) {
      if (ok) err(Msg.noInternalIP(), ['status', 'addresses']);
      ok = false;
    }
    if (!ok || !internalIP) continue;
    const podCIDR = v4[0]!;
    const ipv6 = cidrs.length > v4.length && addresses.some((a) => a.family === 6);
    const labels = obj.metadata.labels ?? {};
    const maxText = obj.metadata.annotations?.['node.antrea.io/max-egress-ips'];
    const info: NodeInfo = {
      name: obj.metadata.name,
      labels,
      podCIDR,
      gatewayIP: firstHost(podCIDR),
      internalIP,
      addresses,
      ipFamilies: ipv6 ? [4, 6] : [4],
      linux: labels['kubernetes.io/os'] === 'linux',
      ready: ((c) => c === undefined || c.status === 'True')((obj.status?.conditions ?? []).find((c) => c.type === 'Ready')),
      transportAddresses: transportAddresses(obj.metadata.annotations?.['node.antrea.io/transport-addresses']),
      loc,
    };
    if (maxText !== undefined && /^[+-]?[0-9]+$/.test(maxText) && Number.isSafeInteger(Number(maxText))) info.maxEgressIPs = Number(maxText);
    nodes.push(info);
  }
  nodes.sort(byKey((n) => n.name));
  // Overlapping Pod CIDRs would make routing ambiguous; report each pair once, on the later Node.
  const sorted = [...nodes].sort((a, b) => compareCidr(a.podCIDR, b.podCIDR));
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length && cidrsOverlap(sorted[i]!.podCIDR, sorted[j]!.podCIDR); j++) {
      const a = sorted[i]!;
      const b = sorted[j]!;
      diags.push({
        severity: 'error',
        ...Msg.overlappingCIDR(formatCidr(b.podCIDR), formatCidr(a.podCIDR), a.name),
        object: { kind: 'Node', name: b.name },
        field: 'spec.podCIDR',
        at: { loc: b.loc, field: ['spec', 'podCIDR'] },
        related: [{ at: { loc: a.loc, field: ['spec', 'podCIDR'] }, message: `Pod CIDR of Node ${a.name}` }],
      });
    }
  }
  return nodes;
}

function buildNamespaces(snapshot: Snapshot, diags: Diagnostic[]): Map<string, NamespaceInfo> {
  const dropped = checkDuplicates(
    snapshot.namespaces.map((n) => ({ kind: 'Namespace', name: n.obj.metadata.name, loc: n.loc })),
    diags,
  );
  const out = new Map<string, NamespaceInfo>();
  for (const { obj, loc } of snapshot.namespaces) {
    if (dropped.has(loc)) continue;
    const name = obj.metadata.name;
    // The API server sets this label on every Namespace; selectors may rely on it.
    out.set(name, { name, labels: { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name } });
  }
  return out;
}

/** status.phase Succeeded or Failed: every container has stopped for good. */
export function isPodTerminated(pod: PodObject): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

function buildPods(
  snapshot: Snapshot,
  nodeByName: ReadonlyMap<string, NodeInfo>,
  namespaces: Map<string, NamespaceInfo>,
  diags: Diagnostic[],
): PodInfo[] {
  const dropped = checkDuplicates(
    snapshot.pods.map((p) => ({ kind: 'Pod', namespace: p.obj.metadata.namespace ?? 'default', name: p.obj.metadata.name, loc: p.loc })),
    diags,
  );
  const pods: PodInfo[] = [];
  const ipOwner = new Map<bigint, PodInfo>();
  for (const { obj, loc } of snapshot.pods) {
    if (dropped.has(loc)) continue;
    const namespace = obj.metadata.namespace ?? 'default';
    const name = obj.metadata.name;
    const object = { kind: 'Pod', namespace, name };
    const report = (severity: 'error' | 'warning', m: { code: string; message: string }, field: (string | number)[]) =>
      diags.push({ severity, ...m, object, field: field.length ? fieldPathText(field) : undefined, at: { loc, field } });
    if (!namespaces.has(namespace)) {
      // A snapshot may leave Namespaces out; the Pod's Namespace then exists with only its name label.
      namespaces.set(namespace, { name: namespace, labels: { 'kubernetes.io/metadata.name': namespace } });
    }
    // A terminated Pod has no port (the CNI plugin removed it) and its IP may already be another Pod's: Antrea
    // leaves it out of appliedTo and of every peer group (pkg/util/k8s/pod.go IsPodTerminated, used by
    // pkg/controller/networkpolicy networkpolicy_controller.go and crd_utils.go). It is not part of the model at all.
    if (isPodTerminated(obj)) continue;
    const nodeName = obj.spec.nodeName ?? '';
    if (nodeName === '') {
      report('warning', Msg.podNotScheduled(), ['spec', 'nodeName']);
      continue;
    }
    const node = nodeByName.get(nodeName);
    if (!node) {
      report('error', Msg.unknownNode(nodeName), ['spec', 'nodeName']);
      continue;
    }
    const ipTexts: { text: string; field: (string | number)[] }[] = [];
    (obj.status?.podIPs ?? []).forEach((p, i) => ipTexts.push({ text: p.ip, field: ['status', 'podIPs', i, 'ip'] }));
    if (ipTexts.length === 0 && obj.status?.podIP) ipTexts.push({ text: obj.status.podIP, field: ['status', 'podIP'] });
    let ip: IPAddr | undefined;
    let bad = false;
    for (const t of ipTexts) {
      const parsed = parseIP(t.text);
      if (!parsed) {
        report('error', Msg.badIP(t.text), t.field);
        bad = true;
      } else if (parsed.family === 4 && !ip) ip = parsed;
    }
    if (bad) continue;
    const hostNetwork = obj.spec.hostNetwork === true;
    if (!ip) {
      if (!hostNetwork) {
        report('warning', Msg.podWithoutIP(), ['status', 'podIP']);
        continue;
      }
      ip = node.internalIP; // a host-network Pod's address is its Node's
    }
    if (hostNetwork) {
      if (!node.addresses.some((a) => a.value === ip!.value && a.family === ip!.family)) {
        report('error', Msg.hostNetworkIPNotNode(formatIP(ip)), ['status', 'podIP']);
        continue;
      }
    } else if (!cidrContains(node.podCIDR, ip)) {
      report('error', Msg.podIPOutsideCIDR(formatIP(ip), node.name, formatCidr(node.podCIDR)), ipTexts[0]!.field);
      continue;
    }
    const ports: ContainerPortInfo[] = [];
    for (const c of obj.spec.containers ?? []) {
      for (const p of c.ports ?? []) {
        const port: ContainerPortInfo = { port: p.containerPort, protocol: p.protocol ?? 'TCP' };
        if (p.name) port.name = p.name;
        ports.push(port);
      }
    }
    // A host-network sandbox gets no CNI call, so the runtime never reads its bandwidth annotations.
    const bandwidth = hostNetwork ? undefined : readPodBandwidth(obj.metadata.annotations, (problem, key) => report('error', problem, ['metadata', 'annotations', key]));
    const serviceAccount = (obj.spec as { serviceAccountName?: unknown }).serviceAccountName;
    const info: PodInfo = {
      ...(typeof serviceAccount === 'string' && serviceAccount !== '' ? { serviceAccount } : {}),
      key: `${namespace}/${name}`,
      namespace,
      name,
      nodeName,
      hostNetwork,
      ip,
      labels: obj.metadata.labels ?? {},
      ports,
      ...(bandwidth ? { bandwidth } : {}),
      loc,
    };
    if (!hostNetwork) {
      const owner = ipOwner.get(ip.value);
      if (owner) {
        report('error', Msg.duplicateIP(formatIP(ip), `Pod ${owner.key}`), ipTexts[0]!.field);
        continue;
      }
      ipOwner.set(ip.value, info);
    }
    pods.push(info);
  }
  return pods.sort(byKey((p) => p.key));
}

function buildInventories(
  snapshot: Snapshot,
  nodeByName: ReadonlyMap<string, NodeInfo>,
  diags: Diagnostic[],
): Map<string, Located<NodeInventoryObject>> {
  const dropped = checkDuplicates(
    snapshot.inventories.map((n) => ({ kind: 'NodeInventory', name: n.obj.metadata.name, loc: n.loc })),
    diags,
  );
  const out = new Map<string, Located<NodeInventoryObject>>();
  for (const inv of snapshot.inventories) {
    if (dropped.has(inv.loc)) continue;
    const name = inv.obj.metadata.name;
    if (!nodeByName.has(name)) {
      diags.push({
        severity: 'error',
        ...Msg.inventoryUnknownNode(name),
        object: { kind: 'NodeInventory', name },
        field: 'metadata.name',
        at: { loc: inv.loc, field: ['metadata', 'name'] },
      });
      continue;
    }
    out.set(name, inv);
  }
  return out;
}

/** TrafficControls compile only with their feature gate on; otherwise each one is named in a warning. */
function buildTrafficControls(snapshot: Snapshot, enabled: boolean, diags: Diagnostic[]): TrafficControlInfo[] {
  const dropped = checkDuplicates(
    snapshot.trafficControls.map((t) => ({ kind: 'TrafficControl', name: t.obj.metadata.name, loc: t.loc })),
    diags,
  );
  const out: TrafficControlInfo[] = [];
  for (const { obj, loc } of snapshot.trafficControls) {
    if (dropped.has(loc)) continue;
    if (!enabled) {
      diags.push({ severity: 'warning', ...Msg.trafficControlGateOff(), object: { kind: 'TrafficControl', name: obj.metadata.name }, at: { loc } });
      continue;
    }
    out.push(normalizeTrafficControl(obj, loc));
  }
  return out.sort(byKey((t) => t.name));
}

/** Comma separated; per family the last parseable address wins, as Antrea reads the annotation. */
function transportAddresses(text: string | undefined): IPAddr[] {
  const byFamily = new Map<number, IPAddr>();
  for (const part of (text ?? '').split(',')) {
    const ip = parseIP(part.trim());
    if (ip) byFamily.set(ip.family, ip);
  }
  return [...byFamily.keys()].sort().map((f) => byFamily.get(f)!);
}

export function buildModel(snapshot: Snapshot): ModelResult {
  const diagnostics: Diagnostic[] = [];
  const { config, diagnostics: configDiags } = normalizeAgentConfig(snapshot.agentConfigs);
  appendAll(diagnostics, configDiags);
  const { settings: controller, diagnostics: controllerDiags } = normalizeControllerConfig(snapshot.controllerConfigs);
  appendAll(appendAll(diagnostics, controllerDiags), checkUpstreamPolicies(snapshot.upstreamPolicies, controller));
  const nodes = buildNodes(snapshot, diagnostics);
  const nodeByName = new Map(nodes.map((n) => [n.name, n]));
  const namespaces = buildNamespaces(snapshot, diagnostics);
  const pods = buildPods(snapshot, nodeByName, namespaces, diagnostics);
  const cni = normalizeCniConfig(snapshot.cniConfigs, diagnostics);
  if (!cni.bandwidth) {
    for (const p of pods) {
      if (!p.bandwidth) continue;
      const key = p.bandwidth.ingress !== undefined ? INGRESS_BANDWIDTH : EGRESS_BANDWIDTH;
      diagnostics.push({ severity: 'warning', ...Msg.podBandwidthPluginOff(), object: { kind: 'Pod', namespace: p.namespace, name: p.name }, field: `metadata.annotations.${key}`, at: { loc: p.loc, field: ['metadata', 'annotations', key] } });
    }
  }
  const podsByNode = new Map<string, PodInfo[]>(nodes.map((n) => [n.name, []]));
  for (const p of pods) if (!p.hostNetwork) podsByNode.get(p.nodeName)!.push(p);
  const inventories = buildInventories(snapshot, nodeByName, diagnostics);
  const nsName = (o: { metadata: { namespace?: string; name: string } }) => `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
  const sorted = <T extends { metadata: { namespace?: string; name: string } }>(list: readonly Located<T>[]) =>
    [...list].sort(byKey((s) => nsName(s.obj)));
  const services = new Map<string, ServiceInfo>();
  for (const { obj } of sorted(snapshot.services)) {
    const ipTexts = obj.spec.clusterIPs ?? (obj.spec.clusterIP ? [obj.spec.clusterIP] : []);
    const clusterIPs = ipTexts.map(parseIP).filter((ip): ip is IPAddr => ip !== undefined);
    const info: ServiceInfo = { namespace: obj.metadata.namespace ?? 'default', name: obj.metadata.name, clusterIPs };
    if (obj.spec.selector) info.selector = obj.spec.selector;
    services.set(nsName(obj), info);
  }
  return {
    model: {
      nodes,
      nodeByName,
      namespaces,
      pods,
      podsByNode,
      config,
      cni,
      controller,
      inventories,
      services,
      k8sNetworkPolicies: sorted(snapshot.networkPolicies),
      antreaNetworkPolicies: sorted(snapshot.antreaNetworkPolicies),
      clusterNetworkPolicies: sorted(snapshot.clusterNetworkPolicies),
      tiers: sorted(snapshot.tiers),
      tierPriorities: tierPriorities(snapshot.tiers),
      clusterGroups: new Map(sorted(snapshot.clusterGroups).map((g) => [g.obj.metadata.name, g])),
      groups: new Map(sorted(snapshot.groups).map((g) => [nsName(g.obj), g])),
      trafficControls: buildTrafficControls(snapshot, config.features.trafficControl, diagnostics),
      egresses: [...snapshot.egresses].sort(byKey((e) => e.obj.metadata.name)),
      externalIPPools: new Map([...snapshot.externalIPPools].sort(byKey((p) => p.obj.metadata.name)).map((p) => [p.obj.metadata.name, p])),
    },
    diagnostics,
  };
}
