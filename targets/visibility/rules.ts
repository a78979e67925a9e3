/**
 * visibility/rules.json: what each rule ID on this Node means (docs/design.md §3). The flow exporter and the
 * conformance runner map ct_label, reg3 and flow cookies back to policy rules through it.
 */
import type { NodePlan } from '../../compiler/plan/nodePlan.js';
import type { DataplaneConfig } from '../../compiler/model/config.js';

export function renderRulesJson(plan: NodePlan, config: DataplaneConfig): string {
  const entries = [
    ...plan.policy.rules.map((r) => ({
      id: r.id,
      policy: { type: r.policy.type, ...(r.policy.namespace ? { namespace: r.policy.namespace } : {}), name: r.policy.name },
      ...(r.ruleName ? { rule: r.ruleName } : {}),
      direction: r.direction,
      action: r.action,
      ...(r.tierName ? { tier: r.tierName, policyPriority: r.policyPriority } : {}),
      rulePosition: r.rulePosition,
      table: r.table,
      priority: r.priority,
      key: r.key,
    })),
    ...plan.policy.isolation.map((i) => ({
      id: i.id,
      policy: { type: i.policy.type, ...(i.policy.namespace ? { namespace: i.policy.namespace } : {}), name: i.policy.name },
      direction: i.direction,
      action: 'Isolate',
      table: i.direction === 'Ingress' ? 'IngressDefaultRule' : 'EgressDefaultRule',
      key: i.key,
    })),
  ].sort((a, b) => a.id - b.id);
  const doc = {
    apiVersion: 'dpc/v1alpha1',
    kind: 'FlowVisibility',
    node: plan.node.name,
    exporter: { enabled: config.flowExporter.enabled },
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
