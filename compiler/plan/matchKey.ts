/**
 * Two matches are the same flow to OVS exactly when OVS spells them the same, so the canonical spelling is
 * also the key for merging and uniqueness checks.
 */
import { spellMatch } from '../../targets/openflow/spelling.js';
import type { Match } from './flow.js';

export function matchKey(m: Match): string {
  return spellMatch(m);
}
