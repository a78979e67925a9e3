/**
 * The dpc command line: argument parsing and output formatting only; all the work is in compiler/.
 * Exit codes: 0 success, 1 input errors, 2 usage errors, 3 internal fault.
 */
import { readFileSync } from 'node:fs';
import { compile, type CompileResult } from '../compiler/compile.js';
import { formatDiagnostic } from '../compiler/diagnostics/diagnostic.js';
import { DPC_VERSION } from '../compiler/version.js';
import { InputError, readInputs } from './sources.js';
import { writeBundles } from './writeBundles.js';

const EXIT = { ok: 0, input: 1, usage: 2, internal: 3 } as const;

const HELP = `dpc ${DPC_VERSION}: compile Kubernetes networking intent into per-Node Antrea dataplane bundles

Usage:
  dpc compile [PATH...|-] [-o DIR] [--node NAME]... [--previous PATH]... [--format text|json]
  dpc validate [PATH...|-] [--previous PATH]... [--format text|json]
  dpc --help | --version

PATH is a file, a directory (read recursively: .yaml, .yml, .json) or - for standard input.

Options:
  -o, --out DIR           where bundles go (default: ./out); replaced whole, only when the compile succeeds
      --node NAME         compile only this Node (repeatable)
      --previous PATH     the snapshot this one replaces, for rules Antrea checks only on update
                          (a Tier's priority is immutable); repeatable like PATH
      --format text|json  human text (default) or JSON for the summary and diagnostics (--output is an alias)
      --debug             print the stack of an internal fault
  -h, --help              show this help
      --version           print the version

Exit codes: 0 success, 1 input errors, 2 usage errors, 3 internal fault.
`;

class UsageError extends Error {}

interface Args {
  command: 'compile' | 'validate' | 'help' | 'version';
  paths: string[];
  previous: string[];
  out: string;
  nodes: string[];
  format: 'text' | 'json';
  debug: boolean;
}

export function parseArgs(argv: readonly string[]): Args {
  const args: Args = { command: 'help', paths: [], previous: [], out: 'out', nodes: [], format: 'text', debug: false };
  let command: string | undefined;
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || (v.startsWith('-') && v !== '-')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    const take = (): string => {
      if (inline !== undefined) return inline;
      const v = value(i, flag);
      i++;
      return v;
    };
    switch (flag) {
      case '-h':
      case '--help':
        return { ...args, command: 'help' };
      case '--version':
        return { ...args, command: 'version' };
      case '-o':
      case '--out':
        args.out = take();
        break;
      case '--node':
        args.nodes.push(take());
        break;
      case '--previous':
        args.previous.push(take());
        break;
      case '--format':
      case '--output': {
        const f = take();
        if (f !== 'text' && f !== 'json') throw new UsageError(`${flag} must be text or json, not ${JSON.stringify(f)}`);
        args.format = f;
        break;
      }
      case '--debug':
        args.debug = true;
        break;
      default:
        if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}`);
        if (command === undefined) command = a;
        else args.paths.push(a);
    }
  }
  if (command === undefined) throw new UsageError('no command given');
  if (command !== 'compile' && command !== 'validate') throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  args.command = command;
  if (args.paths.length === 0) throw new UsageError(`${command} needs input: files, directories, or - for standard input`);
  if ([...args.paths, ...args.previous].filter((p) => p === '-').length > 1) throw new UsageError('standard input (-) can be read only once');
  return args;
}

/** Columns padded to their widest cell; the last column is not padded. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  '));
}

function printResult(args: Args, result: CompileResult, wrote: boolean): void {
  if (args.format === 'json') {
    const summary = {
      ok: result.ok,
      command: args.command,
      output: wrote ? args.out : null,
      stats: result.stats,
      nodes: result.bundles.map((b) => ({ name: b.node, pods: b.podCount, flows: b.flowCount, digest: `sha256:${b.digest}` })),
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
  if (result.egress && result.egress.egresses.length > 0) {
    const rows = result.egress.egresses.map((e) => [e.name, e.ip ?? '-', e.node ?? '-', String(e.pods.length), e.unplaced ? `not placed: ${e.unplaced}` : `${e.placedBy}`]);
    process.stdout.write(`${table([['EGRESS', 'IP', 'NODE', 'PODS', 'PLACED BY'], ...rows]).join('\n')}\n`);
  }
}

export function main(argv: readonly string[]): number {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`dpc: ${e.message}\nRun 'dpc --help' for usage.\n`);
    return EXIT.usage;
  }
  if (args.command === 'help') {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  if (args.command === 'version') {
    process.stdout.write(`dpc ${DPC_VERSION}\n`);
    return EXIT.ok;
  }
  try {
    const sources = readInputs(args.paths, () => readFileSync(0, 'utf8'));
    const previous = args.previous.length > 0 ? readInputs(args.previous, () => readFileSync(0, 'utf8')) : undefined;
    const result = compile(sources, { nodes: args.nodes, validateOnly: args.command === 'validate', ...(previous ? { previous } : {}) });
    const write = result.ok && args.command === 'compile';
    if (write) writeBundles(args.out, result.bundles, result.manifest);
    printResult(args, result, write);
    return result.ok ? EXIT.ok : EXIT.input;
  } catch (e) {
    if (e instanceof InputError) {
      process.stderr.write(`dpc: ${e.message}\n`);
      return EXIT.input;
    }
    process.stderr.write(`dpc: internal error: ${(e as Error).message}\nThis is a bug in dpc; please report it with the input that caused it.\n`);
    if (args.debug) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
    return EXIT.internal;
  }
}


