/**
 * One side of a review diff: the compiled bundles of every Node (artifact path → text, as `dpc compile` writes
 * them), and, when the side was a snapshot compiled in memory, where each policy sits in its YAML. Everything the
 * diff says comes from these artifacts; the positions only point a reviewer at the lines.
 */
export type BundleFiles = ReadonlyMap<string, string>;

export interface PolicyRef {
  /** rules.json's policy type: K8sNetworkPolicy, AntreaNetworkPolicy, AntreaClusterNetworkPolicy. */
  readonly type: string;
  readonly namespace?: string;
  readonly name: string;
}

export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface CompiledVersion {
  /** How outputs name this side (netpol-analyzer's column names: dir1, dir2). */
  readonly label: string;
  readonly nodes: ReadonlyMap<string, BundleFiles>;
  /** Where a policy (and, with `rule`, one of its rules) is written, when the side came from YAML. */
  readonly locate?: (policy: PolicyRef, direction?: string, rulePosition?: number) => SourcePosition | undefined;
}

export const policyKey = (p: PolicyRef): string => `${p.type}:${p.namespace ? `${p.namespace}/` : ''}${p.name}`;
