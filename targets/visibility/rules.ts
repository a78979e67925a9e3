/**
 * visibility/rules.json: what each rule ID on this Node means (docs/design.md §3). The flow exporter and the
 * conformance runner map ct_label, reg3 and flow cookies back to policy rules through it.
 */
import type { NodePlan } from '../../compiler/plan/nodePlan.js';
import type { DataplaneConfig } from '../../compiler/model/config.js';
import type { PolicyRef } from '../../compiler/resolve/types.js';

const policyRef = (p: PolicyRef) => ({ type: p.type, ...(p.namespace ? { namespace: p.namespace } : {}), name: p.name });

/**
 * Identical rules share one ID (compiler/allocate/sharedRules.ts): the entry lists the keys of the others (policy
 * type, namespace, name, direction, rule), kept short because ten thousand policies may share one rule.
 */
const shared = (others: readonly { key: string }[]) => (others.length === 0 ? {} : { sharedWith: others.map((o) => o.key) });

/**
 * An entry's text is the same on every Node: rendered once per compile when a cache (owned by the compile) is
 * given, keyed by the allocated rule every Node's plan shares.
 */
function entryText(item: object, cache: WeakMap<object, string> | undefined, make: () => object): string {
  let text = cache?.get(item);
  if (text === undefined) {
    text = JSON.stringify(make());
    cache?.set(item, text);
  }
  return text;
}

export function renderRulesJson(plan: NodePlan, config: DataplaneConfig, cache?: WeakMap<object, string>): string {
  const entries = [
    ...plan.policy.rules.map((r) => ({
      id: r.id,
      text: entryText(r, cache, () => ({
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
        ...shared(r.sharedWith),
      })),
    })),
    ...plan.policy.isolation.map((i) => ({
      id: i.id,
      text: entryText(i, cache, () => ({
        id: i.id,
        policy: policyRef(i.policy),
        direction: i.direction,
        action: 'Isolate',
        table: i.direction === 'Ingress' ? 'IngressDefaultRule' : 'EgressDefaultRule',
        key: i.key,
        ...shared(i.sharedWith),
      })),
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
        ? `  "rules": [${entries.length === 0 ? '' : `\n${entries.map((e) => `    ${e.text}`).join(',\n')}\n  `}]`
        : `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`,
    )
    .join(',\n')}\n}\n`;
}
