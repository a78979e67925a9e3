/**
 * The dpc command line: argument parsing and output formatting only; all the work is in compiler/.
 * Exit codes: 0 success, 1 input errors, 2 usage errors, 3 internal fault.
 */
import { DPC_VERSION } from '../compiler/version.js';
import { RuntimeError } from '../runtime/tools.js';
import { REVIEW_FORMATS, type ReviewFormat } from './reviewFormats.js';
import { EXPLAIN_HELP } from './explainHelp.js';

export const EXIT = { ok: 0, input: 1, usage: 2, internal: 3 } as const;

const HELP = `dpc ${DPC_VERSION}: compile Kubernetes networking intent into per-Node Antrea dataplane bundles

Usage:
  dpc compile [PATH...|-] [-o DIR [--force]] [--node NAME]... [--shard I/N] [--jobs N] [--previous PATH]... [--format text|json] [--quiet]
  dpc merge SHARD_DIR... [-o DIR [--force]] [--format text|json]
  dpc validate [PATH...|-] [--previous PATH]... [--format text|json]
  dpc inventory [--node NAME] [--bridge BR] [--db unix:PATH] [--format text|json]
  dpc apply BUNDLE_DIR [--node NAME] [--dry-run] [--full] [--db unix:PATH] [--state-dir DIR] [--format text|json]
  dpc status [--bridge BR] [--db unix:PATH] [--format text|json]
  dpc diff --live BUNDLE_DIR [--node NAME] [--db unix:PATH] [--format text|json]
  dpc diff OLD NEW [--format text|json|csv|markdown|sarif|github] [--svg FILE]
  dpc agent BUNDLE_DIR [--node NAME] [--db unix:PATH] [--state-dir DIR]   apply, re-apply on change, answer Reject, export IPFIX
${EXPLAIN_HELP}  dpc --help | --version

explain walks one packet through the compiled flows (of a dpc output, or of a snapshot it compiles first)
and prints each flow it meets, the registers set and the verdict; --traceflow shows Antrea's Traceflow view.
PATH is a file, a directory (read recursively: .yaml, .yml, .json) or - for standard input.
OLD and NEW (dpc diff) are each a snapshot (compiled in memory) or a compile output (a folder with manifest.json);
the diff shows per Node what changed in the bundles and, traced through both sides' flows, which connections
between Pods (and the address ranges policies name) open or close. Exit 0: no difference, 1: differences, 2: error.
On a Node, BUNDLE_DIR is one Node's bundle or a whole compile output; the Node is --node, else $NODE_NAME, else
the host name. Open vSwitch is found as its own tools find it: --db, else $OVS_RUNDIR/db.sock, else
/var/run/openvswitch/db.sock. iptables and ipset act in the current network namespace.

Options:
  -o, --out DIR           where bundles go (default: ./out); replaced whole, only when the compile succeeds,
                          and only when it is missing, empty or an earlier dpc output
      --force             replace DIR even when it holds other files (never the working directory, a
                          directory holding the input, or a git repository)
      --node NAME         compile only this Node (repeatable)
      --shard I/N         compile only shard I of N (every N-th Node in name order, from the I-th); \`dpc merge\`
                          combines the N outputs into exactly the output of one unsharded compile
      --jobs N            plan and render Nodes on N threads (default: the cores available less one, at least
                          one: this thread writes); the output is the same whatever N (each thread parses the
                          snapshot: N times the memory)
      --quiet             no progress line (shown on stderr only when it is a terminal)
      --previous PATH     the snapshot this one replaces, for rules Antrea checks only on update
                          (a Tier's priority is immutable); repeatable like PATH
      --format text|json  human text (default) or JSON for the summary and diagnostics (--output is an alias);
                          dpc diff OLD NEW also takes csv (netpol-analyzer's columns), markdown (a pull-request
                          comment), sarif (SARIF 2.1.0) and github (workflow annotations on the policy lines)
      --svg FILE          dpc diff OLD NEW: also write the connectivity changes as a matrix picture
      --bridge BR         the integration bridge (default: the bundle's, else br-int)
      --db unix:PATH      ovsdb-server's socket
      --state-dir DIR     where apply keeps what it applied (default: $DPC_STATE_DIR, else /var/lib/dpc)
      --dry-run           apply: print the changes, change nothing
      --full              apply: read every owned object from the Node (default: only when re-applying the
                          bundle already applied, or when the Node disagrees with what dpc recorded)
      --live              diff: compare the bundle with the live Node (dpc diff OLD NEW compares two versions)
      --debug             print the stack of an internal fault
  -h, --help              show this help
      --version           print the version

Exit codes: 0 success, 1 input errors (or the output cannot be written; diff: drift or differences; apply: refused
or failed), 2 usage errors (dpc diff OLD NEW: any error, as diff(1)), 3 internal fault.
`;

