/**
 * Every artifact kind the runtime applies, in apply order: what others reference comes first (ipsets before the
 * iptables rules that match them, OVSDB ports and table names before the flows that use them); each kind's
 * finish step (removing what is no longer referenced) runs afterwards in reverse order.
 */
import type { ArtifactKind } from './kind.js';
import { iptablesKind } from './iptables.js';
import { netKind } from './net.js';
import { ipsetKind } from './ipset.js';
import { openflowKind } from './openflow.js';
import { ovsdbKind } from './ovsdb.js';

export const KINDS: readonly ArtifactKind[] = [ipsetKind, ovsdbKind, openflowKind, iptablesKind, netKind];
