/**
 * Ingest: raw objects → typed, schema-checked objects sorted into one collection per kind. Objects that fail
 * their schema are reported and left out, so later stages only ever see well-formed input.
 */
import { parseDocument } from 'yaml';
import type { TSchema } from '@sinclair/typebox';
import type { Diagnostic, Located, ObjectLocation } from '../diagnostics/diagnostic.js';
import { Msg } from '../diagnostics/messages.js';
import { AGENT_CONFIG_KEYS, AgentConfigSchema, type AgentConfig } from '../../schemas/agentConfig.js';
import {
  ConfigMapSchema,
  NamespaceSchema,
  NodeSchema,
  PodSchema,
  ServiceSchema,
  type ConfigMapObject,
  type NamespaceObject,
  type NodeObject,
  type PodObject,
  type ServiceObject,
} from '../../schemas/core.js';
import { NodeInventorySchema, type NodeInventoryObject } from '../../schemas/nodeInventory.js';
import { NetworkPolicySchema, type NetworkPolicyObject } from '../../schemas/networkPolicy.js';
import {
  AntreaNetworkPolicySchema,
  ClusterGroupSchema,
  ClusterNetworkPolicySchema,
  GroupSchema,
  TierSchema,
  type AntreaNetworkPolicyObject,
  type ClusterGroupObject,
  type ClusterNetworkPolicyObject,
  type GroupObject,
  type TierObject,
} from '../../schemas/antreaPolicy.js';
import { EgressSchema, ExternalIPPoolSchema, type EgressObject, type ExternalIPPoolObject } from '../../schemas/egress.js';
import { validatePolicies, type PolicyObjects } from './rules/index.js';
import { emptyPolicyObjects } from './rules/context.js';
import { readSources, type RawObject, type SourceText } from './documents.js';
import { validateAgainst, type ObjectIdentity } from './validate.js';
import { embeddedPosition } from './positions.js';

/** The agent config, wherever it came from; for one inside a ConfigMap, the key and the text it came from. */
export interface LocatedAgentConfig extends Located<AgentConfig> {
  embedded?: { key: string; text: string };
}

export interface Snapshot {
  nodes: Located<NodeObject>[];
  namespaces: Located<NamespaceObject>[];
  pods: Located<PodObject>[];
  services: Located<ServiceObject>[];
  agentConfigs: LocatedAgentConfig[];
  inventories: Located<NodeInventoryObject>[];
  /** networking.k8s.io/v1 NetworkPolicy. Policy objects here passed every admission rule (rules/index.ts). */
  networkPolicies: Located<NetworkPolicyObject>[];
  /** crd.antrea.io/v1beta1 NetworkPolicy (ANNP). */
  antreaNetworkPolicies: Located<AntreaNetworkPolicyObject>[];
  clusterNetworkPolicies: Located<ClusterNetworkPolicyObject>[];
  /** Tiers of the snapshot only; Antrea's system Tiers exist implicitly (rules/context.ts SYSTEM_TIERS). */
  tiers: Located<TierObject>[];
  clusterGroups: Located<ClusterGroupObject>[];
  groups: Located<GroupObject>[];
  egresses: Located<EgressObject>[];
  externalIPPools: Located<ExternalIPPoolObject>[];
}

export interface IngestResult {
  snapshot: Snapshot;
  diagnostics: Diagnostic[];
}

type Collection = Exclude<keyof Snapshot, 'agentConfigs'>;

interface KindEntry {
  apiVersion: string;
  kind: string;
  schema: TSchema;
  into: Collection | 'configMap';
}

