/**
 * The interpreter's indexed table lookup (flows grouped by mask shape, a hash probe per field, issue 15 item 4)
 * picks the same flow or conjunction as scanning every flow in priority order: on random tables built to collide
 * (few priorities, overlapping masks, conjunctions sharing clauses, ties decided by table order), and at every
 * lookup of random packets walked through the golden cases' real pipelines.
 */
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { compile } from '../compiler/compile.js';
import { FlowTable, Interpreter, Conntrack, Packet, Pipeline, type Hit } from '../review/openflow/interp.js';
import { parseFlow, parseFlows, parseGroups, parseMatch } from '../review/openflow/parse.js';
import type { BundleMeta } from '../review/explain/bundles.js';
import { bundleFile } from './harness/bundle.js';
import { caseSources, GOLDEN_DIR } from './golden/golden.js';
import { randomFlow, rng } from './explain/agree.js';

const show = (h: Hit | undefined): string => (h ? `${h.flow.text}${h.conjId !== undefined ? ` [conj ${h.conjId}]` : ''}` : 'miss');

describe('indexed lookup equals the priority scan', () => {
  test('random colliding tables with conjunctions', () => {
    const r = rng(15);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const matchPart = (): string =>
      pick([
        () => `nw_src=10.0.${pick([0, 1])}.${pick([1, 2, 3])}`,
        () => `nw_src=10.0.${pick([0, 1])}.0/${pick([24, 23, 16])}`,
        () => `nw_dst=10.0.0.${pick([1, 2])}`,
        () => `reg1=0x${pick([1, 2, 3])}`,
        () => `reg0=0x${pick([0x10000, 0x20000])}/0xf0000`,
        () => `reg0=0x${pick([1, 2])}/0xf`,
        () => `tp_dst=${pick([80, 443])}`,
        () => `tp_dst=0x${pick([0x50, 0x1b0])}/0xfff0`,
        () => `ct_state=${pick(['+new+trk', '+est+trk', '-new+trk'])}`,
      ])();
    let disagreements: string[] = [];
    let conjHits = 0;
    let plainHits = 0;
    for (let t = 0; t < 150; t++) {
      const lines: string[] = [];
      const prios = [100, 200, 200, 300];
      for (let k = 0; k < 40; k++) {
        const prio = pick(prios);
        if (r() < 0.5) {
          const parts = ['tcp', matchPart()];
          const id = pick([1, 2, 3, 4]);
          const n = id === 4 ? 3 : 2;
          lines.push(`table=0, priority=${prio},${parts.join(',')} actions=conjunction(${id},${1 + Math.floor(r() * n)}/${n})`);
        } else lines.push(`table=0, priority=${prio},${['tcp', ...Array.from({ length: 1 + Math.floor(r() * 3) }, matchPart)].join(',')} actions=output:${k}`);
      }
      for (const id of [1, 2, 3, 4]) if (r() < 0.85) lines.push(`table=0, priority=${pick(prios)},conj_id=${id}${r() < 0.3 ? `,${matchPart()}` : ''} actions=output:${100 + id}`);
      const table = new FlowTable(parseFlows(lines.join('\n')));
      for (let k = 0; k < 200; k++) {
        const p = new Packet(
          parseMatch(`tcp,nw_src=10.0.${pick([0, 1])}.${pick([1, 2, 3, 9])},nw_dst=10.0.0.${pick([1, 2, 3])},tp_dst=${pick([80, 443, 88, 22])}`).map(
            (m) => [m.field, m.value] as [string, bigint],
          ),
        );
        p.set('reg1', BigInt(pick([0, 1, 2, 3])));
        p.set('reg0', BigInt(pick([0, 0x10001, 0x20002, 0x10002])));
        p.set('ct_state', pick([0x21n, 0x22n, 0x20n]));
        const fast = table.lookup(p);
        const slow = table.linearLookup(p);
        if (fast?.conjId !== undefined) conjHits++;
        else if (fast) plainHits++;
        if (show(fast) !== show(slow)) disagreements.push(`table ${t} packet ${k}: indexed ${show(fast)}, scan ${show(slow)}\n${lines.join('\n')}`);
      }
      disagreements = disagreements.slice(0, 3);
    }
    expect(disagreements.join('\n\n')).toBe('');
    // The tables exercise both kinds of winners, so agreement covers each.
    expect({ conjHits: conjHits > 1000, plainHits: plainHits > 1000 }).toEqual({ conjHits: true, plainHits: true });
  });

  test('equal priorities: the flow listed first wins, in whichever group it sits', () => {
    const table = new FlowTable(
      parseFlows(['table=0, priority=200,ip,nw_src=10.0.0.1 actions=output:1', 'table=0, priority=200,ip actions=output:2', 'table=0, priority=200,ip,nw_dst=10.0.0.2 actions=output:3'].join('\n')),
    );
    const p = new Packet(parseMatch('ip,nw_src=10.0.0.1,nw_dst=10.0.0.2').map((m) => [m.field, m.value] as [string, bigint]));
    expect(show(table.lookup(p))).toBe(show(table.linearLookup(p)));
    expect(table.lookup(p)?.flow.text).toContain('output:1');
    const q = new Packet(parseMatch('ip,nw_src=10.0.0.7,nw_dst=10.0.0.2').map((m) => [m.field, m.value] as [string, bigint]));
    expect(table.lookup(q)?.flow.text).toContain('output:2');
    expect(parseFlow('table=0, priority=200,ip actions=output:2').priority).toBe(200);
  });

  const cases = ['policies-k8s', 'policies-antrea', 'egress', 'traffic-control', 'node-policies', 'vxlan'];
  test.each(cases)('golden/%s: every lookup of random packets on every Node', (name) => {
    const result = compile(caseSources(join(GOLDEN_DIR, name)));
    expect(result.ok).toBe(true);
    const metas = result.bundles.map((b) => JSON.parse(bundleFile(b, 'bundle.json')) as BundleMeta);
    let lookups = 0;
    const wrong: string[] = [];
    result.bundles.forEach((bundle, i) => {
      const pipeline = new Pipeline(parseFlows(bundleFile(bundle, 'openflow/flows.txt')), parseGroups(bundle.files.get('openflow/groups.txt') ?? ''));
      for (const [id, table] of pipeline.tables) {
        table.lookup = (p: Packet) => {
          const fast = FlowTable.prototype.lookup.call(table, p);
          const slow = table.linearLookup(p);
          lookups++;
          if (show(fast) !== show(slow)) wrong.push(`${bundle.node} table ${id}: indexed ${show(fast)}, scan ${show(slow)}`);
          return fast;
        };
      }
      const r = rng(31 * i + name.length);
      for (let k = 0; k < 120; k++) {
        const p = new Packet(parseMatch(randomFlow(r, metas[i]!, metas)).map((m) => [m.field, m.value] as [string, bigint]));
        new Interpreter(pipeline, new Conntrack()).run(p);
      }
    });
    expect(wrong.slice(0, 5).join('\n')).toBe('');
    expect(lookups).toBeGreaterThan(1000);
  });
});
