/**
 * Assembles one Node's bundle (docs/design.md §3): every artifact as text, plus bundle.json with the table map, the
 * inventory the compile assumed, and a digest per artifact. Paths are relative to the Node's folder.
 */
import { createHash } from 'node:crypto';
import { formatIP, formatCidr } from '../../compiler/net/ip.js';
import { flowCount, type NodePlan } from '../../compiler/plan/nodePlan.js';
import { createSpellingCache, renderFlowPieces, type SpellingCache } from '../openflow/render.js';
import type { Ipset } from '../../compiler/plan/iptables.js';
import type { LastUses } from '../../compiler/plan/policyIndex.js';
import { renderTransact } from '../ovsdb/transact.js';
import { renderGroups, renderMeters } from '../openflow/groupsMeters.js';
import { renderRulesJsonPieces } from '../visibility/rules.js';
import { digestPieces, joinPieces } from './text.js';
import { renderExporterJson } from '../visibility/exporter.js';
import { renderPortMods } from '../openflow/portMods.js';
import type { DataplaneConfig } from '../../compiler/model/config.js';
import { renderIptablesJumps, renderIptablesRestore } from '../iptables/restore.js';
import { renderIpsetRestore } from '../ipset/restore.js';
import { renderNetBatch } from '../net/routes.js';
import { renderIfbLinks, renderTcBatch } from '../tc/render.js';

export interface NodeBundle {
  node: string;
  /** Relative path → content; bundle.json included. */
  files: ReadonlyMap<string, string>;
  flowCount: number;
  podCount: number;
  /** sha256 of bundle.json, which itself holds the digest of every other artifact. */
  digest: string;
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function bundleJson(plan: NodePlan, digests: ReadonlyMap<string, string>): string {
  const { node, ports, tables } = plan;
  const doc = {
    apiVersion: 'dpc/v1alpha1',
    kind: 'Bundle',
    node: {
      name: node.name,
      internalIP: formatIP(node.internalIP),
      podCIDR: formatCidr(node.podCIDR),
      gatewayIP: formatIP(node.gatewayIP),
    },
    bridge: ports.bridge,
    tables: Object.fromEntries(tables.tables.map((t) => [t.name, t.id])),
    // What the compile assumed about the Node; the runtime refuses a bundle whose assumptions do not hold.
    inventory: {
      gateway: ports.gateway,
      tunnel: ports.tunnel,
      pods: ports.pods.map((p) => ({
        namespace: p.pod.namespace,
        name: p.pod.name,
        interface: p.name,
        ofport: p.ofport,
        mac: p.mac,
        ip: formatIP(p.pod.ip),
        source: p.source,
      })),
      ...(plan.trafficControlPorts?.length
        ? { trafficControlPorts: plan.trafficControlPorts.map((p) => ({ name: p.port.name, ofport: p.ofport, source: p.source })) }
        : {}),
    },
    artifacts: Object.fromEntries([...digests.keys()].sort().map((k) => [k, `sha256:${digests.get(k)!}`])),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Text every Node's bundle shares, made once: owned by one compile, passed explicitly. */
export interface BundleCache {
  readonly spelling: SpellingCache;
  /** rules.json entries by rule. */
  readonly ruleEntries: WeakMap<object, string>;
  readonly ipsets: WeakMap<Ipset, string>;
}

export const createBundleCache = (): BundleCache => ({ spelling: createSpellingCache(), ruleEntries: new WeakMap(), ipsets: new WeakMap() });

/**
 * After a Node's bundle: rules.json entries of rules no later Node has are dropped. The spelling caches are keyed
 * by the plan's records, so they let go of a rule's lines when the plan cache lets go of its records.
 */
export function releaseBundleCache(cache: BundleCache, ended: LastUses): void {
  for (const rule of ended.rules) cache.ruleEntries.delete(rule);
  for (const isolation of ended.isolation) cache.ruleEntries.delete(isolation);
}

export function buildNodeBundle(plan: NodePlan, config: DataplaneConfig, cache: BundleCache = createBundleCache()): NodeBundle {
  const { spelling, ruleEntries } = cache;
  // Artifacts as pieces (./text.ts): the two that grow with the cluster are rendered that way.
  const artifacts = new Map<string, readonly string[]>([
    ['openflow/flows.txt', renderFlowPieces(plan.flows, plan.tables, spelling, plan.families, plan.ports.gateway.mac, plan.sharedFlows)],
    ['openflow/groups.txt', [renderGroups(plan.groups, plan.tables)]],
    ['openflow/meters.txt', [renderMeters(plan.meters)]],
    ['ovsdb/transact.json', [renderTransact(plan)]],
    ['visibility/rules.json', renderRulesJsonPieces(plan, config, ruleEntries)],
  ]);
  if (plan.visibility) artifacts.set('visibility/exporter.json', [renderExporterJson(plan.visibility)]);
  // Only bundles with ports to configure carry the file, so bundles without TrafficControl stay as they were.
  const portMods = renderPortMods(plan.ovsdbPorts);
  if (portMods !== '') artifacts.set('openflow/portmods.txt', [portMods]);
  // Host artifacts exist only where there is something to write, so Nodes without host rules keep their bundles.
  const host: [string, string][] = [
    ['iptables/ipv4.rules', renderIptablesRestore(plan.host, 4)],
    ['iptables/ipv6.rules', renderIptablesRestore(plan.host, 6)],
    ['iptables/jumps.txt', renderIptablesJumps(plan.host.jumps)],
    ['ipset/ipsets.txt', renderIpsetRestore(plan.host.ipsets, cache.ipsets)],
    ['net/routes.txt', renderNetBatch(plan.net, 4)],
    ['net/routes6.txt', renderNetBatch(plan.net, 6)],
    ['tc/links.txt', renderIfbLinks(plan.tc)],
    ['tc/tc.txt', renderTcBatch(plan.tc)],
  ];
  for (const [path, text] of host) if (text !== '') artifacts.set(path, [text]);
  const digests = new Map([...artifacts].map(([path, pieces]) => [path, digestPieces(pieces)]));
  const meta = bundleJson(plan, digests);
  const files = new Map([...[...artifacts].map(([path, pieces]) => [path, joinPieces(pieces)] as const), ['bundle.json', meta]]);
  return {
    node: plan.node.name,
    files,
    flowCount: flowCount(plan),
    podCount: plan.ports.pods.length,
    digest: sha256(meta),
  };
}