/** Every kind dpc reads, keyed by `apiVersion kind`. */
const KINDS: readonly KindEntry[] = [
  { apiVersion: 'v1', kind: 'Node', schema: NodeSchema, into: 'nodes' },
  { apiVersion: 'v1', kind: 'Namespace', schema: NamespaceSchema, into: 'namespaces' },
  { apiVersion: 'v1', kind: 'Pod', schema: PodSchema, into: 'pods' },
  { apiVersion: 'v1', kind: 'Service', schema: ServiceSchema, into: 'services' },
  { apiVersion: 'v1', kind: 'ConfigMap', schema: ConfigMapSchema, into: 'configMap' },
  { apiVersion: 'dpc/v1alpha1', kind: 'NodeInventory', schema: NodeInventorySchema, into: 'inventories' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', schema: NetworkPolicySchema, into: 'networkPolicies' },
  { apiVersion: 'crd.antrea.io/v1beta1', kind: 'NetworkPolicy', schema: AntreaNetworkPolicySchema, into: 'antreaNetworkPolicies' },
  { apiVersion: 'crd.antrea.io/v1beta1', kind: 'ClusterNetworkPolicy', schema: ClusterNetworkPolicySchema, into: 'clusterNetworkPolicies' },
  { apiVersion: 'crd.antrea.io/v1beta1', kind: 'Tier', schema: TierSchema, into: 'tiers' },
  { apiVersion: 'crd.antrea.io/v1beta1', kind: 'ClusterGroup', schema: ClusterGroupSchema, into: 'clusterGroups' },
  { apiVersion: 'crd.antrea.io/v1beta1', kind: 'Group', schema: GroupSchema, into: 'groups' },
  { apiVersion: 'crd.antrea.io/v1beta1', kind: 'Egress', schema: EgressSchema, into: 'egresses' },
  { apiVersion: 'crd.antrea.io/v1beta1', kind: 'ExternalIPPool', schema: ExternalIPPoolSchema, into: 'externalIPPools' },
];

/** Kinds dpc knows but does not compile yet: refusing them beats silently ignoring a policy. */
const NOT_COMPILED: readonly { group: string; kinds: readonly string[] }[] = [
  { group: 'crd.antrea.io', kinds: ['TrafficControl'] },
];

const KIND_INDEX = new Map(KINDS.map((k) => [`${k.apiVersion} ${k.kind}`, k]));

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

function identityOf(value: Record<string, unknown>, kind: string): ObjectIdentity {
  const meta = value['metadata'];
  const m = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>) : {};
  const id: ObjectIdentity = { kind };
  if (typeof m['name'] === 'string') id.name = m['name'];
  if (typeof m['namespace'] === 'string') id.namespace = m['namespace'];
  return id;
}

function isStandaloneAgentConfig(value: Record<string, unknown>): boolean {
  return !('apiVersion' in value) && !('kind' in value) && AGENT_CONFIG_KEYS.some((k) => k in value);
}

const AGENT_CONFIG_KEY = 'antrea-agent.conf';

function readEmbeddedAgentConfig(cm: Located<ConfigMapObject>, out: IngestResult): void {
  const text = cm.obj.data?.[AGENT_CONFIG_KEY];
  const object: ObjectIdentity = { kind: 'ConfigMap', name: cm.obj.metadata.name, namespace: cm.obj.metadata.namespace };
  const field = ['data', AGENT_CONFIG_KEY];
  if (text === undefined) {
    out.diagnostics.push({ severity: 'error', ...Msg.schema('is required'), object, field: `data.${AGENT_CONFIG_KEY}`, at: { loc: cm.loc, field } });
    return;
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const lp = e.linePos?.[0] ?? { line: 1, col: 1 };
      out.diagnostics.push({
        severity: 'error',
        ...Msg.syntax(e.message.split('\n')[0] ?? e.message),
        object,
        field: `data.${AGENT_CONFIG_KEY}`,
        at: { loc: cm.loc, field, embedded: lp },
      });
    }
    return;
  }
  const value = doc.toJS({ maxAliasCount: 1000 }) ?? {};
  const diags = validateAgainst(AgentConfigSchema, value, cm.loc, object, field);
  if (diags.length > 0) {
    // Point into the embedded text, not at the ConfigMap key that holds it.
    for (const d of diags) {
      const inner = d.at?.field?.slice(field.length) ?? [];
      if (d.at) d.at = { loc: cm.loc, field, embedded: embeddedPosition(text, inner) };
    }
    out.diagnostics.push(...diags);
    return;
  }
  out.snapshot.agentConfigs.push({ obj: value as AgentConfig, loc: cm.loc, embedded: { key: AGENT_CONFIG_KEY, text } });
}

