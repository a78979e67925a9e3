/**
 * Per-Node NetworkPolicy flows (docs/reference/ovs-pipeline.md §3): conjunctive matches (from, to, service clauses
 * numbered by presence), one action flow per rule, metric flows, K8s isolation drops, the established bypass,
 * and the Reject/logging path through groups and the controller.
 */
import type { NodePorts } from '../allocate/ports.js';
import { ESTABLISHED_BYPASS_PRIORITY, K8sRulePriority } from '../allocate/priorities.js';
import type { AllocatedIsolation, AllocatedRule } from '../allocate/policyRules.js';
import type { ClusterModel, NodeInfo, PodInfo } from '../model/model.js';
import { hostCidr, type Cidr } from '../net/ip.js';
import type { Direction, ServiceMatch } from '../resolve/types.js';
import {
  APConjIDField,
  APDispositionField,
  Disposition,
  APDenyRegMark,
  EgressRuleCTLabelField,
  IngressRuleCTLabelField,
  OutputToControllerRegMark,
  PacketInOperationField,
  PacketInTableField,
  Priority,
  TargetOFPortField,
  TFEgressConjIDField,
  TFIngressConjIDField,
  CtZone,
} from './fields.js';
import { bitsValue, CookieCategory, cookie, DROP, goto, loadField, loadMark, regMatch, setBits, type Action, type Flow, type Match, type Origin, type Proto } from './flow.js';
import { keyed, type KeyedMatch } from './matchKey.js';
import { tableId, type TableMap, type TableName } from '../allocate/pipeline.js';
import { portRangeMasks } from './portRange.js';
import { NO_POLICIES, type LastUses, type NodePolicies, type NodeRule } from './policyIndex.js';
import { PacketInMeter } from './meters.js';
import { appendAll } from '../util/append.js';
import type { ClauseFamily, FamilyUse } from './family.js';

/** Packet-in operations carried in PacketInOperationField (packetin.go). */
export const PacketInOp = { log: 0b1, reject: 0b10, storeDeny: 0b100 } as const;

/** Groups that fork a packet to the controller and on to a table (Antrea's initGroups). */
export const POLICY_GROUPS: readonly { id: number; next: TableName }[] = [
  { id: 1, next: 'EgressRule' },
  { id: 2, next: 'EgressMetric' },
  { id: 3, next: 'IngressRule' },
  { id: 4, next: 'IngressMetric' },
];
export const PACKET_IN_METER = PacketInMeter.networkPolicy;
/** The controller connection the runtime answers packet-ins on. */
export const CONTROLLER_ID = 1;
/** Userdata category byte for NetworkPolicy packet-ins. */
const PACKET_IN_CATEGORY_NP = '01';

export interface GroupPlan {
  readonly id: number;
  readonly buckets: readonly (readonly Action[])[];
  readonly origin: Origin;
}

export interface PolicyPlan {
  flows: Flow[];
  /** The peer and service clause flows of the Node's rules (RuleClauses.clauseFamily), merged where rules share a match. */
  flowFamilies: FamilyUse[];
  /** Each of the Node's rules' action and metric flows: one list per rule, the same on every Node (RuleClauses.ruleFlows). */
  ruleFlows: (readonly Flow[])[];
  groups: GroupPlan[];
  /** Rules with flows on this Node (for visibility/rules.json). */
  rules: AllocatedRule[];
  isolation: AllocatedIsolation[];
}

/**
 * Work shared by every Node's plan within one compile: each rule's Node-independent clauses, built once. Owned
 * by the compile that creates it, never by this module, so two compiles never see each other's records.
 */
