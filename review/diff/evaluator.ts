/**
 * The connectivity diff's view of the bundle interpreter (review/explain): one packet per probe, its verdict,
 * and the rules whose flows decided it.
 */
import type { Evaluator } from './connectivity.js';
import type { CompiledVersion } from './version.js';

export function interpreterEvaluators(_old: CompiledVersion, _new: CompiledVersion): { old: Evaluator; new: Evaluator } | undefined {
  return undefined;
}
