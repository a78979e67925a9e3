/**
 * The controller config, normalized to its feature gates (Antrea's defaults filled in), and what they decide here:
 * whether the cluster enforces the upstream policy kinds (ingest/upstreamPolicies.ts), which dpc does not compile.
 * A kind the cluster enforces is refused, never skipped: a review that leaves out an enforced policy is wrong.
 */
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { Msg } from '../diagnostics/messages.js';
import { configSource } from './configSource.js';
import type { LocatedControllerConfig } from '../ingest/embeddedConfig.js';
import { UPSTREAM_POLICIES, type LocatedUpstreamPolicy } from '../ingest/upstreamPolicies.js';

/** Antrea's controller feature gates and their defaults (pkg/features/antrea_features.go, ControllerGates). */
const CONTROLLER_GATE_DEFAULTS: Readonly<Record<string, boolean>> = {
  AdminNetworkPolicy: false,
  AntreaIPAM: false,
  AntreaPolicy: true,
  ClusterNetworkPolicy: false,
  Egress: true,
  IPsecCertAuth: false,
  L7NetworkPolicy: false,
  Multicast: true,
  Multicluster: false,
  NetworkPolicyStats: true,
  NodeIPAM: true,
  ServiceExternalIP: false,
  SupportBundleCollection: false,
  Traceflow: true,
};

export interface ControllerSettings {
  /** Every controller gate, effective value. */
  gates: Readonly<Record<string, boolean>>;
  /** Whether the snapshot gave a controller config (else `gates` are Antrea's defaults). */
  given: boolean;
}

export function normalizeControllerConfig(sources: readonly LocatedControllerConfig[]): { settings: ControllerSettings; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const { first, objectRef: object, at } = configSource(sources, 'ControllerConfig', Msg.duplicateControllerConfig(), 'first controller config is here', diagnostics);
  const gates: Record<string, boolean> = { ...CONTROLLER_GATE_DEFAULTS };
  for (const [gate, on] of Object.entries(first?.obj.featureGates ?? {})) {
    if (!(gate in CONTROLLER_GATE_DEFAULTS)) {
      diagnostics.push({ severity: 'warning', ...Msg.unknownFeatureGate(gate), object, field: `featureGates.${gate}`, at: at('featureGates') });
    }
    gates[gate] = on;
  }
  // The upstream kinds are translated into Antrea-native policies: the controller refuses to start without
  // AntreaPolicy (cmd/antrea-controller/options.go validate).
  for (const gate of ['ClusterNetworkPolicy', 'AdminNetworkPolicy']) {
    if (gates[gate] && !gates['AntreaPolicy']) {
      diagnostics.push({ severity: 'error', ...Msg.gateNeedsAntreaPolicy(gate), object, field: `featureGates.${gate}`, at: at('featureGates') });
    }
  }
  return { settings: { gates, given: first !== undefined }, diagnostics };
}

/** Each upstream policy: an error when the controller enforces its kind, else a warning that it is skipped. */
export function checkUpstreamPolicies(policies: readonly LocatedUpstreamPolicy[], controller: ControllerSettings): Diagnostic[] {
  return policies.map(({ obj, loc, kind }) => {
    const gate = UPSTREAM_POLICIES[kind]!.gate;
    const meta = (typeof obj['metadata'] === 'object' && obj['metadata'] !== null ? obj['metadata'] : {}) as Record<string, unknown>;
    const object = { kind, ...(typeof meta['name'] === 'string' ? { name: meta['name'] } : {}) };
    return controller.gates[gate]
      ? { severity: 'error' as const, ...Msg.upstreamPolicyEnforced(kind, gate), object, at: { loc } }
      : { severity: 'warning' as const, ...Msg.upstreamPolicySkipped(kind, gate, controller.given), object, at: { loc } };
  });
}
