/**
 * groupSelectorsExclusive: a ClusterGroup or Group chooses its members one way only — podSelector, nodeSelector,
 * externalEntitySelector, serviceReference, ipBlock, ipBlocks or childGroups — and only namespaceSelector may be
 * added to podSelector or externalEntitySelector. A Group (namespaced) cannot select Nodes at all: its CRD has no
 * nodeSelector (docs/reference/iptables-egress.md §6.5).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { GROUP_SPEC_FIELDS, fieldsSet, groupViews } from './walk.js';

export const groupSelectorsExclusive: PolicyRule = {
  name: 'groupSelectorsExclusive',
  reference: '§6.5',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const g of groupViews(ctx.objects)) {
      if (!g.spec) continue;
      let known: readonly string[] = GROUP_SPEC_FIELDS;
      if (g.kind === 'Group') {
        known = GROUP_SPEC_FIELDS.filter((f) => f !== 'nodeSelector');
        if (g.spec.nodeSelector !== undefined) {
          out.push(report(g.src, g.ref, ['spec', 'nodeSelector'], Msg.fieldNotAllowedHere('nodeSelector', 'a Group (only ClusterGroups select Nodes)')));
        }
      }
      const set = fieldsSet(g.spec, known);
      const pairOk =
        set.length === 2 && set.includes('namespaceSelector') && (set.includes('podSelector') || set.includes('externalEntitySelector'));
      if (set.length > 2 || (set.length === 2 && !pairOk)) {
        // Point at the field that breaks the rule: the last one in the schema's order.
        out.push(report(g.src, g.ref, ['spec', set[set.length - 1]!], Msg.groupFieldsExclusive(g.kind, set.join(', '))));
      }
    }
    return out;
  },
};
