/**
 * `dpc explain INPUT --from NS/POD|IP --to NS/POD|IP --protocol P ...`: argument parsing and output only; the walk is
 * review/explain. INPUT is a compiled output (a `dpc compile -o` folder or one Node's folder) or a snapshot, which is
 * compiled in memory first. Exit codes: 0 explained (whatever the verdict), 1 input errors, 2 usage errors.
 */
import { readFileSync } from 'node:fs';
import { readInputs } from './sources.js';
import { readBundleOutput } from './readBundles.js';

export class ExplainUsageError extends Error {}

export interface ExplainArgs {
  paths: string[];
  spec: import('../review/explain/trace.js').PacketSpec;
  format: 'text' | 'json';
  traceflow: boolean;
}

export { EXPLAIN_HELP } from './explainHelp.js';

const endpoint = (v: string): { pod: string } | { ip: string } => (/^\d+\.\d+\.\d+\.\d+$/.test(v) ? { ip: v } : v.includes('/') ? { pod: v } : { pod: `default/${v}` });

function int(v: string, flag: string, max: number): number {
  if (!/^\d+$/.test(v) || Number(v) > max) throw new ExplainUsageError(`${flag} must be a number from 0 to ${max}, not ${JSON.stringify(v)}`);
  return Number(v);
}

export function parseExplainArgs(argv: readonly string[]): ExplainArgs {
  const paths: string[] = [];
  const o: Record<string, string> = {};
  let traceflow = false;
  let format: 'text' | 'json' = 'text';
  if (argv.includes('--debug')) argv = argv.filter((a) => a !== '--debug');
  const flags = ['--from', '--to', '--protocol', '--port', '--source-port', '--icmp-type', '--icmp-code', '--state', '--node', '--format', '--output'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    if (flag === '--traceflow') {
      traceflow = true;
      continue;
    }
    if (flags.includes(flag)) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new ExplainUsageError(`${flag} needs a value`);
      o[flag === '--output' ? '--format' : flag] = v;
      continue;
    }
    if (a.startsWith('-') && a !== '-') throw new ExplainUsageError(`unknown option ${a}`);
    paths.push(a);
  }
  if (paths.length === 0) throw new ExplainUsageError('explain needs input: a compiled output, or a snapshot to compile');
  if (o['--format'] !== undefined) {
    if (o['--format'] !== 'text' && o['--format'] !== 'json') throw new ExplainUsageError(`--format must be text or json, not ${JSON.stringify(o['--format'])}`);
    format = o['--format'];
  }
  for (const need of ['--from', '--to', '--protocol']) if (o[need] === undefined) throw new ExplainUsageError(`explain needs ${need}`);
  const protocol = o['--protocol']!.toUpperCase();
  if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'SCTP' && protocol !== 'ICMP') throw new ExplainUsageError(`--protocol must be TCP, UDP, SCTP or ICMP, not ${JSON.stringify(o['--protocol'])}`);
  const spec: ExplainArgs['spec'] = { from: endpoint(o['--from']!), to: endpoint(o['--to']!), protocol };
  if (protocol === 'ICMP') {
    if (o['--port'] !== undefined || o['--source-port'] !== undefined) throw new ExplainUsageError('ICMP has no ports: use --icmp-type and --icmp-code');
    spec.icmp = { type: int(o['--icmp-type'] ?? '8', '--icmp-type', 255), code: int(o['--icmp-code'] ?? '0', '--icmp-code', 255) };
  } else {
    if (o['--icmp-type'] !== undefined || o['--icmp-code'] !== undefined) throw new ExplainUsageError('--icmp-type and --icmp-code are for ICMP');
    if (o['--port'] === undefined) throw new ExplainUsageError(`a ${protocol} packet needs --port`);
    spec.port = int(o['--port'], '--port', 65535);
    if (o['--source-port'] !== undefined) spec.sourcePort = int(o['--source-port'], '--source-port', 65535);
  }
  if (o['--state'] !== undefined) {
    if (o['--state'] !== 'new' && o['--state'] !== 'established') throw new ExplainUsageError(`--state must be new or established, not ${JSON.stringify(o['--state'])}`);
    spec.state = o['--state'];
  }
  if (o['--node'] !== undefined) spec.node = o['--node'];
  return { paths, spec, format, traceflow };
}

/** Runs the command; returns the exit code. Errors of the input are printed here; usage errors are thrown. */
export async function explainCommand(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const args = parseExplainArgs(argv);
  const [{ compile }, { formatDiagnostic }, trace, render] = await Promise.all([
    import('../compiler/compile.js'),
    import('../compiler/diagnostics/diagnostic.js'),
    import('../review/explain/trace.js'),
    import('../review/explain/render.js'),
  ]);
  const output = args.paths.length === 1 ? readBundleOutput(args.paths[0]!) : undefined;
  let bundles: import('../review/explain/trace.js').Bundles;
  if (output) bundles = trace.loadBundles(output);
  else {
    const sources = readInputs(args.paths, () => readFileSync(0));
    const result = compile(sources);
    if (!result.ok) {
      for (const d of result.diagnostics.filter((x) => x.severity === 'error')) err(`${formatDiagnostic(d)}\n`);
      err('dpc: explain: the snapshot does not compile; nothing to explain\n');
      return 1;
    }
    bundles = trace.loadBundles(result, { sources });
  }
  let t: import('../review/explain/trace.js').Trace;
  try {
    t = trace.tracePacket(bundles, args.spec);
  } catch (e) {
    if (e instanceof trace.ExplainError) {
      err(`dpc: explain: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  if (args.format === 'json') out(`${JSON.stringify(args.traceflow ? render.traceflowStatus(t) : t, null, 2)}\n`);
  else out(args.traceflow ? render.renderText(t).slice(render.renderText(t).indexOf('traceflow:')) : render.renderText(t));
  return 0;
}
