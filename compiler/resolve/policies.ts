/**
 * All policies of the snapshot → Node-independent intents (what each rule means, with selectors resolved to
 * Pods and addresses). IDs, tables and priorities are allocate's business.
 */
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { Msg } from '../diagnostics/messages.js';
import { effectiveTier, type ClusterModel } from '../model/model.js';
import { resolveAntreaPolicy, type AntreaPolicyInput } from './antreaPolicy.js';
import { resolveK8sNetworkPolicy } from './k8sNetworkPolicy.js';
import { createSelection } from './selection.js';
import type { PolicyIntents } from './types.js';
import { resolveNodePolicies } from './nodePolicy.js';
import { specAppliesToNodes } from '../ingest/rules/walk.js';

export function resolvePolicies(model: ClusterModel): { intents: PolicyIntents; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const sel = createSelection(model);
  const intents: PolicyIntents = { rules: [], isolation: [] };
  // ClusterNetworkPolicies applied to Nodes are Node policies (iptables on the host), resolved on their own.
  const selectsNodes = (name: string): boolean => !!model.clusterGroups.get(name)?.obj.spec?.nodeSelector;
  const nodeInputs: Parameters<typeof resolveNodePolicies>[2][number][] = [];
  for (const np of model.k8sNetworkPolicies) resolveK8sNetworkPolicy(np, sel, intents);

  const antrea: AntreaPolicyInput[] = [
    ...model.clusterNetworkPolicies.map((p) => ({ kind: 'ClusterNetworkPolicy' as const, name: p.obj.metadata.name, uid: p.obj.metadata.uid, spec: p.obj.spec, loc: p.loc })),
    ...model.antreaNetworkPolicies.map((p) => ({
      kind: 'NetworkPolicy' as const,
      namespace: p.obj.metadata.namespace ?? 'default',
      name: p.obj.metadata.name,
      uid: p.obj.metadata.uid,
      spec: p.obj.spec,
      loc: p.loc,
    })),
  ];
  for (const p of antrea) {
    const object = { kind: p.kind, namespace: p.namespace, name: p.name };
    if (!model.config.features.antreaPolicy) {
      diagnostics.push({ severity: 'error', ...Msg.antreaPolicyDisabled(), object, at: { loc: p.loc } });
      continue;
    }
    const tier = effectiveTier(model, p.spec.tier);
    if (tier.priority === undefined) {
      diagnostics.push({ severity: 'error', ...Msg.unknownTier(tier.name), object, field: 'spec.tier', at: { loc: p.loc, field: ['spec', 'tier'] } });
      continue;
    }
    const input: AntreaPolicyInput = { ...p };
    if (!p.uid) delete input.uid;
    if (p.kind === 'ClusterNetworkPolicy' && specAppliesToNodes(p.spec, selectsNodes)) {
      nodeInputs.push({ input, tierPriority: tier.priority, tierName: tier.name });
      continue;
    }
    resolveAntreaPolicy(model, sel, input, tier.priority, tier.name, intents, diagnostics);
  }
  intents.nodeRules = resolveNodePolicies(model, sel, nodeInputs, diagnostics);
  return { intents, diagnostics };
}