function classify(raw: RawObject, out: IngestResult, configMaps: Located<ConfigMapObject>[]): void {
  const { value, loc } = raw;
  if (isStandaloneAgentConfig(value)) {
    const diags = validateAgainst(AgentConfigSchema, value, loc, { kind: 'AgentConfig' });
    if (diags.length > 0) out.diagnostics.push(...diags);
    else out.snapshot.agentConfigs.push({ obj: value as AgentConfig, loc });
    return;
  }
  const kind = value['kind'];
  const apiVersion = typeof value['apiVersion'] === 'string' ? value['apiVersion'] : '';
  if (typeof kind !== 'string' || kind === '') {
    out.diagnostics.push({ severity: 'error', ...Msg.missingKind(), field: 'kind', at: { loc, field: ['kind'] } });
    return;
  }
  const id = identityOf(value, kind);
  const entry = KIND_INDEX.get(`${apiVersion} ${kind}`);
  if (!entry) {
    const known = NOT_COMPILED.some((g) => g.group === groupOf(apiVersion) && g.kinds.includes(kind));
    out.diagnostics.push(
      known
        ? { severity: 'error', ...Msg.notCompiledKind(`${apiVersion} ${kind}`), object: id, at: { loc } }
        : { severity: 'warning', ...Msg.unknownKind(kind, apiVersion), object: id, at: { loc } },
    );
    return;
  }
  const diags = validateAgainst(entry.schema, value, loc, id);
  if (diags.length > 0) {
    out.diagnostics.push(...diags);
    return;
  }
  if (entry.into === 'configMap') {
    configMaps.push({ obj: value as ConfigMapObject, loc });
    return;
  }
  (out.snapshot[entry.into] as Located<unknown>[]).push({ obj: value, loc });
}

const ANTREA_CONFIG_MAP = 'antrea-config';

/**
 * Reads a snapshot. `previous` is the snapshot it replaces, when known: it is read the same way (its own problems
 * are not reported) so that the rules Antrea applies only on update (a Tier's priority is immutable) can compare.
 */
export function ingest(sources: readonly SourceText[], previous?: readonly SourceText[]): IngestResult {
  const out = readSnapshot(sources);
  const prior = previous ? readSnapshot(previous).snapshot : undefined;
  admitPolicies(out, prior);
  return out;
}

function featureGatesOf(snapshot: Snapshot): Readonly<Record<string, boolean>> {
  return snapshot.agentConfigs[0]?.obj.featureGates ?? {};
}

function policyObjectsOf(snapshot: Snapshot): PolicyObjects {
  const { networkPolicies, antreaNetworkPolicies, clusterNetworkPolicies, tiers, clusterGroups, groups, egresses, externalIPPools } = snapshot;
  return { networkPolicies, antreaNetworkPolicies, clusterNetworkPolicies, tiers, clusterGroups, groups, egresses, externalIPPools };
}

/** Runs the policy admission rules (rules/index.ts) and leaves the refused objects out of the snapshot. */
function admitPolicies(out: IngestResult, prior: Snapshot | undefined): void {
  // The previous snapshot stands for what the cluster had admitted: its own refused objects never existed.
  const before = prior ? validatePolicies(policyObjectsOf(prior), undefined, featureGatesOf(prior)).accepted : undefined;
  const result = validatePolicies(policyObjectsOf(out.snapshot), before, featureGatesOf(out.snapshot));
  out.diagnostics.push(...result.diagnostics);
  const a = result.accepted;
  const s = out.snapshot;
  s.networkPolicies = [...a.networkPolicies];
  s.antreaNetworkPolicies = [...a.antreaNetworkPolicies];
  s.clusterNetworkPolicies = [...a.clusterNetworkPolicies];
  s.tiers = [...a.tiers];
  s.clusterGroups = [...a.clusterGroups];
  s.groups = [...a.groups];
  s.egresses = [...a.egresses];
  s.externalIPPools = [...a.externalIPPools];
}

function readSnapshot(sources: readonly SourceText[]): IngestResult {
  const read = readSources(sources);
  const out: IngestResult = {
    snapshot: {
      nodes: [],
      namespaces: [],
      pods: [],
      services: [],
      agentConfigs: [],
      inventories: [],
      ...emptyPolicyObjects(),
    },
    diagnostics: read.diagnostics,
  };
  const configMaps: Located<ConfigMapObject>[] = [];
  for (const raw of read.objects) classify(raw, out, configMaps);
  for (const cm of configMaps) {
    if (cm.obj.metadata.name === ANTREA_CONFIG_MAP || cm.obj.data?.[AGENT_CONFIG_KEY] !== undefined) {
      readEmbeddedAgentConfig(cm, out);
    } else {
      out.diagnostics.push({
        severity: 'warning',
        ...Msg.unusedConfigMap(),
        object: { kind: 'ConfigMap', name: cm.obj.metadata.name, namespace: cm.obj.metadata.namespace },
        at: { loc: cm.loc },
      });
    }
  }
  return out;
}
