/**
 * Issue 12's apply target: on a Node with 50,000 flows, applying a bundle that differs by one rule, against
 * `ovs-ofctl --bundle replace-flows` for the same change from the same state. Three ways of applying are timed,
 * round by round so load on the shared machine hits them alike:
 *   - replace-flows: OVS's own diff-and-bundle of the whole flow table (the reference);
 *   - the `dpc apply` command (Node.js start included);
 *   - the agent's in-process apply: applyBundle in this running process over the agent's OpenFlow connection,
 *     as `dpc agent` applies each new bundle.
 * Prints the medians, their ratios to replace-flows, the CPU time of this process's applies and the load average,
 * and the command's floor: `node -e 0` and an empty OpenFlow bundle committed on a fresh connection.
 * The bench runs in a network namespace of its own (the bundle's iptables and ipsets never reach the host's), and
 * the command with the environment a Node's DaemonSet gives it: no NODE_EXTRA_CA_CERTS, which a developer shell may
 * set and which makes Node.js parse a whole CA bundle before it starts (60–90 ms here); dpc speaks no TLS.
 *
 *   node dist/bench/apply.js [--flows 50000] [--runs 5] [--json]
 */

import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { applyBundle } from '../runtime/apply.js';
import { OpenFlowClient } from '../runtime/openflow/client.js';
import { commitBundle } from '../runtime/openflow/bundle.js';
import { cleanupAll, requireOvs, startOvs } from '../test/harness/ovs.js';
import { addPodsAssumedBy, compileTo, dpc, goldenInput, nodeEnv, stateDirFor } from '../test/runtime/node.js';
import { grownBundles } from '../test/runtime/scale.js';
import { removeTempDirs } from '../test/harness/tempDir.js';
import { sortDumpedFlows } from '../targets/openflow/render.js';

const NODE = 'solo';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const since = (t: bigint): number => Number(process.hrtime.bigint() - t) / 1e6;

async function main(): Promise<void> {
  const flows = arg('--flows', 50_000);
  const runs = arg('--runs', 5);
  const json = process.argv.includes('--json');
  if (!requireOvs()) throw new Error('Open vSwitch binaries are needed (make deps)');
  const ovs = await startOvs();
  try {
    const state = stateDirFor(ovs);
    const { v1, v2, v1Flows, v2Flows, v2Lines } = grownBundles(NODE, flows, (node) => compileTo(goldenInput('one-node'), [node]));
    addPodsAssumedBy(ovs, v1, NODE);

    // The command runs in this process's namespace (null), so both ways of applying meet the same host rules.
    Object.assign(process.env, nodeEnv(ovs, state));
    delete process.env.NODE_EXTRA_CA_CERTS;
    const asOnNode = { NODE_EXTRA_CA_CERTS: undefined };
    const check = (what: string, ok: boolean): void => {
      if (!ok) throw new Error(`bench: ${what}`);
    };
    const toV1 = (): void => check('dpc apply v1', dpc(ovs, state, ['apply', v1, '--node', NODE], asOnNode, null).code === 0);
    toV1();
    const of = await OpenFlowClient.open(join(ovs.dir, `${ovs.bridge}.mgmt`));
    const changes = (kinds: { changes: string[] }[]): number => kinds.reduce((n, k) => n + k.changes.length, 0);
    // One untimed in-process apply each way, so this process's code is loaded and compiled as a running agent's is.
    await applyBundle(v2, { node: NODE, openflow: of });
    await applyBundle(v1, { node: NODE, openflow: of });

    const times = { replace: [] as number[], command: [] as number[], agent: [] as number[], agentCpu: [] as number[], nodeStart: [] as number[], emptyBundle: [] as number[] };
    for (let i = 0; i < runs; i++) {
      let f = process.hrtime.bigint();
      spawnSync(process.execPath, ['-e', '0'], { env: process.env });
      times.nodeStart.push(since(f));
      f = process.hrtime.bigint();
      const fresh = await OpenFlowClient.open(join(ovs.dir, `${ovs.bridge}.mgmt`));
      await commitBundle(fresh, [], process.pid);
      fresh.close();
      times.emptyBundle.push(since(f));

      let t = process.hrtime.bigint();
      ovs.ofctl('--bundle', 'replace-flows', ovs.bridge, v2Flows);
      times.replace.push(since(t));
      ovs.ofctl('--bundle', 'replace-flows', ovs.bridge, v1Flows);

      t = process.hrtime.bigint();
      const r = dpc(ovs, state, ['apply', v2, '--node', NODE, '--format', 'json'], asOnNode, null);
      times.command.push(since(t));
      check(`dpc apply v2: ${r.stderr}`, r.code === 0 && changes((JSON.parse(r.stdout) as { kinds: { changes: string[] }[] }).kinds) === 2);
      check('v2 on the bridge', sortDumpedFlows(ovs.dumpFlows()).join('\n') === v2Lines.join('\n'));
      toV1();

      const cpu = process.cpuUsage();
      t = process.hrtime.bigint();
      const report = await applyBundle(v2, { node: NODE, openflow: of });
      times.agent.push(since(t));
      const used = process.cpuUsage(cpu);
      times.agentCpu.push((used.user + used.system) / 1000);
      check('in-process apply: the two-flow change', changes(report.kinds) === 2);
      check('v2 on the bridge', sortDumpedFlows(ovs.dumpFlows()).join('\n') === v2Lines.join('\n'));
      toV1();
    }
    of.close();
    const rep = median(times.replace);
    const result = {
      flows,
      runs,
      replaceFlowsMs: rep,
      commandMs: median(times.command),
      commandRatio: median(times.command) / rep,
      agentMs: median(times.agent),
      agentRatio: median(times.agent) / rep,
      agentCpuMs: median(times.agentCpu),
      nodeStartMs: median(times.nodeStart),
      emptyBundleMs: median(times.emptyBundle),
      floorRatio: (median(times.nodeStart) + median(times.emptyBundle)) / rep,
      target: 0.1,
      loadavg: loadavg(),
      cores: cpus().length,
      samples: times,
    };
    if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      const f = (ms: number): string => `${ms.toFixed(1)} ms`;
      process.stdout.write(
        [
          `apply on a Node with ${flows} flows, one rule changed (2 flows), median of ${runs}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores`,
          `  ovs-ofctl --bundle replace-flows       ${f(rep)}`,
          `  dpc apply command                      ${f(result.commandMs)}  ratio ${result.commandRatio.toFixed(3)} (Node.js start included)`,
          `  floor: node -e 0 ${f(result.nodeStartMs)} + empty OpenFlow bundle on a new connection ${f(result.emptyBundleMs)}  ratio ${result.floorRatio.toFixed(3)}`,
          `  agent in-process apply                 ${f(result.agentMs)}  ratio ${result.agentRatio.toFixed(3)}  CPU ${f(result.agentCpuMs)}  target ≤ ${result.target}: ${result.agentRatio <= result.target ? 'met' : 'missed'}`,
          '',
        ].join('\n'),
      );
    }
  } finally {
    await cleanupAll();
    removeTempDirs();
  }
}

// Into a network namespace of its own first (unshare -n), then the bench proper.
const run = process.env.DPC_BENCH_NETNS ? main() : reexecInNetns();

async function reexecInNetns(): Promise<void> {
  const r = spawnSync('unshare', ['-n', process.execPath, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, DPC_BENCH_NETNS: '1' } });
  if (r.status !== 0) throw new Error(`bench in its own network namespace (unshare -n): ${r.error?.message ?? `exit ${r.status}`}`);
}

run.catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});

