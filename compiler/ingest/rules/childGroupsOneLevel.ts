/**
 * childGroupsOneLevel: groups nest one level deep — a group that is some group's child cannot have childGroups of
 * its own (docs/reference/iptables-egress.md §6.5). Antrea refuses whichever change came last; in a snapshot, when the previous snapshot
 * already held the middle group's children and a parent's link to it is new, the new parents are refused;
 * otherwise the middle group is.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyObjects, type PolicyRule } from './context.js';
import { compareSubjects, groupViews, type GroupView } from './walk.js';

function key(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}\0${namespace ?? ''}\0${name}`;
}

function childKeys(g: GroupView): string[] {
  return (g.spec?.childGroups ?? []).map((c) => key(g.kind, g.namespace, c));
}

function previousChildren(previous: PolicyObjects | undefined): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (!previous) return out;
  for (const g of groupViews(previous)) out.set(key(g.kind, g.namespace, g.name), new Set(childKeys(g)));
  return out;
}

export const childGroupsOneLevel: PolicyRule = {
  name: 'childGroupsOneLevel',
  reference: '§6.5',
  check(ctx) {
    const out: Diagnostic[] = [];
    const live = groupViews(ctx.objects).filter((g) => !ctx.isRefused(g.src.loc));
    const byKey = new Map(live.map((g) => [key(g.kind, g.namespace, g.name), g]));
    const parents = new Map<string, GroupView[]>();
    for (const p of live) {
      for (const c of new Set(childKeys(p))) {
        if (c === key(p.kind, p.namespace, p.name)) continue; // childGroupNotSelf reports it
        const list = parents.get(c);
        if (list) list.push(p);
        else parents.set(c, [p]);
      }
    }
    const before = previousChildren(ctx.previous);
    const refusedParents = new Map<GroupView, string[]>();
    for (const [childKey, ps] of parents) {
      const mid = byKey.get(childKey);
      if (!mid || (mid.spec?.childGroups ?? []).length === 0) continue;
      ps.sort(compareSubjects);
      const midHadChildren = (before.get(childKey)?.size ?? 0) > 0;
      const newLinks = ps.filter((p) => !before.get(key(p.kind, p.namespace, p.name))?.has(childKey));
      if (midHadChildren && newLinks.length > 0) {
        for (const p of newLinks) {
          const list = refusedParents.get(p) ?? [];
          list.push(mid.name);
          refusedParents.set(p, list);
        }
      } else {
        const names = ps.map((p) => `${p.kind} ${p.name}`).join(', ');
        out.push(
          report(mid.src, mid.ref, ['spec', 'childGroups'], Msg.childGroupHasParents(names), {
            related: ps.map((p) => ({ at: { loc: p.src.loc, field: ['spec', 'childGroups'] }, message: `${p.kind} ${p.name} lists ${mid.name} here` })),
          }),
        );
      }
    }
    for (const [p, mids] of refusedParents) {
      for (const name of mids) {
        const i = (p.spec?.childGroups ?? []).indexOf(name);
        out.push(report(p.src, p.ref, ['spec', 'childGroups', i], Msg.childGroupHasChildren(`${p.kind} ${name}`)));
      }
    }
    return out;
  },
};
