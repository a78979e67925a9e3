/**
 * Reject is answered by the agent (runtime/agent), and the conformance runner counts a cell as rejected only when
 * that answer reaches the sender's own port: these runs take the answer away (or add one where none is due) and the
 * Reject cases must then fail on exactly the cells concerned. The cases as they are pass in conformanceCases.test.ts.
 */
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import { Agent } from '../runtime/agent/agent.js';
import { cleanupAll, requireOvs } from './harness/ovs.js';
import { CONFORMANCE_DIR, loadCases, probeLabel, type Cell } from './conformance/cases.js';
import { runCases } from './conformance/runner.js';

const HAVE_OVS = requireOvs();
afterAll(cleanupAll);
afterEach(() => vi.restoreAllMocks());

type Handler = (this: Agent, ...args: unknown[]) => void;
const proto = Agent.prototype as unknown as Record<'reject' | 'packetIn', Handler>;

async function run(suite: string, ids: string[]) {
  const lines: string[] = [];
  const summary = await runCases(join(CONFORMANCE_DIR, suite), { only: ids, log: (l) => lines.push(l), tracesPerCheck: 0 });
  return { summary, text: lines.join('\n') };
}

/** The Reject cells of the cases (matrix and flow checks), each with whether sender and destination share a Node. */
function rejectCells(suite: string, ids: string[]): { label: string; sameNode: boolean }[] {
  const { cases } = loadCases(join(CONFORMANCE_DIR, suite), { only: ids });
  return cases.flatMap((c) =>
    c.steps.flatMap((s) => {
      const nodeOf = new Map(s.pods.map((p) => [p.key, p.node]));
      const cells: Cell[] = s.checks.flatMap((ch) => (ch.kind === 'matrix' ? ch.cells : ch.kind === 'flow' || ch.kind === 'flowrecord' ? [ch.cell] : []));
      return cells
        .filter((cell) => cell.expected === 'reject')
        .map((cell) => ({ label: probeLabel(cell), sameNode: 'pod' in cell.to && nodeOf.get(cell.from) === nodeOf.get(cell.to.pod) }));
    }),
  );
}

describe.skipIf(!HAVE_OVS)('Reject answers on real OVS', () => {
  test('without the agent\'s answer every Reject cell fails, as a drop', async () => {
    vi.spyOn(proto, 'reject').mockImplementation(() => undefined);
    const ids = ['antrea-e2e/acnp-reject-ingress-udp'];
    const cells = rejectCells('antrea-e2e', ids);
    expect(cells.length).toBeGreaterThan(4);
    const { summary, text } = await run('antrea-e2e', ids);
    expect(summary.failed).toBe(ids.length);
    const wrong = text.split('\n').filter((l) => l.includes('!! '));
    for (const c of cells) {
      const line = wrong.find((l) => l.includes(`!! ${c.label}: `));
      expect(line, c.label).toMatch(/expected reject, got drop: left nowhere.*; sent to the controller with the reject operation on .*, but no answer reached the sender's port/);
    }
    expect(wrong).toHaveLength(cells.length);
  }, 300_000);

  test('answering only senders on the rejecting Node fails exactly the cells whose sender is on another Node', async () => {
    const original = proto.reject;
    vi.spyOn(proto, 'reject').mockImplementation(function (this: Agent, ...args: unknown[]) {
      const f = args[1] as { srcIp: string };
      const live = (this as unknown as { live: { macs: Map<string, unknown> } }).live;
      if (live.macs.has(f.srcIp)) original.apply(this, args);
    });
    const ids = ['antrea-e2e/acnp-reject-ingress-tcp'];
    const cells = rejectCells('antrea-e2e', ids);
    expect(cells.some((c) => c.sameNode) && cells.some((c) => !c.sameNode)).toBe(true);
    const { text } = await run('antrea-e2e', ids);
    for (const c of cells) {
      if (c.sameNode) expect(text).not.toContain(`!! ${c.label}:`);
      else expect(text).toContain(`!! ${c.label}: expected reject, got drop`);
    }
    const flowrecord = await run('antrea-flowexporter', ['antrea-flowexporter/inter-node-annp-ingress-reject']);
    expect(flowrecord.summary.failed).toBe(1);
    expect(flowrecord.text).toMatch(/!! verdict: expected reject, got drop: .*, but no answer reached the sender's port/);
  }, 300_000);

  test('an agent that answered Drop packet-ins too would fail the Drop cells', async () => {
    const original = proto.packetIn;
    // Store-deny packet-ins (operation 0b100) come from Drop rules when the FlowExporter gate is on.
    vi.spyOn(proto, 'packetIn').mockImplementation(function (this: Agent, ...args: unknown[]) {
      const p = args[0] as { userdata?: Buffer };
      const ud = p.userdata && p.userdata.length >= 2 ? Buffer.from([p.userdata[0]!, p.userdata[1]! | 0b10]) : p.userdata;
      original.call(this, { ...p, ...(ud ? { userdata: ud } : {}) });
    });
    const ids = ['antrea-flowexporter/inter-node-annp-egress-drop'];
    const { summary, text } = await run('antrea-flowexporter', ids);
    expect(summary.failed, text).toBe(ids.length);
    expect(text.match(/!! verdict: expected drop, got reject: answered at the sender's port/g)).toHaveLength(ids.length);
  }, 300_000);
});
