/**
 * The single entry point: sources in, bundles out. Pure — no clock, no environment, no file system — so the
 * same snapshot gives byte-identical bundles wherever and whenever it is compiled.
 */
import { createHash } from 'node:crypto';
import { hasErrors, sortDiagnostics, type Diagnostic } from './diagnostics/diagnostic.js';
import { Msg } from './diagnostics/messages.js';
import type { SourceText } from './ingest/documents.js';
import { ingest, type Snapshot } from './ingest/ingest.js';
import { resolvePositions } from './ingest/positions.js';
import { buildModel, type ClusterModel } from './model/model.js';
import { allocateNodePorts } from './allocate/ports.js';
import { computeTableMap } from './allocate/pipeline.js';
import { allocatePolicyRules } from './allocate/policyRules.js';
import { createPlanCache, planNode, releasePlanCache, type NodePlan } from './plan/nodePlan.js';
import { createSharedFlows } from './plan/podConnectivity.js';
import { indexPoliciesByNode, lastUses } from './plan/policyIndex.js';
import { resolvePolicies } from './resolve/policies.js';
import { resolveTrafficControls } from './resolve/trafficControl.js';
import { allocateTrafficControlPorts, collectTrafficControlPorts } from './allocate/trafficControlPorts.js';
import { summarizeTrafficControl, trafficControlOverlaps, type TrafficControlNodeSummary } from './plan/trafficControl.js';
import { egressReport, resolveEgress, type EgressReport, type ResolvedEgress } from './resolve/egress.js';
import { resolveFlowExporter } from './resolve/flowExporter.js';
import { resolvePodBandwidth } from './resolve/podBandwidth.js';
import { buildNodeBundle, createBundleCache, releaseBundleCache, type NodeBundle } from '../targets/bundle/bundle.js';
import { deepFreeze } from './util/deepFreeze.js';
import { DPC_VERSION } from './version.js';
import { notCompiledFeatures } from './model/notCompiled.js';
import { canonicalJson } from './util/canonicalJson.js';
import { appendAll } from './util/append.js';

export interface CompileOptions {
  /** Compile only these Nodes (all when empty or absent). */
  nodes?: readonly string[];
  /**
   * Compile only shard `index` (1..count) of the Nodes: every count-th Node in name order, starting at the index-th.
   * The shards' outputs merge (cli/merge.ts) into exactly the unsharded output; the manifest records the shard.
   */
  shard?: { index: number; count: number };
  /** Run every check compile runs (ingest, model, resolve, allocate), then stop before planning and rendering. */
  validateOnly?: boolean;
  /** The snapshot this one replaces, for rules Antrea enforces only on update (docs/design.md §3a `--previous`). */
  previous?: readonly SourceText[];
  /**
   * Freeze every plan record as soon as it is made (tests): a renderer or another Node's plan that tried to
   * change a shared record would throw instead of silently changing someone else's output.
   */
  freezePlans?: boolean;
  /** Keep each Node's plan in the result (tests and review tools); by default plans are dropped once rendered. */
  keepPlans?: boolean;
  /**
   * Receives each Node's bundle as soon as it is rendered, in Node name order, so the caller can write it and let
   * it go: the result's bundles then keep their names, counts and digests but not their files, and memory never
   * holds every bundle's text at once.
   */
  onBundle?: (bundle: NodeBundle) => void;
  /** Told where the compile is: the phase, and during planning the Nodes done of the total. */
  onProgress?: (progress: CompileProgress) => void;
}

export interface CompileProgress {
  phase: 'parse' | 'resolve' | 'plan';
  done?: number;
  total?: number;
}

