/**
 * NetworkPolicy flow counts of a bundle, read back from its text (docs/design.md §8: "flows per policy rule grow with the
 * sum of its peers, ports and appliedTo members (conjunction), never their product"):
 *
 * - npFlows: flows of cookie category NetworkPolicy (bits 40..47 of the cookie) in openflow/flows.txt.
 * - per rule of visibility/rules.json, the match flows that carry `conjunction(ID,k/n)`, counted per clause k
 *   (a match flow shared by several rules counts for each of them):
 *     conjunctive   Σ_k count_k + 1 (the rule's conj_id action flow): what conjunction costs;
 *     crossProduct  Π_k count_k: one flow per (peer address, local appliedTo member, service match) that an
 *                   implementation without conjunction would install for the same rule on the same Node.
 *
 * Run on a compiled folder: node dist/bench/policyFlows.js OUT_DIR [--top N]   (per-Node table, largest rules)
 */
import { CookieCategory } from '../compiler/plan/flow.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const NP_CATEGORY = CookieCategory.networkPolicy;

export interface RuleFlows {
  id: number;
  /** Match flows per clause, clause 1 first (peers first for ingress, local Pods first for egress). */
  clauses: number[];
}

export interface NodePolicyFlows {
  node: string;
  /** All flows of the bundle. */
  flows: number;
  /** Cookie category NetworkPolicy. */
  npFlows: number;
  /** Rules listed in rules.json (K8s isolations excluded). */
  rules: number;
  /** Rules with conjunctive match flows on this Node. */
  conjRules: number;
  conjunctive: number;
  crossProduct: number;
  /** The rule with the largest cross product here. */
  largest?: RuleFlows;
}

/** The cookie's category byte (bits 40..47, Antrea's layout: compiler/plan/flow.ts) from a `cookie=0x…` line start; -1 when the line has none. */
function cookieCategory(line: string): number {
  if (!line.startsWith('cookie=0x')) return -1;
  let end = 9;
  while (end < line.length && line.charCodeAt(end) !== 44 /* , */ && line.charCodeAt(end) !== 32) end++;
  const hex = line.slice(9, end);
  // Bits 40.. are the hex digits before the last 10.
  return hex.length <= 10 ? 0 : parseInt(hex.slice(Math.max(0, hex.length - 12), hex.length - 10), 16);
}

const CONJ = /conjunction\((\d+),(\d+)\/(\d+)\)/g;

export function analyzeBundle(node: string, flowsTxt: string, rulesJson: string): NodePolicyFlows {
  const ruleIds = new Set<number>();
  for (const r of (JSON.parse(rulesJson) as { rules: { id: number; action: string }[] }).rules) {
    if (r.action !== 'Isolate') ruleIds.add(r.id);
  }
  const clauses = new Map<number, number[]>();
  let flows = 0;
  let npFlows = 0;
  let at = 0;
  while (at < flowsTxt.length) {
    let nl = flowsTxt.indexOf('\n', at);
    if (nl < 0) nl = flowsTxt.length;
    const line = flowsTxt.slice(at, nl);
    at = nl + 1;
    if (line.length === 0 || line.startsWith('#')) continue;
    flows++;
    if (cookieCategory(line) !== NP_CATEGORY) continue;
    npFlows++;
    const actions = line.indexOf(' actions=');
    if (actions < 0 || line.indexOf('conjunction(', actions) < 0) continue;
    CONJ.lastIndex = actions;
    for (let m = CONJ.exec(line); m; m = CONJ.exec(line)) {
      const id = Number(m[1]);
      const k = Number(m[2]);
      const n = Number(m[3]);
      let c = clauses.get(id);
      if (!c) {
        c = new Array<number>(n).fill(0);
        clauses.set(id, c);
      }
      c[k - 1] = (c[k - 1] ?? 0) + 1;
    }
  }
  let conjunctive = 0;
  let crossProduct = 0;
  let largest: RuleFlows | undefined;
  let largestProduct = -1;
  for (const [id, c] of clauses) {
    if (!ruleIds.has(id)) throw new Error(`${node}: conjunction ${id} has no entry in visibility/rules.json`);
    const sum = c.reduce((a, b) => a + b, 0);
    const product = c.reduce((a, b) => a * b, 1);
    conjunctive += sum + 1;
    crossProduct += product;
    if (product > largestProduct) {
      largestProduct = product;
      largest = { id, clauses: c };
    }
  }
  const out: NodePolicyFlows = { node, flows, npFlows, rules: ruleIds.size, conjRules: clauses.size, conjunctive, crossProduct };
  if (largest) out.largest = largest;
  return out;
}