export interface PolicyPlanCache {
  /** Per rule, its clauses for each set of IP families a Node runs (`4` or `4,6`). */
  clauses: WeakMap<AllocatedRule, Map<string, RuleClauses>>;
  /**
   * Each peer Pod's address match, as source and as destination: one record however many rules name the Pod.
   * A Map, not a WeakMap: the Pods live as long as the compile, and a weak map of a hundred thousand entries costs
   * every full collection a pass over its ephemerons.
   */
  peerMatches: { src: Map<PodInfo, KeyedMatch>; dst: Map<PodInfo, KeyedMatch> };
  /**
   * The address matches of a list of peer Pods, by side and IP families (`src/4`): rules whose peers a selector
   * picked share the selector's Pod list (ten rules per list on Antrea's cluster-scoped shape), and so share this.
   */
  peerLists: WeakMap<readonly PodInfo[], Map<string, PeerList>>;
  /** A number per distinct clause match of the compile, so merging a Node's rule families indexes arrays. */
  matchNumbers: Map<string, number>;
  /** The match numbers of each clause's match list, made once per list. */
  listNumbers: WeakMap<readonly KeyedMatch[], Int32Array>;
  /** Scratch of sharedSlotUses, by match number: the family owning it in the merge `round` it was last seen. */
  merge: { owner: Int32Array; round: Int32Array; current: number };
}

export const createPolicyPlanCache = (): PolicyPlanCache => ({
  clauses: new WeakMap(),
  peerMatches: { src: new Map(), dst: new Map() },
  peerLists: new WeakMap(),
  matchNumbers: new Map(),
  listNumbers: new WeakMap(),
  merge: { owner: new Int32Array(1024), round: new Int32Array(1024), current: 0 },
});

/** Forgets the clauses of rules and the peer lists of Pod lists no Node still to plan needs (policyIndex.ts lastUses). */
export function releaseRules(cache: PolicyPlanCache, ended: LastUses): void {
  for (const rule of ended.rules) cache.clauses.delete(rule);
  for (const pods of ended.peerPods) cache.peerLists.delete(pods);
}

const npCookie = (id: number) => cookie(CookieCategory.networkPolicy, id);

/** Accumulates conjunctive match flows; identical (table, priority, match) from several rules become one flow. */
class ConjunctionFlows {
  /** table → priority → spelled match → the flow being built (nested maps: no key strings per call). */
  private readonly entries = new Map<TableName, Map<number, Map<string, ConjEntry>>>();
  add(table: TableName, priority: number, m: KeyedMatch, origin: Origin, id: number, clause: number, of: number): void {
    let byPriority = this.entries.get(table);
    if (!byPriority) this.entries.set(table, (byPriority = new Map()));
    let byMatch = byPriority.get(priority);
    if (!byMatch) byPriority.set(priority, (byMatch = new Map()));
    let e = byMatch.get(m.key);
    if (!e) byMatch.set(m.key, (e = { table, priority, match: m.match, conj: [] }));
    if (!e.conj.some((c) => c.id === id && c.clause === clause)) e.conj.push({ id, clause, of, origin });
  }
  flows(): Flow[] {
    const out: Flow[] = [];
    for (const byPriority of this.entries.values()) {
      for (const byMatch of byPriority.values()) {
        for (const e of byMatch.values()) {
          const conj = e.conj.length > 1 ? [...e.conj].sort((a, b) => a.id - b.id || a.clause - b.clause) : e.conj;
          // The lowest rule ID owns a shared flow's cookie and origin; any is correct, one must be chosen stably.
          out.push({
            table: e.table,
            priority: e.priority,
            match: e.match,
            cookie: npCookie(conj[0]!.id),
            origin: conj[0]!.origin,
            actions: conj.map((c) => ({ kind: 'conjunction' as const, id: c.id, clause: c.clause, of: c.of })),
          });
        }
      }
    }
    return out;
  }
}

interface ConjEntry {
  table: TableName;
  priority: number;
  match: Match;
  conj: { id: number; clause: number; of: number; origin: Origin }[];
}

function addressMatch(c: Cidr, side: 'src' | 'dst'): Match {
  const proto: Proto = c.family === 4 ? 'ip' : 'ipv6';
  return side === 'src' ? { proto, nwSrc: c } : { proto, nwDst: c };
}

const L4: Record<ServiceMatch['protocol'], [Proto, Proto]> = {
  TCP: ['tcp', 'tcp6'],
  UDP: ['udp', 'udp6'],
  SCTP: ['sctp', 'sctp6'],
  ICMP: ['icmp', 'icmp6'],
};

