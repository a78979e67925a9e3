/**
 * Pod bandwidth annotations and the CNI bandwidth plugin that honours them. The container runtime reads
 * kubernetes.io/ingress-bandwidth and kubernetes.io/egress-bandwidth as Quantities (bits per second) and refuses a
 * sandbox whose annotation does not parse or lies outside [1k, 1P] (k8s.io/kubernetes pkg/util/bandwidth
 * ExtractPodBandwidthResources, called by containerd's CRI plugin whatever the CNI config holds); the rates then
 * reach the bandwidth plugin only when antrea-cni.conflist chains it.
 */
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { Msg, type MessageText } from '../diagnostics/messages.js';
import type { LocatedConfig } from '../ingest/embeddedConfig.js';
import type { CniConfigList } from '../../schemas/cniConfig.js';
import { parseQuantity, quantityValue } from '../net/quantity.js';
import { configSource } from './configSource.js';

export const INGRESS_BANDWIDTH = 'kubernetes.io/ingress-bandwidth';
export const EGRESS_BANDWIDTH = 'kubernetes.io/egress-bandwidth';

/** Rates in bits per second, as Quantity.Value() gives them. */
export interface PodBandwidth {
  readonly ingress?: bigint;
  readonly egress?: bigint;
}

export interface CniSettings {
  /** The conflist chains the bandwidth plugin. */
  readonly bandwidth: boolean;
  /** The conflist's network name (the plugin hashes it into its ifb names). */
  readonly networkName: string;
}

const MIN_RATE = 1_000n;
const MAX_RATE = 1_000_000_000_000_000n;

function checkRate(text: string): { rate: bigint } | { problem: MessageText } {
  const q = parseQuantity(text);
  if (!q) return { problem: Msg.badPodBandwidth(text, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'") };
  const rate = quantityValue(q);
  if (rate < MIN_RATE) return { problem: Msg.badPodBandwidth(text, 'resource is unreasonably small (< 1kbit)') };
  if (rate > MAX_RATE) return { problem: Msg.badPodBandwidth(text, 'resource is unreasonably large (> 1Pbit)') };
  return { rate };
}

/**
 * The Pod's rates, or undefined when it has no bandwidth annotation. A bad annotation is reported against that
 * annotation (`report`) and the direction is left out: the runtime would never start the Pod's sandbox.
 */
export function readPodBandwidth(
  annotations: Readonly<Record<string, string>> | null | undefined,
  report: (problem: MessageText, annotation: string) => void,
): PodBandwidth | undefined {
  const out: { ingress?: bigint; egress?: bigint } = {};
  for (const [key, dir] of [[INGRESS_BANDWIDTH, 'ingress'], [EGRESS_BANDWIDTH, 'egress']] as const) {
    const text = annotations?.[key];
    if (text === undefined) continue;
    const r = checkRate(text);
    if ('problem' in r) report(r.problem, key);
    else out[dir] = r.rate;
  }
  return out.ingress === undefined && out.egress === undefined ? undefined : out;
}

/**
 * Without antrea-cni.conflist in the snapshot, the chart's default stands: `cni.plugins.bandwidth: true`
 * (build/charts/antrea/values.yaml), network name `antrea`.
 */
const DEFAULT_NETWORK_NAME = 'antrea';

export function normalizeCniConfig(sources: readonly LocatedConfig<CniConfigList>[], diagnostics: Diagnostic[]): CniSettings {
  const { first } = configSource(sources, 'CniConfigList', Msg.duplicateCniConfig(), 'first antrea-cni.conflist is here', diagnostics);
  if (!first) return { bandwidth: true, networkName: DEFAULT_NETWORK_NAME };
  return { bandwidth: first.obj.plugins.some((p) => p.type === 'bandwidth'), networkName: first.obj.name ?? DEFAULT_NETWORK_NAME };
}
