// dpc's conformance runner: `node dist/test/conformance/cli.js DIR [--case ID]... [--verbose] [--jobs N]`.
// Runs every case file under DIR on real Open vSwitch instances; exits 1 on any wrong cell or case error.

import { existsSync } from 'node:fs';
import { ovsAvailability } from '../harness/ovs.js';
import { runCases } from './runner.js';

const USAGE = `usage: node dist/test/conformance/cli.js DIR [--case ID]... [--verbose] [--jobs N] [--traces N]

Runs every conformance case under DIR (a case's fixture is looked up in the nearest fixtures/ folder at or
above it), each on its own Open vSwitch instances, one per Node, with real packets.
  --case ID     run only this case (repeatable)
  --verbose     print every cell's evidence and the compile diagnostics
  --jobs N      run N cases at once (default 1)
  --traces N    ofproto/trace excerpts per check for wrong cells (default 3)
Exit status: 0 when every cell matches, 1 on any mismatch or case error, 2 on usage errors.`;

function usage(message?: string): never {
  if (message) process.stderr.write(`${message}\n`);
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<number> {
  let dir: string | undefined;
  const only: string[] = [];
  let verbose = false;
  let jobs = 1;
  let traces = 3;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--case') only.push(value());
    else if (a.startsWith('--case=')) only.push(a.slice(7));
    else if (a === '--verbose' || a === '-v') verbose = true;
    else if (a === '--jobs' || a === '-j') jobs = Number(value());
    else if (a.startsWith('--jobs=')) jobs = Number(a.slice(7));
    else if (a === '--traces') traces = Number(value());
    else if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    } else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (dir === undefined) dir = a;
    else usage(`one DIR only (got ${dir} and ${a})`);
  }
  if (!dir) usage('DIR is required');
  if (!existsSync(dir)) usage(`${dir}: no such file or directory`);
  if (!Number.isInteger(jobs) || jobs < 1) usage('--jobs wants a positive integer');
  if (!Number.isInteger(traces) || traces < 0) usage('--traces wants a number');
  const ovs = ovsAvailability();
  if (!ovs.ok) {
    process.stderr.write(`${ovs.why}\n`);
    return 1;
  }
  const summary = await runCases(dir, { only, verbose, jobs, tracesPerCheck: traces });
  return summary.failed === 0 && summary.passed > 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`conformance runner failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