function serviceMatches(s: ServiceMatch, families: readonly (4 | 6)[]): Match[] {
  const out: Match[] = [];
  for (const family of families) {
    if (s.protocol === 'ICMP' && family === 6) continue; // ICMPv6 types differ; IPv6 is not compiled yet
    const proto = L4[s.protocol][family === 4 ? 0 : 1];
    if (s.protocol === 'ICMP') {
      out.push({
        proto,
        ...(s.icmpType !== undefined ? { icmpType: s.icmpType } : {}),
        ...(s.icmpCode !== undefined ? { icmpCode: s.icmpCode } : {}),
      });
      continue;
    }
    const dst = s.port === undefined ? [undefined] : portRangeMasks(s.port, s.endPort ?? s.port);
    const src = s.srcPort === undefined ? [undefined] : portRangeMasks(s.srcPort, s.srcEndPort ?? s.srcPort);
    for (const d of dst) {
      for (const sp of src) {
        out.push({ proto, ...(d ? { tpDst: d } : {}), ...(sp ? { tpSrc: sp } : {}) });
      }
    }
  }
  return out;
}

function metricTable(r: AllocatedRule): TableName {
  return r.direction === 'Ingress' ? 'IngressMetric' : 'EgressMetric';
}

/** The half of ct_label that records which rule allowed the connection in the rule's direction. */
const ctLabelField = (r: AllocatedRule) => (r.direction === 'Ingress' ? IngressRuleCTLabelField : EgressRuleCTLabelField);

function groupFor(next: TableName): number {
  return POLICY_GROUPS.find((g) => g.next === next)!.id;
}

/** The flow a matched conjunction runs: what the rule's action does to the packet. */
function actionFlows(r: AllocatedRule, origin: Origin, tables: TableMap, families: readonly (4 | 6)[], denyTracking: boolean): Flow[] {
  const conjField = r.direction === 'Ingress' ? TFIngressConjIDField : TFEgressConjIDField;
  const id = BigInt(r.id);
  const c = npCookie(r.id);
  const packetIn = (op: number): Action[] => [loadField(PacketInOperationField, BigInt(op)), loadField(PacketInTableField, BigInt(tableId(tables, r.table)))];
  // K8s rules put their action flow one step below their match flows; Antrea-native rules keep one priority.
  const priority = r.tierPriority === undefined ? K8sRulePriority.action : r.priority;
  switch (r.action) {
    case 'Allow': {
      const actions: Action[] = [
        loadField(conjField, id),
        { kind: 'ct', commit: true, table: metricTable(r), zone: CtZone, exec: [setBits(ctLabelField(r), id)] },
      ];
      // Logging forks a copy to the controller after the commit has sent the packet on.
      if (r.logging) {
        actions.push(loadField(APDispositionField, BigInt(Disposition.allow)), loadMark(OutputToControllerRegMark), ...packetIn(PacketInOp.log), goto('Output'));
      }
      return families.map((f) => ({ table: r.table, priority, match: { conjId: r.id, proto: f === 4 ? 'ip' : 'ipv6' }, actions, cookie: c, origin }));
    }
    case 'Drop':
    case 'Reject': {
      // With deny tracking (the FlowExporter gate) every denied packet also reaches the controller, which records
      // the connection; Antrea loads the disposition once per reason that needs it (pipeline.go conjunctionActionDenyFlow).
      const op = (r.action === 'Reject' ? PacketInOp.reject : 0) | (r.logging ? PacketInOp.log : 0) | (denyTracking ? PacketInOp.storeDeny : 0);
      const actions: Action[] = [loadField(APConjIDField, id), loadMark(APDenyRegMark)];
      const disposition = loadField(APDispositionField, BigInt(r.action === 'Reject' ? Disposition.reject : Disposition.drop));
      if (denyTracking) actions.push(disposition);
      if (r.logging) actions.push(disposition);
      if (op === 0) actions.push(goto(metricTable(r)));
      else actions.push(...packetIn(op), { kind: 'group', id: groupFor(metricTable(r)) });
      return [{ table: r.table, priority, match: { conjId: r.id }, actions, cookie: c, origin }];
    }
    case 'Pass': {
      const next: TableName = r.direction === 'Ingress' ? 'IngressRule' : 'EgressRule';
      const actions: Action[] = [loadField(conjField, id)];
      if (r.logging) actions.push(loadField(APDispositionField, BigInt(Disposition.pass)), ...packetIn(PacketInOp.log), { kind: 'group', id: groupFor(next) });
      else actions.push(goto(next));
      return [{ table: r.table, priority, match: { conjId: r.id }, actions, cookie: c, origin }];
    }
  }
}

