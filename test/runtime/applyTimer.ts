/**
 * One apply as a long-running agent makes it (process started, modules loaded, an OpenFlow connection to the
 * bridge held): runs applyBundle once on that connection and prints its wall time and report as JSON.
 */
import { join } from 'node:path';
import { applyBundle } from '../../runtime/apply.js';
import { OpenFlowClient } from '../../runtime/openflow/client.js';

const [dir, node, bridge] = process.argv.slice(2);
const of = await OpenFlowClient.open(join(process.env.OVS_RUNDIR!, `${bridge ?? 'br-int'}.mgmt`));
const t0 = process.hrtime.bigint();
const report = await applyBundle(dir!, { node: node!, openflow: of });
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
of.close();
process.stdout.write(`${JSON.stringify({ ms, report })}\n`);
