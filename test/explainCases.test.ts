/**
 * `dpc explain` against the truth tables (issue 15): every matrix and flow cell of the repository's conformance
 * suites, traced offline through the compiled bundles, gets the verdict the case expects, on Pod and node-level
 * policies alike. The same cells are proven on real switches and kernels by conformanceCases.test.ts; here they
 * prove the interpreter reads those bundles as the dataplane runs them. The connectivity diff relies on this.
 */
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { compile } from '../compiler/compile.js';
import { CONFORMANCE_DIR, loadCases, type Cell, type Step } from './conformance/cases.js';
import { verdictMatches } from './conformance/runner.js';
import { loadBundles, tracePacket, type Bundles } from '../review/explain/trace.js';

const AS_CELL: Record<string, 'allow' | 'drop' | 'reject'> = { delivered: 'allow', host: 'allow', external: 'allow', dropped: 'drop', rejected: 'reject' };

function explainCell(b: Bundles, step: Step, cell: Cell): string {
  const pods = new Map(step.pods.map((p) => [p.key, p]));
  const nodeIP = new Map(step.nodes.map((n) => [n.name, n.internalIP]));
  const src = pods.get(cell.from)!;
  // A host-network Pod is its Node's process: it has the Node's address and no port on br-int.
  const from = src.hostNetwork ? { ip: nodeIP.get(src.node!)! } : { pod: cell.from };
  let to = cell.to;
  if ('pod' in to) {
    const d = pods.get(to.pod)!;
    if (d.hostNetwork) to = { ip: nodeIP.get(d.node!)! };
  }
  const t = tracePacket(b, { from, to, protocol: cell.protocol, ...(cell.port !== undefined ? { port: cell.port } : {}), ...(cell.sourcePort !== undefined ? { sourcePort: cell.sourcePort } : {}), ...(cell.icmp ? { icmp: cell.icmp } : {}), ...(src.node ? { node: src.node } : {}) });
  return AS_CELL[t.verdict.kind] ?? t.verdict.kind;
}

/** Every cell of a suite, with what explain says; `edit` may change the bundles' files before they are read. */
function run(suite: string, edit?: (files: Map<string, string>) => void): { total: number; wrong: string[]; verdicts: Set<string> } {
  const { cases, errors } = loadCases(join(CONFORMANCE_DIR, suite));
  expect(errors).toEqual([]);
  const wrong: string[] = [];
  const verdicts = new Set<string>();
  let total = 0;
  for (const c of cases) {
    let previous: Step['sources'] | undefined;
    for (const step of c.steps) {
      const r = compile(step.sources, previous ? { previous } : {});
      if (step.invalid || !r.ok) continue;
      previous = step.sources;
      if (edit) for (const bundle of r.bundles) edit(bundle.files as Map<string, string>);
      const b = loadBundles(r, { sources: step.sources });
      for (const check of step.checks) {
        for (const cell of check.kind === 'matrix' ? check.cells : check.kind === 'flow' ? [check.cell] : []) {
          total++;
          const got = explainCell(b, step, cell);
          verdicts.add(got);
          if (!verdictMatches(cell.expected, got as 'allow')) wrong.push(`${c.id} step ${step.number}: ${cell.from} -> ${JSON.stringify(cell.to)} ${cell.protocol}/${cell.port ?? ''}: expected ${cell.expected}, explain says ${got}`);
        }
      }
    }
  }
  return { total, wrong, verdicts };
}

describe('explain agrees with the conformance truth tables', () => {
  test.each(['k8s-netpol-e2e', 'antrea-e2e', 'antrea-node-e2e'])('%s: every cell', (suite) => {
    const { total, wrong, verdicts } = run(suite);
    expect(total).toBeGreaterThan(100);
    expect(verdicts.size).toBeGreaterThan(1);
    expect(wrong.slice(0, 10)).toEqual([]);
  }, 600_000);

  test('a bundle without its IngressMetric drop flows makes explain disagree (the comparison can fail)', () => {
    const { wrong } = run('antrea-e2e', (files) => {
      const flows = files.get('openflow/flows.txt')!;
      const meta = JSON.parse(files.get('bundle.json')!) as { tables: Record<string, number> };
      files.set('openflow/flows.txt', flows.split('\n').filter((l) => !(l.includes(`table=${meta.tables['IngressMetric']}, `) && l.endsWith('actions=drop'))).join('\n'));
    });
    expect(wrong.length).toBeGreaterThan(10);
  }, 600_000);
});