function metricFlows(r: AllocatedRule, origin: Origin, tables: TableMap): Flow[] {
  const table = metricTable(r);
  const c = npCookie(r.id);
  if (r.action === 'Allow') {
    const next = tables.byName.get(table)!.next!;
    return ['+new', '-new'].map((ctState) => ({ table, priority: Priority.normal, match: { ctState, ctLabel: bitsValue(ctLabelField(r), BigInt(r.id)), proto: 'ip' as Proto }, actions: [goto(next)], cookie: c, origin }));
  }
  if (r.action === 'Pass') return [];
  return [
    {
      table,
      priority: Priority.normal,
      match: { regs: regMatch(APDenyRegMark, { field: APConjIDField, value: r.id }) },
      actions: [DROP],
      cookie: c,
      origin,
    },
  ];
}

/**
 * A K8s isolation drop with deny tracking: the packet goes to the controller instead (pipeline.go defaultDropFlow),
 * which records the denied connection; the rule is known only by the table (no conjunction ID in reg3).
 */
function isolationToController(table: TableName, tables: TableMap): Action[] {
  return [
    loadField(APDispositionField, BigInt(Disposition.drop)),
    loadField(PacketInOperationField, BigInt(PacketInOp.storeDeny)),
    loadMark(OutputToControllerRegMark),
    loadField(PacketInTableField, BigInt(tableId(tables, table))),
    goto('Output'),
  ];
}

/** Flows every Node gets while NetworkPolicy is compiled, policies or not. */
function staticFlows(origin: Origin, antreaPolicy: boolean, denyTracking: boolean): { flows: Flow[]; groups: GroupPlan[] } {
  const c = cookie(CookieCategory.networkPolicy);
  const flows: Flow[] = [];
  // Policy changes never cut established connections, and replies are never checked (§3.3).
  const bypass: [TableName, TableName, number][] = antreaPolicy
    ? [
        ['AntreaPolicyEgressRule', 'EgressMetric', ESTABLISHED_BYPASS_PRIORITY],
        ['AntreaPolicyIngressRule', 'IngressMetric', ESTABLISHED_BYPASS_PRIORITY],
      ]
    : [
        ['EgressRule', 'EgressMetric', Priority.high],
        ['IngressRule', 'IngressMetric', Priority.high],
      ];
  for (const [table, next, priority] of bypass) {
    for (const ctState of ['-new+est', '-new+rel']) flows.push({ table, priority, match: { ctState, proto: 'ip' }, actions: [goto(next)], cookie: c, origin });
  }
  // K8s isolation drops reach the controller only through these flows when deny tracking is on.
  if (!antreaPolicy && !denyTracking) return { flows, groups: [] };
  // The controller path: one packet-in flow per operation set, rate-limited by the packet-in meter.
  for (let op = 1; op <= 7; op++) {
    flows.push({
      table: 'Output',
      priority: Priority.normal,
      match: { regs: regMatch(OutputToControllerRegMark, { field: PacketInOperationField, value: op }) },
      actions: [{ kind: 'meter', id: PACKET_IN_METER }, { kind: 'controller', reason: 'no_match', id: CONTROLLER_ID, userdata: `${PACKET_IN_CATEGORY_NP}.${op.toString(16).padStart(2, '0')}` }],
      cookie: c,
      origin,
    });
  }
  if (!antreaPolicy) return { flows, groups: [] };
  const groups = POLICY_GROUPS.map((g) => ({
    id: g.id,
    buckets: [[{ kind: 'resubmit' as const, table: g.next }], [loadMark(OutputToControllerRegMark), { kind: 'resubmit' as const, table: 'Output' as TableName }]],
    origin,
  }));
  return { flows, groups };
}