class UsageError extends Error {}

const NODE_COMMANDS = ['inventory', 'apply', 'status', 'diff', 'agent'] as const;
type NodeCommand = (typeof NODE_COMMANDS)[number];

export interface Args {
  command: 'compile' | 'validate' | 'merge' | 'help' | 'version' | NodeCommand;
  bridge?: string;
  db?: string;
  stateDir?: string;
  dryRun: boolean;
  full: boolean;
  live: boolean;
  /** dpc diff OLD NEW rather than dpc diff --live. */
  review?: boolean;
  paths: string[];
  previous: string[];
  out: string;
  nodes: string[];
  format: 'text' | 'json' | ReviewFormat;
  /** dpc diff OLD NEW: where to write the matrix picture. */
  svg?: string;
  debug: boolean;
  force: boolean;
  quiet: boolean;
  jobs?: number;
  shard?: { index: number; count: number };
}

export function parseArgs(argv: readonly string[]): Args {
  const args: Args = { command: 'help', paths: [], previous: [], out: 'out', nodes: [], format: 'text', debug: false, force: false, quiet: false, dryRun: false, full: false, live: false };
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
        if (!(REVIEW_FORMATS as readonly string[]).includes(f)) throw new UsageError(`${flag} must be text or json (dpc diff OLD NEW also takes csv, markdown, sarif, github), not ${JSON.stringify(f)}`);
        args.format = f as ReviewFormat;
        break;
      }
      case '--svg':
        args.svg = take();
        break;
      case '--debug':
        args.debug = true;
        break;
      case '--bridge':
        args.bridge = take();
        break;
      case '--db':
        args.db = take();
        break;
      case '--state-dir':
        args.stateDir = take();
        break;
      case '--dry-run':
        args.dryRun = true;
        break;
      case '--full':
        args.full = true;
        break;
      case '--live':
        args.live = true;
        break;
      case '--force':
        args.force = true;
        break;
      case '--quiet':
        args.quiet = true;
        break;
      case '--jobs': {
        const v = take();
        if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--jobs wants a number of threads ≥ 1, not ${JSON.stringify(v)}`);
        args.jobs = Number(v);
        break;
      }
      case '--shard': {
        const v = take();
        const m = /^(\d+)\/(\d+)$/.exec(v);
        const index = Number(m?.[1]);
        const count = Number(m?.[2]);
        if (!m || count < 1 || index < 1 || index > count) throw new UsageError(`--shard wants I/N with 1 ≤ I ≤ N (e.g. 1/4), not ${JSON.stringify(v)}`);
        args.shard = { index, count };
        break;
      }
      default:
        if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}`);
        if (command === undefined) command = a;
        else args.paths.push(a);
    }
  }
  if (command === undefined) throw new UsageError('no command given');
  if (command === 'diff' && !args.live && args.paths.length === 2) return reviewArgs(args);
  if (args.svg !== undefined) throw new UsageError('--svg is for dpc diff OLD NEW');
  if (args.format !== 'text' && args.format !== 'json') throw new UsageError(`--format must be text or json for ${command} (${args.format} is for dpc diff OLD NEW)`);
  if ((NODE_COMMANDS as readonly string[]).includes(command)) return nodeArgs(command as NodeCommand, args);
  if (args.dryRun || args.full || args.live || args.db || args.bridge || args.stateDir) throw new UsageError(`${command} takes none of --dry-run, --full, --live, --db, --bridge, --state-dir`);
  if (command !== 'compile' && command !== 'validate' && command !== 'merge') throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  args.command = command;
  if (args.shard && command !== 'compile') throw new UsageError('--shard is for compile');
  if (args.jobs !== undefined && command !== 'compile') throw new UsageError('--jobs is for compile');
  if (args.shard && args.nodes.length > 0) throw new UsageError('--shard and --node choose Nodes both; give one of them');
  if (command === 'merge') {
    if (args.paths.length === 0) throw new UsageError('merge needs the output directories of every shard');
    if (args.previous.length > 0 || args.nodes.length > 0) throw new UsageError('merge takes none of --previous, --node');
    return args;
  }
  if (args.paths.length === 0) throw new UsageError(`${command} needs input: files, directories, or - for standard input`);
  if ([...args.paths, ...args.previous].filter((p) => p === '-').length > 1) throw new UsageError('standard input (-) can be read only once');
  return args;
}

