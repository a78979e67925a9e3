/**
 * Names of the ifb devices that shape Pods' egress bandwidth. The CNI bandwidth plugin names its device `bwp` and
 * a hash of the network name and the sandbox's container ID, which a snapshot does not have. dpc names its own
 * devices `dpcbw` and 10 hex digits of a hash of the Pod's `namespace/name`: stable across compiles, at most the
 * kernel's 15 characters, and a prefix the runtime owns (it never touches a `bwp` device the plugin made).
 */
import { createHash } from 'node:crypto';
import type { PodInfo } from '../model/model.js';

export const IFB_PREFIX = 'dpcbw';

function ifbName(pod: PodInfo, salt: number): string {
  const key = salt === 0 ? `dpc/ifb/${pod.key}` : `dpc/ifb/${pod.key}#${salt}`;
  return `${IFB_PREFIX}${createHash('sha256').update(key).digest('hex').slice(0, 10)}`;
}

/** One name per Pod of a Node; `pods` sorted by key, so a collision salts the same Pod on every compile. */
export function allocateIfbNames(pods: readonly PodInfo[]): ReadonlyMap<string, string> {
  const used = new Set<string>();
  const out = new Map<string, string>();
  for (const pod of pods) {
    let salt = 0;
    let name = ifbName(pod, salt);
    while (used.has(name)) name = ifbName(pod, ++salt);
    used.add(name);
    out.set(pod.key, name);
  }
  return out;
}