interface RuleClauses {
  families: (4 | 6)[];
  /** Distinct keys; shared by every rule with the same peer Pods and no ipBlock. */
  peerMatches: readonly KeyedMatch[];
  /** Distinct keys. */
  serviceList?: readonly KeyedMatch[];
  /**
   * The match flows of the peer and service clauses: they depend on the rule alone, so every Node of the rule gets
   * this very family (./family.ts), spelled and ordered once per compile. Built on first use.
   */
  clauseFamily?: RuleFamily;
  /** The rule's action and metric flows, which depend on the rule alone too. Built on first use. */
  ruleFlows?: readonly Flow[];
}

/** Peer Pods' address matches on one side, for one set of IP families. */
interface PeerList {
  /** Distinct keys (two Pods may share an address). */
  matches: readonly KeyedMatch[];
  /** The IP families the matches have. */
  families: ReadonlySet<4 | 6>;
}

/** A rule's clause family, with its clauses' match numbers (PolicyPlanCache.matchNumbers), clause by clause. */
interface RuleFamily {
  origin: Origin;
  family: ClauseFamily;
  numbers: readonly Int32Array[];
}

/** The first of each key, in order. */
function distinct(matches: Iterable<KeyedMatch>): KeyedMatch[] {
  const seen = new Set<string>();
  const out: KeyedMatch[] = [];
  for (const m of matches) {
    if (seen.has(m.key)) continue;
    seen.add(m.key);
    out.push(m);
  }
  return out;
}

function peerList(pods: readonly PodInfo[], side: 'src' | 'dst', nodeFamilies: readonly (4 | 6)[], cache: PolicyPlanCache): PeerList {
  const listKey = `${side}/${nodeFamilies.join(',')}`;
  let bySide = cache.peerLists.get(pods);
  if (!bySide) cache.peerLists.set(pods, (bySide = new Map()));
  let list = bySide.get(listKey);
  if (list) return list;
  const byPod = cache.peerMatches[side];
  const families = new Set<4 | 6>();
  const matches: KeyedMatch[] = [];
  for (const p of pods) {
    if (!nodeFamilies.includes(p.ip.family)) continue;
    let m = byPod.get(p);
    if (!m) byPod.set(p, (m = keyed(addressMatch(hostCidr(p.ip), side))));
    matches.push(m);
    families.add(p.ip.family);
  }
  // No address twice, so no distinct(): a peer set names each Pod once and none in the host network (PeerSet), and
  // the model refuses two other Pods with one address.
  list = { matches, families };
  bySide.set(listKey, list);
  return list;
}

/**
 * The clauses of a rule for one set of IP families (peer addresses, services), built once per rule and family set
 * and shared by every Node's plan that runs those families: the same Match objects also let the renderer spell each
 * of them once. A Node gets clauses for the families it runs only, as Antrea builds service and action flows per
 * enabled IP protocol (client.go ipProtocols, network_policy.go getServiceMatchPairs): an IPv6 peer on an IPv4-only
 * Node would only add flows no packet can hit.
 */
function ruleClauses(r: AllocatedRule, nodeFamilies: readonly (4 | 6)[], cache: PolicyPlanCache): RuleClauses {
  const familiesKey = nodeFamilies.join(',');
  let byFamilies = cache.clauses.get(r);
  if (!byFamilies) cache.clauses.set(r, (byFamilies = new Map()));
  const hit = byFamilies.get(familiesKey);
  if (hit) return hit;
  const peerSide = r.direction === 'Ingress' ? 'src' : 'dst';
  const pods = peerList(r.peers.pods, peerSide, nodeFamilies, cache);
  const familySet = new Set<4 | 6>([4, ...pods.families]);
  const cidrs = r.peers.cidrs.filter((c) => nodeFamilies.includes(c.family));
  for (const c of cidrs) familySet.add(c.family);
  // A peer named twice (a Pod and its /32 ipBlock) is one flow.
  const peerMatches = cidrs.length === 0 ? pods.matches : distinct([...pods.matches, ...cidrs.map((c) => keyed(addressMatch(c, peerSide)))]);
  const families = [...familySet].sort();
  const out: RuleClauses = { families, peerMatches };
  if (r.services) out.serviceList = distinct(r.services.flatMap((s) => serviceMatches(s, families)).map(keyed));
  byFamilies.set(familiesKey, out);
  return out;
}

