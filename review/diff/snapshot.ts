/**
 * A side of the diff from a compile in memory: its bundles exactly as `dpc compile` would write them, and the YAML
 * position of every policy (and rule) so reports can point a reviewer at the lines that changed a verdict.
 */
import type { CompileResult } from '../../compiler/compile.js';
import type { SourceText } from '../../compiler/ingest/documents.js';
import { createPositionResolver } from '../../compiler/ingest/positions.js';
import type { BundleFiles, CompiledVersion, PolicyRef, SourcePosition } from './version.js';

export function versionFromCompile(label: string, result: CompileResult, sources: readonly SourceText[]): CompiledVersion {
  const nodes = new Map<string, BundleFiles>(result.bundles.map((b) => [b.node, b.files]));
  const model = result.model;
  const resolve = createPositionResolver(sources);
  const locate = (p: PolicyRef, direction?: string, rulePosition?: number): SourcePosition | undefined => {
    if (!model) return undefined;
    const list =
      p.type === 'K8sNetworkPolicy' ? model.k8sNetworkPolicies : p.type === 'AntreaNetworkPolicy' ? model.antreaNetworkPolicies : model.clusterNetworkPolicies;
    const found = list.find((o) => {
      const md = (o.obj as { metadata: { name: string; namespace?: string } }).metadata;
      return md.name === p.name && (p.namespace === undefined || md.namespace === p.namespace);
    });
    if (!found) return undefined;
    const field = direction && rulePosition !== undefined ? ['spec', direction === 'Ingress' ? 'ingress' : 'egress', rulePosition] : undefined;
    const pos = resolve({ loc: found.loc, ...(field ? { field } : {}) });
    return { file: pos.file, line: pos.line, col: pos.col };
  };
  return { label, nodes, locate };
}
