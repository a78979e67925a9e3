/**
 * One apply as a long-running agent makes it (process started, modules loaded): runs applyBundle once and
 * prints its wall time and report as JSON. The performance test runs it beside `dpc apply` and replace-flows.
 */
import { applyBundle } from '../../runtime/apply.js';

const [dir, node] = process.argv.slice(2);
const t0 = process.hrtime.bigint();
const report = await applyBundle(dir!, { node: node! });
process.stdout.write(`${JSON.stringify({ ms: Number(process.hrtime.bigint() - t0) / 1e6, report })}\n`);
