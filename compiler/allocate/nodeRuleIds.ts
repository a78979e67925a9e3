/**
 * Node-policy rule IDs: 16 characters [0-9A-F], as Antrea names a rule's chain `ANTREA-POL-<ID>` and its ipsets
 * `ANTREA-POL-<ID>-4` / `-6` (27 and 29 characters: within iptables' 28 and ipset's 31). Antrea hashes the
 * agent's internal rule, which depends on controller-internal names; dpc hashes the rule's stable key (policy,
 * direction, rule name), so an ID is the same on every Node and survives changes to anything else, the rule's own
 * peers included. Collisions (64 bits) are resolved in key order, so neither input order nor unrelated rules move an ID.
 */
import { createHash } from 'node:crypto';
import type { NodeRuleIntent } from '../resolve/nodePolicy.js';

const hex16 = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16).toUpperCase();

export function allocateNodeRuleIds(keys: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const key of [...new Set(keys)].sort()) {
    let id = hex16(key);
    for (let salt = 1; taken.has(id); salt++) id = hex16(`${key}\0${salt}`);
    taken.add(id);
    out.set(key, id);
  }
  return out;
}

export const nodeRuleChain = (id: string): string => `ANTREA-POL-${id}`;
export const nodeRuleIpset = (id: string, family: 4 | 6): string => `ANTREA-POL-${id}-${family}`;

export interface AllocatedNodeRule extends NodeRuleIntent {
  /** 16 characters [0-9A-F]: the rule's chain and ipset names. */
  readonly id: string;
}

/** Chain order (reference §1.4): tier priority, policy priority, rule position; ties by policy name, then key. */
function compareNodeRules(a: NodeRuleIntent, b: NodeRuleIntent): number {
  return (
    a.tierPriority - b.tierPriority ||
    a.policyPriority - b.policyPriority ||
    a.rulePosition - b.rulePosition ||
    (a.policy.name < b.policy.name ? -1 : a.policy.name > b.policy.name ? 1 : 0) ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  );
}

/** Node rules with their IDs, sorted in the order their lines take in a chain. */
export function allocateNodeRules(intents: readonly NodeRuleIntent[]): AllocatedNodeRule[] {
  const ids = allocateNodeRuleIds(intents.map((r) => r.key));
  return [...intents].sort(compareNodeRules).map((r) => ({ ...r, id: ids.get(r.key)! }));
}
