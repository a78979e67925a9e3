/**
 * Flow families: flows many Nodes have in common, such as one per Node of the cluster (ARP answers for peer
 * gateways, routes to peer Pod CIDRs, the EgressMark bypass of every transport IP) or a rule's peer and service
 * clauses. A Node's plan names the family and the members it leaves out (its own entry, or a match another rule's
 * family holds) instead of holding ~1,000 records, so the renderer can spell and order each family once per compile
 * (targets/openflow/render.ts) and each Node only cuts out its lines. Families are built once per compile and passed
 * explicitly; `familyFlows` gives the records a Node has.
 */
import type { TableName } from '../allocate/pipeline.js';
import type { Action, Flow, Origin } from './flow.js';
import type { KeyedMatch } from './matchKey.js';

/**
 * Stands for the local Node's gateway MAC in a family member's actions: a peer route leaves the local gateway
 * with that MAC as its source, the only part of the line that differs between Nodes. Not a MAC, so it cannot
 * be mistaken for one; `familyFlows` puts the Node's MAC in its place, and so does the renderer.
 */
export const LOCAL_GATEWAY_MAC = '<local-gateway-mac>';

export interface FamilyMember {
  /** The Node the member exists for; a Node leaves out the member keyed by its own name. */
  readonly key: string;
  readonly flow: Flow;
}

/** A family given member by member. */
export interface ListedFamily {
  /** For messages only. */
  readonly name: string;
  /** Distinct keys; each member's (table, priority, match) distinct from every other member's. */
  readonly members: readonly FamilyMember[];
}

/**
 * A rule's peer and service clauses: every member has the rule's table, priority, cookie and origin, and the
 * actions of its clause; a member's key is its match's. A clause's match list is usually one many rules share (the
 * Pods a selector picks, as source or destination), so the renderer spells and orders each list once per compile,
 * not once per rule.
 */
export interface ClauseFamily {
  readonly name: string;
  readonly table: TableName;
  readonly priority: number;
  readonly cookie: bigint;
  readonly origin: Origin;
  /** No match in two clauses, none twice in one (peer clauses match addresses, service clauses L4 fields). */
  readonly clauses: readonly FamilyClause[];
}

export interface FamilyClause {
  readonly matches: readonly KeyedMatch[];
  readonly actions: readonly Action[];
}

export type FlowFamily = ListedFamily | ClauseFamily;

/** A family's members one by one (tests, tools and rare paths; the renderer reads clause families by clause). */
export function familyMembers(family: FlowFamily): readonly FamilyMember[] {
  if ('members' in family) return family.members;
  const { table, priority, cookie, origin } = family;
  return family.clauses.flatMap(({ matches, actions }) => matches.map(({ key, match }) => ({ key, flow: { table, priority, match, cookie, origin, actions } })));
}

const familySize = (family: FlowFamily): number => ('members' in family ? family.members.length : family.clauses.reduce((n, c) => n + c.matches.length, 0));

/**
 * One Node's share of a family: every member but the one keyed `without` and those in `dropped`, each member in
 * `extra` with those actions after its own. Rule families sharing a table and priority on a Node use the last
 * two: a match several rules' clauses have is one flow, the lowest rule's, with every rule's conjunction.
 */
export interface FamilyUse {
  readonly family: FlowFamily;
  readonly without?: string;
  readonly dropped?: ReadonlySet<string>;
  readonly extra?: ReadonlyMap<string, readonly Action[]>;
}

const withGatewayMac = (actions: readonly Action[], mac: string): Action[] =>
  actions.map((a) => (a.kind === 'setMac' && a.mac === LOCAL_GATEWAY_MAC ? { ...a, mac } : a));

/** The records a Node has from its families, with its gateway MAC in place (tests and tools; never the renderer). */
export function familyFlows(uses: readonly FamilyUse[], gatewayMac: string): Flow[] {
  const out: Flow[] = [];
  for (const { family, without, dropped, extra } of uses) {
    for (const m of familyMembers(family)) {
      if (m.key === without || dropped?.has(m.key)) continue;
      const more = extra?.get(m.key);
      const flow = more ? { ...m.flow, actions: [...m.flow.actions, ...more] } : m.flow;
      const holed = flow.actions.some((a) => a.kind === 'setMac' && a.mac === LOCAL_GATEWAY_MAC);
      out.push(holed ? { ...flow, actions: withGatewayMac(flow.actions, gatewayMac) } : flow);
    }
  }
  return out;
}

/** How many flows a Node's families give it. */
export const familyFlowCount = (uses: readonly FamilyUse[]): number =>
  uses.reduce(
    (n, { family, without, dropped }) =>
      n + familySize(family) - (without !== undefined && familyMembers(family).some((m) => m.key === without) ? 1 : 0) - (dropped?.size ?? 0),
    0,
  );
