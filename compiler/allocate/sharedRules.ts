/**
 * Identical rules compiled once (docs/design.md §8): rules with the same appliedTo Pods, peers, services, action,
 * logging and place in the priority order (table and priority) would install the same flows under different IDs, so
 * they share one conjunction. Likewise K8s isolations of the same Pods in the same direction share one ID. The
 * rule with the smallest key stands for its group (its ID, its origin); the others are listed beside it, so
 * visibility/rules.json still names every policy and rule an ID stands for.
 *
 * Sets are compared by content, but a set is read once per distinct array: resolution hands out one array per
 * selector (resolve/selection.ts), so ten thousand policies selecting the same Pods cost one comparison key.
 */
import type { PodInfo } from '../model/model.js';
import type { Cidr } from '../net/ip.js';
import { serviceKey } from '../resolve/services.js';
import type { IsolationIntent, RuleIntent } from '../resolve/types.js';

/** Numbers the distinct contents of arrays; an array already seen costs a map lookup. */
export class SetNumbers<T> {
  private readonly byArray = new Map<readonly T[], number>();
  private readonly byContent = new Map<string, number>();
  constructor(private readonly keyOf: (item: T) => string) {}
  of(items: readonly T[]): number {
    let n = this.byArray.get(items);
    if (n !== undefined) return n;
    const content = items.map(this.keyOf).join('\n');
    n = this.byContent.get(content);
    if (n === undefined) this.byContent.set(content, (n = this.byContent.size));
    this.byArray.set(items, n);
    return n;
  }
}

export interface Group<T> {
  /** The member with the smallest key: its key gives the group's ID. */
  first: T;
  /** The other members, in key order. */
  others: T[];
}

/** Groups in the order of their first member's key; `signature` says which members are the same. */
function groupBy<T extends { key: string }>(items: readonly T[], signature: (item: T) => string): Group<T>[] {
  const sorted = [...items].sort((a, b) => (a.key < b.key ? -1 : 1));
  const groups = new Map<string, Group<T>>();
  for (const item of sorted) {
    const sig = signature(item);
    const g = groups.get(sig);
    if (g) g.others.push(item);
    else groups.set(sig, { first: item, others: [] });
  }
  return [...groups.values()];
}

const podKey = (p: PodInfo) => p.key;
/**
 * Pod sets numbered for one compile's sharing groups. Rules and isolations share one: a K8s policy's isolation and
 * its rules hold the same appliedTo array, whose Pods are then read once (at 10^5 small Namespaces, reading the Pods'
 * keys is most of the grouping's cost).
 */
export const podSetNumbers = (): SetNumbers<PodInfo> => new SetNumbers<PodInfo>(podKey);
const cidrKey = (c: Cidr) => `${c.family}/${c.base}/${c.prefix}`;

/** Sharing groups of rules already placed in a table at a priority. */
export function groupIdenticalRules<R extends RuleIntent & { table: string; priority: number }>(
  rules: readonly R[],
  pods: SetNumbers<PodInfo> = podSetNumbers(),
): Group<R>[] {
  const cidrs = new SetNumbers<Cidr>(cidrKey);
  return groupBy(rules, (r) =>
    [
      r.table,
      r.priority,
      r.direction,
      r.action,
      r.logging ? 'log' : '',
      pods.of(r.appliedTo),
      pods.of(r.peers.pods),
      cidrs.of(r.peers.cidrs),
      r.services === undefined ? '*' : r.services.map(serviceKey).join(','),
    ].join('|'),
  );
}

/** Sharing groups of K8s isolations: same direction, same Pods. */
export function groupIdenticalIsolation<I extends IsolationIntent>(
  isolation: readonly I[],
  pods: SetNumbers<PodInfo> = podSetNumbers(),
): Group<I>[] {
  return groupBy(isolation, (i) => `${i.direction}|${pods.of(i.pods)}`);
}