/** dpc diff OLD NEW: two versions compared offline; none of the Node options apply. */
function reviewArgs(args: Args): Args {
  if (args.db || args.bridge || args.stateDir || args.dryRun || args.full || args.force || args.nodes.length || args.previous.length) {
    throw new UsageError('dpc diff OLD NEW takes only --format and --svg');
  }
  if (args.paths.includes('-')) throw new UsageError('dpc diff OLD NEW reads files or directories, not standard input');
  return { ...args, command: 'diff', review: true };
}

function nodeArgs(command: NodeCommand, args: Args): Args {
  const bundleDirs = command === 'apply' || command === 'diff' || command === 'agent' ? 1 : 0;
  if (args.paths.length !== bundleDirs && !(command === 'diff' && !args.live)) throw new UsageError(bundleDirs ? `${command} needs one BUNDLE_DIR` : `${command} takes no paths`);
  if (args.nodes.length > 1) throw new UsageError('--node may be given once here');
  if (args.force) throw new UsageError('--force is for compile');
  if (command === 'diff' && !args.live) throw new UsageError('diff needs --live BUNDLE_DIR (the Node against its bundle) or two operands OLD NEW (two versions)');
  if ((args.dryRun || args.full) && command !== 'apply') throw new UsageError('--dry-run and --full are for apply');
  if (args.live && command !== 'diff') throw new UsageError('--live is for diff');
  return { ...args, command };
}

/** Loaded on demand: a Node's agent runs apply often, and should not pay for loading the compiler. */
async function runNodeCommand(args: Args): Promise<number> {
  const { applyCommand, diffCommand, inventoryCommand, statusCommand } = await import('../runtime/commands.js');
  const opts = {
    // parseArgs refused every other format for these commands.
    format: args.format === 'json' ? ('json' as const) : ('text' as const),
    ...(args.nodes[0] !== undefined ? { node: args.nodes[0] } : {}),
    ...(args.bridge !== undefined ? { bridge: args.bridge } : {}),
    ...(args.db !== undefined ? { db: args.db } : {}),
    ...(args.stateDir !== undefined ? { stateDir: args.stateDir } : {}),
  };
  switch (args.command) {
    case 'inventory':
      return inventoryCommand(opts);
    case 'apply':
      return applyCommand(args.paths[0]!, { ...opts, dryRun: args.dryRun, full: args.full });
    case 'diff':
      return diffCommand(args.paths[0]!, opts);
    case 'agent':
      return (await import('../runtime/agent/agent.js')).agentCommand(args.paths[0]!, opts);
    default:
      return statusCommand(opts);
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'explain') return explainMain(argv.slice(1));
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
  const output = { force: args.force, inputs: [...args.paths, ...args.previous] };
  try {
    if (args.review) {
      const { reviewDiffCommand } = await import('./reviewDiff.js');
      return await reviewDiffCommand(args.paths[0]!, args.paths[1]!, args.format, args.svg);
    }
    if ((NODE_COMMANDS as readonly string[]).includes(args.command)) return await runNodeCommand(args);
    // Loaded here, not at the top: a Node's agent runs apply often and should not pay for loading the compile path.
    return await (await import('./compileCommand.js')).compileCommand(args, output);
  } catch (e) {
    const known = e instanceof RuntimeError ? EXIT.input : (await import('./compileCommand.js')).exitFor(e);
    if (known !== undefined) {
      process.stderr.write(`dpc: ${(e as Error).message}\n`);
      return known;
    }
    process.stderr.write(`dpc: internal error: ${(e as Error).message}\nThis is a bug in dpc; please report it with the input that caused it.\n`);
    if (args.debug) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
    return EXIT.internal;
  }
}



async function explainMain(argv: readonly string[]): Promise<number> {
  const { explainCommand, ExplainUsageError } = await import('./explain.js');
  try {
    return await explainCommand(argv, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
  } catch (e) {
    if (e instanceof ExplainUsageError) {
      process.stderr.write(`dpc: ${e.message}\nRun 'dpc --help' for usage.\n`);
      return EXIT.usage;
    }
    if (e instanceof (await import('./sources.js')).InputError) {
      process.stderr.write(`dpc: ${(e as Error).message}\n`);
      return EXIT.input;
    }
    process.stderr.write(`dpc: internal error: ${(e as Error).message}\nThis is a bug in dpc; please report it with the input that caused it.\n`);
    if (argv.includes('--debug')) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
    return EXIT.internal;
  }
}
