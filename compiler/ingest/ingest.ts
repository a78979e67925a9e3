/**
 * Ingest: raw objects → typed, schema-checked objects sorted into one collection per kind. Objects that fail
 * their schema are reported and left out, so later stages only ever see well-formed input.
 */
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
import { TrafficControlSchema, type TrafficControlObject } from '../../schemas/trafficControl.js';
import { EgressSchema, ExternalIPPoolSchema, type EgressObject, type ExternalIPPoolObject } from '../../schemas/egress.js';
import { validatePolicies, type PolicyObjects } from './rules/index.js';
import { checkTrafficControls } from './rules/trafficControlShape.js';
import { emptyPolicyObjects } from './rules/context.js';
import { readSources, readYamlDocuments, type RawObject, type SourceText } from './documents.js';
import { validateAgainst, type ObjectIdentity } from './validate.js';
import {
  AGENT_CONFIG_KEY,
  CNI_CONFIG_KEY,
  CONTROLLER_CONFIG_KEY,
  isStandaloneControllerConfig,
  readEmbeddedConfig,
  type LocatedConfig,
  type LocatedControllerConfig,
} from './embeddedConfig.js';
import { ControllerConfigSchema, type ControllerConfig } from '../../schemas/controllerConfig.js';
import { CniConfigListSchema, type CniConfigList } from '../../schemas/cniConfig.js';
import { upstreamPolicyKind, type LocatedUpstreamPolicy } from './upstreamPolicies.js';
import { groupOf, servedInstead } from './servedVersions.js';
import { checkNamespacesExist } from './namespaceLifecycle.js';
import { appendAll } from '../util/append.js';

/** The agent config, wherever it came from; for one inside a ConfigMap, the key and the text it came from. */
export type LocatedAgentConfig = LocatedConfig<AgentConfig>;

export interface Snapshot {
  nodes: Located<NodeObject>[];
  namespaces: Located<NamespaceObject>[];
  pods: Located<PodObject>[];
  services: Located<ServiceObject>[];
  agentConfigs: LocatedAgentConfig[];
  /** antrea-controller.conf: its feature gates say which upstream policy kinds the cluster enforces. */
  controllerConfigs: LocatedControllerConfig[];
  /** antrea-cni.conflist of antrea-config: which CNI plugins are chained after Antrea's (the bandwidth plugin). */
  cniConfigs: LocatedConfig<CniConfigList>[];
  /** policy.networking.k8s.io objects: never compiled; the model refuses or skips them by the controller's gates. */
  upstreamPolicies: LocatedUpstreamPolicy[];
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
  /** crd.antrea.io/v1alpha2 TrafficControl, either shape; those here passed rules/trafficControlShape.ts. */
  trafficControls: Located<TrafficControlObject>[];
  egresses: Located<EgressObject>[];
  externalIPPools: Located<ExternalIPPoolObject>[];
}

export interface IngestResult {
  snapshot: Snapshot;
  diagnostics: Diagnostic[];
}

type Collection = Exclude<keyof Snapshot, 'agentConfigs' | 'controllerConfigs' | 'cniConfigs' | 'upstreamPolicies'>;

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
  { apiVersion: 'crd.antrea.io/v1alpha2', kind: 'TrafficControl', schema: TrafficControlSchema, into: 'trafficControls' },
  { apiVersion: 'crd.antrea.io/v1beta1', kind: 'Egress', schema: EgressSchema, into: 'egresses' },
  { apiVersion: 'crd.antrea.io/v1beta1', kind: 'ExternalIPPool', schema: ExternalIPPoolSchema, into: 'externalIPPools' },
];

/** Kinds dpc knows but does not compile yet: refusing them beats silently ignoring a policy. */
const NOT_COMPILED: readonly { group: string; kinds: readonly string[] }[] = [
];

const KIND_INDEX = new Map(KINDS.map((k) => [`${k.apiVersion} ${k.kind}`, k]));

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

function readEmbeddedAgentConfig(cm: Located<ConfigMapObject>, out: IngestResult): void {
  const config = readEmbeddedConfig<AgentConfig>(cm, AGENT_CONFIG_KEY, AgentConfigSchema, out.diagnostics);
  if (config) out.snapshot.agentConfigs.push(config);
}

function readEmbeddedControllerConfig(cm: Located<ConfigMapObject>, out: IngestResult): void {
  const config = readEmbeddedConfig<ControllerConfig>(cm, CONTROLLER_CONFIG_KEY, ControllerConfigSchema, out.diagnostics);
  if (config) out.snapshot.controllerConfigs.push(config);
}

