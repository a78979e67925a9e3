/**
 * Pod bandwidth annotations → what the CNI bandwidth plugin (containernetworking/plugins plugins/meta/bandwidth)
 * would shape, in the plugin's own units. Node-independent: the Pod's Node and host-side interface come later.
 *
 * The numbers follow the chain a Pod's annotation really takes. containerd's CRI plugin (toCNIBandWidth) passes
 * the rate as Quantity.Value() bits per second and always a burst of math.MaxUint32 bits, since the annotations
 * have no burst. The plugin turns both into bytes (integer division by 8) and builds a tbf whose queue limit is
 * what the rate sends in its fixed 25 ms latency plus the burst, all in uint32 as Go's amd64 conversions leave it.
 */
import type { ClusterModel, PodInfo } from '../model/model.js';

/** containerd's burst for an annotated rate: math.MaxUint32 bits. */
export const RUNTIME_BURST_BITS = 4_294_967_295n;
/** The plugin's tbf latency (ifb_creator.go latencyInMillis). */
const LATENCY_MS = 25n;
const UINT32 = 1n << 32n;

/** One tbf as the plugin configures it; bytes per second and bytes. */
export interface TbfShape {
  readonly rateBytes: bigint;
  readonly burstBytes: bigint;
  readonly limitBytes: bigint;
}

export interface PodBandwidthIntent {
  readonly pod: PodInfo;
  /** Traffic to the Pod: tbf on its host-side interface. */
  readonly ingress?: TbfShape;
  /** Traffic from the Pod: redirected to an ifb device, shaped there. */
  readonly egress?: TbfShape;
}

/**
 * The plugin's createTBF arithmetic. limit = uint32(rate·latency/1s) + burst: the product is exact in float64 below
 * 2^53, and rate/40 is never within float rounding of an integer it is not, so integer division gives Go's result;
 * the conversion to uint32 and the sum wrap modulo 2^32 as they do on amd64.
 */
export function tbfShape(rateBits: bigint, burstBits: bigint = RUNTIME_BURST_BITS): TbfShape {
  const rateBytes = rateBits / 8n;
  const burstBytes = (burstBits / 8n) % UINT32;
  const latencyBytes = ((rateBytes * LATENCY_MS) / 1000n) % UINT32;
  return { rateBytes, burstBytes, limitBytes: (latencyBytes + burstBytes) % UINT32 };
}

/**
 * Every Pod the plugin would shape, by Node name, in Pod key order; none when antrea-cni.conflist does not chain it
 * (the model warned).
 */
export function resolvePodBandwidth(model: ClusterModel): ReadonlyMap<string, readonly PodBandwidthIntent[]> {
  const out = new Map<string, PodBandwidthIntent[]>();
  if (!model.cni.bandwidth) return out;
  for (const pod of model.pods) {
    if (!pod.bandwidth || pod.hostNetwork) continue;
    const list = out.get(pod.nodeName) ?? [];
    out.set(pod.nodeName, list);
    list.push({
      pod,
      ...(pod.bandwidth.ingress !== undefined ? { ingress: tbfShape(pod.bandwidth.ingress) } : {}),
      ...(pod.bandwidth.egress !== undefined ? { egress: tbfShape(pod.bandwidth.egress) } : {}),
    });
  }
  return out;
}
