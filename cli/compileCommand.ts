/**
 * The compile path of the command line (compile, validate, merge): loaded only for those commands, so that a Node
 * running `dpc apply` loads none of it.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { CompileResult } from '../compiler/compile.js';
import type { NodeBundle } from '../targets/bundle/bundle.js';
import { compileInThreads } from './jobs.js';
import { EXIT, type Args } from './main.js';
import { MergeError, mergeShards } from './merge.js';
import { progressLine } from './progress.js';
import { InputError, readInputs } from './sources.js';
import { openBundleWriter, OutputDirError, OutputWriteError, type OutputOptions } from './writeBundles.js';

/**
 * Compile threads when --jobs is not given: one per core but the one this thread needs to receive and write the
 * bundles. Each thread repeats the parse, resolution and every rule's flow family, so on two cores a second compile
 * thread is slower than one (bench cluster-scoped, 1,000 Nodes: 47.1 s and 3.5 GB against 39.5 s and 1.9 GB).
 */
const defaultJobs = (): number => Math.max(1, availableParallelism() - 1);

export async function compileCommand(args: Args, output: OutputOptions): Promise<number> {
  const [{ compile }, { formatDiagnostic }] = await Promise.all([import('../compiler/compile.js'), import('../compiler/diagnostics/diagnostic.js')]);
  if (args.command === 'merge') return mergeCommand(args, output);
  // Each Node's bundle goes to disk as soon as it is rendered (into a staging directory that replaces the output
  // only when the compile succeeds), so memory never holds every bundle at once.
  const writer = args.command === 'compile' ? openBundleWriter(args.out, output) : undefined;
  const sources = readInputs(args.paths, () => readFileSync(0));
  const previous = args.previous.length > 0 ? readInputs(args.previous, () => readFileSync(0)) : undefined;
  const progress = progressLine(!args.quiet && process.stderr.isTTY === true, process.stderr);
  // A compile of the whole cluster or of a --shard runs in threads (cli/jobs.ts: they get a larger young
  // generation), several where they can share the work: a whole compile. --node compiles a few Nodes, and
  // validate renders nothing: both run in this thread.
  const threaded = args.command === 'compile' && args.nodes.length === 0;
  const jobs = threaded && !args.shard ? (args.jobs ?? defaultJobs()) : 1;
  let result: CompileResult;
  try {
    if (threaded) result = await compileInThreads(sources, previous, jobs, writer, progress.update, args.shard);
    else result = compile(sources, {
      nodes: args.nodes,
      validateOnly: args.command === 'validate',
      ...(previous ? { previous } : {}),
      ...(args.shard ? { shard: args.shard } : {}),
      ...(writer ? { onBundle: (b: NodeBundle) => writer.add(b) } : {}),
      onProgress: progress.update,
      });
    if (result.ok && writer) writer.finish(result.manifest);
  } catch (e) {
    writer?.abort();
    throw e;
  } finally {
    progress.done();
  }
  if (!result.ok) writer?.abort();
  printResult(args, result, result.ok && !!writer, formatDiagnostic);
  return result.ok ? EXIT.ok : EXIT.input;
}

/** The exit code of a failure the user can act on (bad input or output directory), undefined for a bug. */
export function exitFor(e: unknown): number | undefined {
  if (e instanceof OutputDirError) return EXIT.usage;
  if (e instanceof InputError || e instanceof OutputWriteError || e instanceof MergeError) return EXIT.input;
  return undefined;
}

/** Columns padded to their widest cell; the last column is not padded. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  '));
}

function mergeCommand(args: Args, output: OutputOptions): number {
  const { nodes, shards } = mergeShards(args.paths, args.out, output);
  if (args.format === 'json') process.stdout.write(`${JSON.stringify({ ok: true, command: 'merge', output: args.out, shards, nodes }, null, 2)}\n`);
  else process.stdout.write(`merged ${shards} shard${shards === 1 ? '' : 's'} into ${args.out}/ (${nodes} Node bundle${nodes === 1 ? '' : 's'})\n`);
  return EXIT.ok;
}

function printResult(args: Args, result: CompileResult, wrote: boolean, formatDiagnostic: (d: CompileResult['diagnostics'][number]) => string): void {
  if (args.format === 'json') {
    const summary = {
      ok: result.ok,
      command: args.command,
      output: wrote ? args.out : null,
      stats: result.stats,
      nodes: result.bundles.map((b) => ({ name: b.node, pods: b.podCount, flows: b.flowCount, digest: `sha256:${b.digest}` })),
      ...(result.trafficControl ? { trafficControl: result.trafficControl } : {}),
      ...(result.egress ? { egress: result.egress } : {}),
      diagnostics: result.diagnostics,
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  for (const d of result.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = result.diagnostics.length - errors;
  const counts = `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  if (!result.ok) {
    process.stderr.write(`dpc: ${args.command} failed: ${counts}; nothing was written\n`);
    return;
  }
  const { stats } = result;
  if (args.command === 'validate') {
    process.stdout.write(`valid: ${stats.objects} objects, ${stats.nodes} Nodes, ${stats.pods} Pods (${counts})\n`);
    return;
  }
  const lines = table([['NODE', 'PODS', 'FLOWS'], ...result.bundles.map((b) => [b.node, String(b.podCount), String(b.flowCount)])]);
  process.stdout.write(
    `compiled ${result.bundles.length} Node bundle${result.bundles.length === 1 ? '' : 's'} from ${stats.objects} objects into ${args.out}/ (${counts})\n${lines.join('\n')}\n`,
  );
  process.stdout.write(trafficControlText(result));
  if (result.egress && result.egress.egresses.length > 0) {
    const rows = result.egress.egresses.map((e) => [e.name, e.ip ?? '-', e.node ?? '-', String(e.pods.length), e.unplaced ? `not placed: ${e.unplaced}` : `${e.placedBy}`]);
    process.stdout.write(`${table([['EGRESS', 'IP', 'NODE', 'PODS', 'PLACED BY'], ...rows]).join('\n')}\n`);
  }
}

/** Per Node, what each TrafficControl captures there and where the traffic goes (nothing when none exist). */
function trafficControlText(result: CompileResult): string {
  let out = '';
  for (const { node, trafficControls, overlaps } of result.trafficControl ?? []) {
    // A TrafficControl that neither captures nor loses a Pod here does nothing here (`--format json` lists it).
    const acting = trafficControls.filter((t) => t.pods.length > 0 || t.lostTo.length > 0);
    if (acting.length === 0) continue;
    out += `TrafficControl on ${node}:\n`;
    for (const t of acting) {
      const to = `${t.target}${t.returnPort ? `, back through ${t.returnPort}` : ''}`;
      const pods = t.pods.length ? t.pods.join(', ') : 'no Pods';
      const lost = t.lostTo.map((l) => `${l.pod} to ${l.trafficControl}`);
      out += `  ${t.trafficControl}: ${t.action} ${t.direction} to ${to}: ${pods}${lost.length ? `; loses ${lost.join(', ')}` : ''}\n`;
    }
    if (overlaps.length > 0) {
      const pairs = overlaps.map((o) => `${o.egress} -> ${o.ingress}`).join(', ');
      out += `  note: between Pods of two TrafficControls (${pairs}), the source's egress flow and the destination's ingress flow match at one priority, and OVS applies only one of them, as on an Antrea Node\n`;
    }
  }
  return out;
}