/** A policy.networking.k8s.io policy, kept for the model to refuse or skip; true when `value` is one. */
function readUpstreamPolicy(value: Record<string, unknown>, loc: ObjectLocation, apiVersion: string, kind: string, id: ObjectIdentity, out: IngestResult): boolean {
  const upstream = upstreamPolicyKind(apiVersion, kind);
  if (!upstream) return false;
  if (upstream.apiVersion !== apiVersion) {
    out.diagnostics.push({ severity: 'error', ...Msg.notServed(kind, apiVersion, upstream.apiVersion), object: id, field: 'apiVersion', at: { loc, field: ['apiVersion'] } });
  } else {
    out.snapshot.upstreamPolicies.push({ obj: value, loc, kind });
  }
  return true;
}

function classify(raw: RawObject, out: IngestResult, configMaps: Located<ConfigMapObject>[]): void {
  const { value, loc } = raw;
  // Before the agent's: both may hold only featureGates, and then the file name decides.
  if (isStandaloneControllerConfig(value, loc.file)) {
    const diags = validateAgainst(ControllerConfigSchema, value, loc, { kind: 'ControllerConfig' });
    if (diags.length > 0) appendAll(out.diagnostics, diags);
    else out.snapshot.controllerConfigs.push({ obj: value as ControllerConfig, loc });
    return;
  }
  if (isStandaloneAgentConfig(value)) {
    const diags = validateAgainst(AgentConfigSchema, value, loc, { kind: 'AgentConfig' });
    if (diags.length > 0) appendAll(out.diagnostics, diags);
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
  if (apiVersion === '') {
    out.diagnostics.push({ severity: 'error', ...Msg.missingApiVersion(), object: id, field: 'apiVersion', at: { loc } });
    return;
  }
  // Before the served-version check: the upstream ClusterNetworkPolicy shares its kind name with Antrea's.
  if (readUpstreamPolicy(value, loc, apiVersion, kind, id, out)) return;
  const served = servedInstead(apiVersion, kind);
  if (served) {
    out.diagnostics.push({ severity: 'error', ...Msg.notServed(kind, apiVersion, served.join(' and ')), object: id, field: 'apiVersion', at: { loc, field: ['apiVersion'] } });
    return;
  }
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
    appendAll(out.diagnostics, diags);
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
  appendAll(out.diagnostics, checkNamespacesExist(out.snapshot));
  const prior = previous ? readSnapshot(previous).snapshot : undefined;
  admitPolicies(out, prior);
  const tc = checkTrafficControls(out.snapshot.trafficControls);
  appendAll(out.diagnostics, tc.diagnostics);
  out.snapshot.trafficControls = tc.accepted;
  return out;
}

/**
 * The gates the admission rules see. Antrea's webhooks run in the controller, so its config has the last word; the
 * agent's gates stand in for a snapshot that gives no controller config.
 */
function featureGatesOf(snapshot: Snapshot): Readonly<Record<string, boolean>> {
  return { ...(snapshot.agentConfigs[0]?.obj.featureGates ?? {}), ...(snapshot.controllerConfigs[0]?.obj.featureGates ?? {}) };
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
  appendAll(out.diagnostics, result.diagnostics);
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
      controllerConfigs: [],
      cniConfigs: [],
      upstreamPolicies: [],
      inventories: [],
      trafficControls: [],
      ...emptyPolicyObjects(),
    },
    diagnostics: read.diagnostics,
  };
  const configMaps: Located<ConfigMapObject>[] = [];
  for (const raw of read.objects) classify(raw, out, configMaps);
  for (const cm of configMaps) {
    const data = cm.obj.data ?? {};
    const controller = data[CONTROLLER_CONFIG_KEY] !== undefined;
    if (controller) readEmbeddedControllerConfig(cm, out);
    if (data[CNI_CONFIG_KEY] !== undefined) {
      const cni = readEmbeddedConfig<CniConfigList>(cm, CNI_CONFIG_KEY, CniConfigListSchema, out.diagnostics);
      if (cni) out.snapshot.cniConfigs.push(cni);
    }
    // antrea-config holds both configs; one trimmed to the controller's alone still counts.
    if (data[AGENT_CONFIG_KEY] !== undefined || (cm.obj.metadata.name === ANTREA_CONFIG_MAP && !controller)) {
      readEmbeddedAgentConfig(cm, out);
    } else if (!controller) {
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