/** The match numbers of a clause's matches, made once per list. */
function listNumbers(matches: readonly KeyedMatch[], cache: PolicyPlanCache): Int32Array {
  let numbers = cache.listNumbers.get(matches);
  if (numbers) return numbers;
  numbers = new Int32Array(matches.length);
  matches.forEach(({ key }, i) => {
    let n = cache.matchNumbers.get(key);
    if (n === undefined) cache.matchNumbers.set(key, (n = cache.matchNumbers.size));
    numbers![i] = n;
  });
  cache.listNumbers.set(matches, numbers);
  return numbers;
}

/**
 * A rule's conjunctive match flows of every clause but the local one, as ConjunctionFlows makes them for one rule.
 * The clauses left are the peer clause (addresses) and the service clause (L4 fields): no match is in both.
 */
function clauseFamily(r: AllocatedRule, origin: Origin, clauses: readonly (readonly KeyedMatch[])[], localClause: number, cache: PolicyPlanCache): RuleFamily {
  const kept = clauses.flatMap((matches, i) => (i === localClause ? [] : [{ matches, actions: [{ kind: 'conjunction', id: r.id, clause: i + 1, of: clauses.length } as const] }]));
  return {
    origin,
    family: { name: `rule ${r.id}`, table: r.table, priority: r.priority, cookie: npCookie(r.id), origin, clauses: kept },
    numbers: kept.map((c) => listNumbers(c.matches, cache)),
  };
}

/**
 * The clause families of the rules sharing one table and priority on a Node, as ConjunctionFlows would merge their
 * flows: a match several rules have is one flow, owned by the lowest rule ID (its cookie and origin), with every
 * rule's conjunctions in (rule ID, clause) order; the other rules leave their member out. Matches are compared by
 * number in the cache's scratch arrays: a slot of a hundred rules holds ten thousand members on every Node.
 */
function sharedSlotUses(slot: readonly { id: number; rule: RuleFamily }[], cache: PolicyPlanCache): FamilyUse[] {
  const byId = [...slot].sort((a, b) => a.id - b.id);
  const scratch = cache.merge;
  const size = cache.matchNumbers.size;
  if (scratch.owner.length < size) {
    const length = Math.max(size, 2 * scratch.owner.length);
    scratch.owner = new Int32Array(length);
    scratch.round = new Int32Array(length);
    scratch.current = 0;
  }
  const round = ++scratch.current;
  const { owner, round: seen } = scratch;
  const dropped: (Set<string> | undefined)[] = [];
  const extra: (Map<string, Action[]> | undefined)[] = [];
  byId.forEach(({ rule: { family, numbers } }, at) => {
    family.clauses.forEach(({ matches, actions }, c) => {
      const clauseNumbers = numbers[c]!;
      for (let i = 0; i < clauseNumbers.length; i++) {
        const n = clauseNumbers[i]!;
        if (seen[n] !== round) {
          seen[n] = round;
          owner[n] = at;
          continue;
        }
        const { key } = matches[i]!;
        const more = (extra[owner[n]!] ??= new Map());
        const list = more.get(key);
        if (list) appendAll(list, actions);
        else more.set(key, [...actions]);
        (dropped[at] ??= new Set()).add(key);
      }
    });
  });
  return byId.map(({ rule: { family } }, at) => ({ family, ...(dropped[at] ? { dropped: dropped[at] } : {}), ...(extra[at] ? { extra: extra[at] } : {}) }));
}

