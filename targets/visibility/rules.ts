/**
 * visibility/rules.json: what each rule ID on this Node means (docs/design.md §3). The flow exporter and the
 * conformance runner map ct_label, reg3 and flow cookies back to policy rules through it.
 */
import type { NodePlan } from '../../compiler/plan/nodePlan.js';
import type { DataplaneConfig } from '../../compiler/model/config.js';
import type { IsolationIntent, PolicyRef, RuleIntent } from '../../compiler/resolve/types.js';

const policyRef = (p: PolicyRef) => ({ type: p.type, ...(p.namespace ? { namespace: p.namespace } : {}), name: p.name });

/** Where a rule sits in its policy: what names it beside its ID. */
const ruleRef = (r: RuleIntent) => ({
  policy: policyRef(r.policy),
  ...(r.ruleName ? { rule: r.ruleName } : {}),
  ...(r.tierName ? { tier: r.tierName, policyPriority: r.policyPriority } : {}),
  rulePosition: r.rulePosition,
  key: r.key,
});

/** Identical rules share one ID (compiler/allocate/sharedRules.ts): the entry lists every rule it stands for. */
const shared = <T>(others: readonly T[], ref: (o: T) => object) => (others.length === 0 ? {} : { sharedWith: others.map(ref) });

export function renderRulesJson(plan: NodePlan, config: DataplaneConfig): string {
  const entries = [
    ...plan.policy.rules.map((r) => ({
      id: r.id,
      policy: policyRef(r.policy),
      ...(r.ruleName ? { rule: r.ruleName } : {}),
      direction: r.direction,
      action: r.action,
      ...(r.tierName ? { tier: r.tierName, policyPriority: r.policyPriority } : {}),
      rulePosition: r.rulePosition,
      table: r.table,
      priority: r.priority,
      key: r.key,
      ...shared(r.sharedWith, ruleRef),
    })),
    ...plan.policy.isolation.map((i) => ({
      id: i.id,
      policy: policyRef(i.policy),
      direction: i.direction,
      action: 'Isolate',
      table: i.direction === 'Ingress' ? 'IngressDefaultRule' : 'EgressDefaultRule',
      key: i.key,
      ...shared(i.sharedWith, (o: IsolationIntent) => ({ policy: policyRef(o.policy), key: o.key })),
    })),
  ].sort((a, b) => a.id - b.id);
  const doc = {
    apiVersion: 'dpc/v1alpha1',
    kind: 'FlowVisibility',
    node: plan.node.name,
    exporter: { enabled: config.features.flowExporter },
    rules: entries,
  };
  return `{\n${Object.entries(doc)
    .map(([k, v]) =>
      k === 'rules'
        ? `  "rules": [${entries.length === 0 ? '' : `\n${entries.map((e) => `    ${JSON.stringify(e)}`).join(',\n')}\n  `}]`
        : `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`,
    )
    .join(',\n')}\n}\n`;
}
