/**
 * The explainer's interpreter agrees with the real Open vSwitch (issue 15): for many random packets on the bundles
 * of several compiled cases, `ofproto/trace` on the loaded bundle and review/openflow's interpreter send the packet
 * to the same OpenFlow ports (none: dropped), to the controller as often, and end with the same registers.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { compile } from '../compiler/compile.js';
import { Pipeline } from '../review/openflow/interp.js';
import { parseFlows, parseGroups, parseMeters, type OfFlow } from '../review/openflow/parse.js';
import type { BundleMeta } from '../review/explain/bundles.js';
import { cleanupAll, requireOvs, startOvs } from './harness/ovs.js';
import { bundleFile, loadBundle } from './harness/bundle.js';
import { nextTurn } from './harness/eventLoop.js';
import { caseSources, GOLDEN_DIR } from './golden/golden.js';
import { interpret, ovsObserve, randomFlow, rng, type Observed } from './explain/agree.js';

const HAVE_OVS = requireOvs();
const PACKETS = Number(process.env.DPC_EXPLAIN_PACKETS ?? 150);

afterAll(async () => {
  await cleanupAll();
});

function pipelineOf(files: ReadonlyMap<string, string>, edit: (flows: OfFlow[]) => OfFlow[] = (f) => f): Pipeline {
  const text = (p: string) => files.get(p) ?? '';
  return new Pipeline(edit(parseFlows(text('openflow/flows.txt'))), parseGroups(text('openflow/groups.txt')), parseMeters(text('openflow/meters.txt')));
}

const same = (a: Observed, b: Observed) => JSON.stringify(a) === JSON.stringify(b);

describe.skipIf(!HAVE_OVS)('explain: the interpreter agrees with ofproto/trace', () => {
  const cases = ['policies-k8s', 'policies-antrea', 'egress', 'traffic-control', 'three-nodes-geneve', 'node-policies', 'vxlan'];
  test.each(cases)('golden/%s: random packets on every Node leave the same way with the same registers', async (name) => {
    const result = compile(caseSources(join(GOLDEN_DIR, name)));
    expect(result.ok).toBe(true);
    const metas = result.bundles.map((b) => JSON.parse(bundleFile(b, 'bundle.json')) as BundleMeta);
    let compared = 0;
    const outcomes = new Set<string>();
    for (const [i, bundle] of result.bundles.slice(0, 2).entries()) {
      const ovs = await startOvs();
      try {
        loadBundle(ovs, bundle);
        const pipeline = pipelineOf(bundle.files);
        const r = rng(1000 * i + name.length);
        const wrong: string[] = [];
        for (let k = 0; k < PACKETS; k++) {
          await nextTurn();
          const flow = randomFlow(r, metas[i]!, metas);
          const mine = interpret(pipeline, flow);
          const theirs = ovsObserve(ovs, flow, mine.ctNext);
          const { ctNext: _ct, ...observed } = mine;
          if (!same(observed, theirs)) wrong.push(`${bundle.node}: ${flow}\n  interpreter ${JSON.stringify(observed)}\n  ofproto/trace ${JSON.stringify(theirs)}`);
          outcomes.add(theirs.outputs.length ? `out:${theirs.outputs.join('+')}` : theirs.controllers ? 'controller' : 'drop');
          compared++;
        }
        expect(wrong.slice(0, 5).join('\n')).toBe('');
      } finally {
        await ovs.stop();
      }
    }
    expect(compared).toBeGreaterThan(0);
    // The packets reach more than one fate, so agreement is about something.
    expect(outcomes.size).toBeGreaterThan(1);
  }, 300_000);

  // Each mutation is one wrong reading of the bundle; the comparison has to notice every one of them.
  const mutations: [string, (flows: OfFlow[], tables: Record<string, number>) => OfFlow[]][] = [
    ['Output loses its output:NXM_NX_REG1[] flow', (flows, t) => flows.filter((f) => !(f.table === t['Output'] && f.actions.some((a) => a.op === 'output' && a.ref)))],
    ['Classifier forgets to load reg4', (flows, t) => flows.map((f) => (f.table === t['Classifier'] ? { ...f, actions: f.actions.filter((a) => !(a.op === 'set' && a.field === 'reg4')) } : f))],
  ];
  test.each(mutations)('the comparison fails when the interpreter is wrong: %s', async (_what, mutate) => {
    const result = compile(caseSources(join(GOLDEN_DIR, 'policies-k8s')));
    const bundle = result.bundles[0]!;
    const metas = result.bundles.map((b) => JSON.parse(bundleFile(b, 'bundle.json')) as BundleMeta);
    const broken = pipelineOf(bundle.files, (flows) => mutate(flows, metas[0]!.tables));
    const ovs = await startOvs();
    try {
      loadBundle(ovs, bundle);
      const r = rng(7);
      let disagreements = 0;
      for (let k = 0; k < 40; k++) {
        await nextTurn();
        const flow = randomFlow(r, metas[0]!, metas);
        const { ctNext, ...observed } = interpret(broken, flow);
        if (!same(observed, ovsObserve(ovs, flow, ctNext))) disagreements++;
      }
      expect(disagreements).toBeGreaterThan(0);
    } finally {
      await ovs.stop();
    }
  }, 120_000);
});