export function planNetworkPolicy(
  model: ClusterModel,
  node: NodeInfo,
  ports: NodePorts,
  tables: TableMap,
  policies: NodePolicies | undefined,
  cache: PolicyPlanCache,
): PolicyPlan {
  const antreaPolicy = model.config.features.antreaPolicy;
  const denyTracking = model.config.features.flowExporter;
  const nodeOrigin: Origin = { feature: 'NetworkPolicy', kind: 'Node', name: node.name };
  const { flows, groups } = staticFlows(nodeOrigin, antreaPolicy, denyTracking);
  const portOf = new Map(ports.pods.map((p) => [p.pod.key, p]));
  const conj = new ConjunctionFlows();
  const localRules: AllocatedRule[] = [];
  const flowFamilies: FamilyUse[] = [];
  const ruleFlows: (readonly Flow[])[] = [];

  const mine = policies ?? NO_POLICIES;
  // A local Pod's clause is the same in every rule that protects it: key it once per Node and direction.
  const localCache = new Map<string, KeyedMatch>();
  const localMatch = (p: PodInfo, direction: Direction): KeyedMatch => {
    const key = `${direction}/${p.key}`;
    let m = localCache.get(key);
    if (!m) {
      m = keyed(direction === 'Ingress' ? { regs: regMatch({ field: TargetOFPortField, value: portOf.get(p.key)!.ofport }) } : addressMatch(hostCidr(p.ip), 'src'));
      localCache.set(key, m);
    }
    return m;
  };
  // Rules by (table, priority) on this Node: only there can two rules' match flows coincide and merge.
  const bySlot = new Map<string, { id: number; rule: RuleFamily }[]>();
  for (const { rule: r, origin, local: candidates } of mine.rules as readonly NodeRule[]) {
    const local = candidates.filter((p) => portOf.has(p.key));
    if (local.length === 0) continue;
    localRules.push(r);
    const c = ruleClauses(r, node.ipFamilies, cache);
    // A present but empty clause can never match: the rule has no effect on this Node beyond its metric.
    if (c.peerMatches.length === 0 || c.serviceList?.length === 0) continue;
    const localMatches = local.map((p) => localMatch(p, r.direction));
    const clauses = r.direction === 'Ingress' ? [c.peerMatches, localMatches] : [localMatches, c.peerMatches];
    if (c.serviceList) clauses.push(c.serviceList);
    const localClause = r.direction === 'Ingress' ? 1 : 0;
    // Local clauses match the Pod's port or source address, peer and service clauses peer addresses and L4 fields:
    // a local match never equals a peer or service match, so the Node-independent flows stay a family apart.
    c.clauseFamily ??= clauseFamily(r, origin, clauses, localClause, cache);
    if (c.clauseFamily.origin !== origin) throw new Error(`internal: rule ${r.id} has two origins`);
    for (const m of clauses[localClause]!) conj.add(r.table, r.priority, m, origin, r.id, localClause + 1, clauses.length);
    const at = `${r.table}/${r.priority}`;
    const slot = bySlot.get(at);
    if (slot) slot.push({ id: r.id, rule: c.clauseFamily });
    else bySlot.set(at, [{ id: r.id, rule: c.clauseFamily }]);
    c.ruleFlows ??= [...actionFlows(r, origin, tables, c.families, denyTracking), ...metricFlows(r, origin, tables)];
    ruleFlows.push(c.ruleFlows);
  }
  for (const slot of bySlot.values()) {
    if (slot.length === 1) flowFamilies.push({ family: slot[0]!.rule.family });
    else appendAll(flowFamilies, sharedSlotUses(slot, cache));
  }
  appendAll(flows, conj.flows());

  // K8s isolation: one drop flow per isolated local Pod and direction, owned by the first isolating policy.
  const localIsolation: AllocatedIsolation[] = [];
  const dropOwner = new Map<string, { iso: AllocatedIsolation; origin: Origin }>();
  for (const { isolation: iso, origin, local: candidates } of mine.isolation) {
    const local = candidates.filter((p) => portOf.has(p.key));
    if (local.length === 0) continue;
    localIsolation.push(iso);
    for (const p of local) {
      const k = `${iso.direction}/${p.key}`;
      if (!dropOwner.has(k)) dropOwner.set(k, { iso, origin });
    }
  }
  for (const [k, { iso, origin }] of [...dropOwner.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const pod = portOf.get(k.slice(k.indexOf('/') + 1))!;
    const table: TableName = iso.direction === 'Ingress' ? 'IngressDefaultRule' : 'EgressDefaultRule';
    const match: Match = iso.direction === 'Ingress' ? { regs: regMatch({ field: TargetOFPortField, value: pod.ofport }) } : addressMatch(hostCidr(pod.pod.ip), 'src');
    flows.push({ table, priority: Priority.normal, match, actions: denyTracking ? isolationToController(table, tables) : [DROP], cookie: npCookie(iso.id), origin });
  }
  return { flows, flowFamilies, ruleFlows, groups, rules: localRules, isolation: localIsolation };
}