/** Totals and spreads over Nodes, as the bench reports them. */
export interface PolicyFlowSummary {
  nodes: number;
  flows: Spread;
  npFlows: Spread;
  rules: Spread;
  conjRules: Spread;
  conjunctive: Spread;
  crossProduct: Spread;
  /** The rule with the largest cross product on any Node. */
  largest?: RuleFlows & { node: string; sum: number; product: number };
}

export interface Spread {
  total: number;
  min: number;
  avg: number;
  max: number;
}

function spread(xs: readonly number[]): Spread {
  let total = 0;
  let min = Infinity;
  let max = 0;
  for (const x of xs) {
    total += x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  return { total, min: xs.length ? min : 0, avg: xs.length ? total / xs.length : 0, max };
}

export function summarize(perNode: readonly NodePolicyFlows[]): PolicyFlowSummary {
  const s: PolicyFlowSummary = {
    nodes: perNode.length,
    flows: spread(perNode.map((n) => n.flows)),
    npFlows: spread(perNode.map((n) => n.npFlows)),
    rules: spread(perNode.map((n) => n.rules)),
    conjRules: spread(perNode.map((n) => n.conjRules)),
    conjunctive: spread(perNode.map((n) => n.conjunctive)),
    crossProduct: spread(perNode.map((n) => n.crossProduct)),
  };
  let best = -1;
  for (const n of perNode) {
    if (!n.largest) continue;
    const product = n.largest.clauses.reduce((a, b) => a * b, 1);
    if (product > best) {
      best = product;
      s.largest = { ...n.largest, node: n.node, sum: n.largest.clauses.reduce((a, b) => a + b, 0) + 1, product };
    }
  }
  return s;
}

// ─── command line: analyze a compiled output folder ─────────────────────────────────────────────────────────

function main(argv: readonly string[]): number {
  const dir = argv[0];
  if (!dir || !existsSync(dir)) {
    process.stderr.write('usage: node dist/bench/policyFlows.js OUT_DIR   (a folder `dpc compile -o` wrote)\n');
    return 2;
  }
  const perNode: NodePolicyFlows[] = [];
  for (const node of readdirSync(dir).sort()) {
    const flows = join(dir, node, 'openflow', 'flows.txt');
    const rules = join(dir, node, 'visibility', 'rules.json');
    if (!existsSync(flows) || !existsSync(rules)) continue;
    perNode.push(analyzeBundle(node, readFileSync(flows, 'utf8'), readFileSync(rules, 'utf8')));
  }
  const pad = (v: string | number, w: number) => String(typeof v === 'number' ? v.toLocaleString('en-US') : v).padStart(w);
  process.stdout.write(`${'node'.padEnd(12)}${pad('flows', 10)}${pad('NP flows', 10)}${pad('rules', 7)}${pad('conj', 10)}${pad('cross', 14)}  largest rule (flows per clause)\n`);
  for (const n of perNode) {
    process.stdout.write(
      `${n.node.padEnd(12)}${pad(n.flows, 10)}${pad(n.npFlows, 10)}${pad(n.rules, 7)}${pad(n.conjunctive, 10)}${pad(n.crossProduct, 14)}  ${n.largest ? `${n.largest.id}: ${n.largest.clauses.join(' × ')}` : '-'}\n`,
    );
  }
  const s = summarize(perNode);
  process.stdout.write(`\n${JSON.stringify(s, null, 2)}\n`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = main(process.argv.slice(2));