export interface CompileResult {
  ok: boolean;
  /** Sorted by file position, with positions resolved. */
  diagnostics: Diagnostic[];
  /** Sorted by Node name; empty unless ok. With `onBundle`, without their files (the callback had them). */
  bundles: NodeBundle[];
  /** manifest.json content; empty unless ok. */
  manifest: string;
  model?: ClusterModel;
  /** Per compiled Node, what each TrafficControl captures there (only with the TrafficControl gate on). */
  trafficControl?: { node: string; trafficControls: TrafficControlNodeSummary[]; overlaps: { egress: string; ingress: string }[] }[];
  /** Where each Egress leaves from, or why it cannot; absent when the snapshot has no Egress or pool. */
  egress?: EgressReport;
  /** Each compiled Node's plan, when `keepPlans` was asked for. */
  plans?: NodePlan[];
  stats: { objects: number; nodes: number; pods: number };
}

/** Order-independent digest of the input: each object's canonical JSON, sorted. */
function snapshotDigest(snapshot: Snapshot): string {
  const all = Object.values(snapshot)
    .flat()
    .map((s) => canonicalJson((s as { obj: unknown }).obj))
    .sort();
  const h = createHash('sha256');
  for (const s of all) h.update(s).update('\n');
  return h.digest('hex');
}

function finish(sources: readonly SourceText[], diags: Diagnostic[]): Diagnostic[] {
  return sortDiagnostics(resolvePositions(diags, sources));
}

