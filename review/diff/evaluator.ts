/**
 * The connectivity diff's view of the bundle interpreter (review/explain): one packet per probe walked through a
 * side's own bundles, allowed when it reaches its destination, with the rules whose flows decided.
 */
import { loadBundles, tracePacket, ExplainError, type Bundles, type Trace, type PacketSpec } from '../explain/trace.js';
import type { Decision, Evaluator, Probe } from './connectivity.js';
import type { Endpoint } from './endpoints.js';
import type { BundleFiles, CompiledVersion } from './version.js';

const spec = (e: Endpoint): PacketSpec['from'] => (e.kind === 'Pod' ? { pod: `${e.namespace}/${e.name}` } : { ip: e.ip });

/** Reached: delivered to the destination Pod, or, for an external destination, out of the cluster (or to a host). */
function reached(t: Trace, dst: Endpoint): boolean {
  const v = t.verdict;
  if (dst.kind === 'Pod') return v.kind === 'delivered' && v.pod === `${dst.namespace}/${dst.name}`;
  return v.kind === 'external' || v.kind === 'host';
}

/** The deciding rule first (a drop's rule), then every rule whose conjunction the packet matched. */
function decidingRules(t: Trace): number[] {
  const ids: number[] = [];
  if (t.verdict.origin?.ruleId) ids.push(t.verdict.origin.ruleId);
  for (const n of t.nodes) {
    for (const h of n.hops) {
      const id = h.origin?.ruleId;
      if (id && h.origin?.category === 'policy' && (h.detail?.startsWith('conjunction') || h.flow?.includes('actions=drop')) && !ids.includes(id)) ids.push(id);
    }
  }
  return ids;
}

function evaluatorOf(bundles: Bundles): Evaluator {
  return {
    decide(src: Endpoint, dst: Endpoint, probe: Probe): Decision {
      const packet: PacketSpec = {
        from: spec(src),
        to: spec(dst),
        protocol: probe.protocol,
        ...(probe.port !== undefined ? { port: probe.port } : {}),
        // Traffic from outside reaches a Pod through the Pod's own Node (its uplink, then its gateway).
        ...(src.kind === 'External' && dst.node ? { node: dst.node } : {}),
      };
      try {
        const t = tracePacket(bundles, packet);
        const allowed = reached(t, dst);
        return { allowed, ruleIds: decidingRules(t) };
      } catch (e) {
        if (e instanceof ExplainError) return { allowed: false, ruleIds: [] };
        throw e;
      }
    },
  };
}

export function bundleEvaluator(version: CompiledVersion): Evaluator {
  return evaluatorOf(loadBundles(version.nodes));
}

const sameFiles = (a: BundleFiles | undefined, b: BundleFiles | undefined): boolean =>
  !!a && !!b && a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

/**
 * Both sides' evaluators. A Node whose bundle is the same on both sides is read (and its flows parsed) once: the
 * new side walks the old side's view of it, which is the same text.
 */
export function interpreterEvaluators(oldV: CompiledVersion, newV: CompiledVersion): { old: Evaluator; new: Evaluator } {
  const oldB = loadBundles(oldV.nodes);
  const fresh = loadBundles(newV.nodes);
  const nodes = new Map([...fresh.nodes].map(([n, view]) => [n, sameFiles(oldV.nodes.get(n), newV.nodes.get(n)) ? oldB.nodes.get(n)! : view]));
  const byIP = new Map([...nodes.values()].map((v) => [v.meta.node.internalIP, v]));
  const newB: Bundles = { ...fresh, nodes, byIP };
  return { old: evaluatorOf(oldB), new: evaluatorOf(newB) };
}