export function compile(sources: readonly SourceText[], options: CompileOptions = {}): CompileResult {
  const progress = options.onProgress ?? (() => {});
  progress({ phase: 'parse' });
  // The parsed objects are dropped once digested, before planning (below); a local naming them would keep them alive.
  const ingested: { snapshot?: Snapshot; diagnostics: Diagnostic[] } = ingest(sources, options.previous);
  const { diagnostics } = ingested;
  const objects = Object.values(ingested.snapshot!).reduce((n, list) => n + list.length, 0);
  const { model, diagnostics: modelDiags } = buildModel(ingested.snapshot!);
  appendAll(diagnostics, modelDiags);
  if (objects === 0 && !hasErrors(diagnostics)) diagnostics.push({ severity: 'error', ...Msg.noInput() });
  const stats = { objects, nodes: model.nodes.length, pods: model.pods.length };
  const wanted = options.nodes && options.nodes.length > 0 ? new Set(options.nodes) : undefined;
  for (const name of wanted ?? []) {
    if (!model.nodeByName.has(name)) diagnostics.push({ severity: 'error', ...Msg.nodeNotInSnapshot(name) });
  }
  const skipped = notCompiledFeatures(model.config.features);
  if (skipped.length > 0) diagnostics.push({ severity: 'warning', ...Msg.featureNotCompiled(skipped.join('; ')) });
  // Before validate stops: two TrafficControls configuring one port differently is an input error.
  const { ports: tcPortSet, diagnostics: tcDiags } = collectTrafficControlPorts(model.trafficControls);
  appendAll(diagnostics, tcDiags);

  if (hasErrors(diagnostics)) {
    return { ok: false, diagnostics: finish(sources, diagnostics), bundles: [], manifest: '', model, stats };
  }
  // resolve: Node-independent intents.
  progress({ phase: 'resolve' });
  const { intents, diagnostics: policyDiags } = resolvePolicies(model);
  appendAll(diagnostics, policyDiags);
  const tcEnabled = model.config.features.trafficControl;
  const tcResolved = resolveTrafficControls(model);
  const egress: ResolvedEgress = resolveEgress(model);
  appendAll(diagnostics, egress.diagnostics);
  const exporter = model.config.features.flowExporter ? resolveFlowExporter(model, egress) : undefined;
  const podBandwidth = resolvePodBandwidth(model);
  if (hasErrors(diagnostics)) {
    return { ok: false, diagnostics: finish(sources, diagnostics), bundles: [], manifest: '', model, stats };
  }
  // allocate: rule IDs, tables and priorities, table IDs; each Node's ports.
  const { allocated, diagnostics: allocDiags } = allocatePolicyRules(intents);
  appendAll(diagnostics, allocDiags);
  const shard = options.shard;
  const nodePorts = model.nodes
    .filter((node, i) => (!wanted || wanted.has(node.name)) && (!shard || i % shard.count === shard.index - 1))
    .map((node) => {
      const own = allocateNodePorts(model, node);
      const tcPorts = tcEnabled ? allocateTrafficControlPorts(model, node, tcPortSet, own.ports) : undefined;
      return { node, ports: own.ports, tcPorts, diagnostics: [...own.diagnostics, ...(tcPorts?.diagnostics ?? [])] };
    });
  for (const n of nodePorts) appendAll(diagnostics, n.diagnostics);
  // validate stops here, after the last stage that can refuse input: planning and rendering never do.
  if (hasErrors(diagnostics) || options.validateOnly) {
    return { ok: !hasErrors(diagnostics), diagnostics: finish(sources, diagnostics), bundles: [], manifest: '', model, stats };
  }
  const inputDigest = snapshotDigest(ingested.snapshot!);
  delete ingested.snapshot;
  const tables = computeTableMap(model.config.features);
  // plan and render, one Node at a time: a plan's records are garbage as soon as its text exists.
  const freeze = options.freezePlans ? deepFreeze : <T>(x: T) => x;
  const policiesByNode = freeze(indexPoliciesByNode(allocated));
  const shared = freeze(createSharedFlows(model));
  const planCache = createPlanCache();
  const bundleCache = createBundleCache();
  const ended = lastUses(nodePorts.map((n) => n.node.name), policiesByNode);
  const bundles: NodeBundle[] = [];
  const tcSummary: NonNullable<CompileResult['trafficControl']> = [];
  const plans: NodePlan[] = [];
  const NO_FILES: ReadonlyMap<string, string> = new Map();
  progress({ phase: 'plan', done: 0, total: nodePorts.length });
  for (const { node, ports, tcPorts } of nodePorts) {
    const tc = tcPorts ? { resolved: tcResolved, portSet: tcPortSet, ports: tcPorts.ports } : undefined;
    const plan: NodePlan = freeze(planNode(model, node, ports, tables, policiesByNode.get(node.name), shared, planCache, egress, tc, exporter, podBandwidth.get(node.name)));
    const bundle = buildNodeBundle(plan, model.config, bundleCache);
    const endedHere = ended.get(node.name);
    if (endedHere) {
      releasePlanCache(planCache, endedHere);
      releaseBundleCache(bundleCache, endedHere);
    }
    if (options.onBundle) {
      options.onBundle(bundle);
      bundles.push({ ...bundle, files: NO_FILES });
    } else bundles.push(bundle);
    progress({ phase: 'plan', done: bundles.length, total: nodePorts.length });
    if (options.keepPlans) plans.push(plan);
    if (tcEnabled) {
      const trafficControls = summarizeTrafficControl(node.name, tcResolved, tcPortSet);
      tcSummary.push({ node: node.name, trafficControls, overlaps: trafficControlOverlaps(trafficControls) });
    }
  }
  const finalDiags = finish(sources, diagnostics);
  const report = model.egresses.length + model.externalIPPools.size > 0 ? egressReport(egress) : undefined;
  const manifest = {
    apiVersion: 'dpc/v1alpha1',
    kind: 'Manifest',
    dpcVersion: DPC_VERSION,
    snapshotDigest: `sha256:${inputDigest}`,
    ...(shard ? { shard: { index: shard.index, count: shard.count } } : {}),
    nodes: Object.fromEntries(bundles.map((b) => [b.node, { digest: `sha256:${b.digest}`, flows: b.flowCount, pods: b.podCount }])),
    ...(report ? { egress: report } : {}),
    diagnostics: finalDiags,
  };
  return {
    ok: true,
    diagnostics: finalDiags,
    bundles,
    manifest: `${JSON.stringify(manifest, null, 2)}\n`,
    model,
    stats,
    ...(tcEnabled ? { trafficControl: tcSummary } : {}),
    ...(options.keepPlans ? { plans } : {}),
    ...(report ? { egress: report } : {}),
  };
}
