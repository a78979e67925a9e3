/** `make golden-update`: rewrites every golden/<case>/expected tree from the current compiler. Review the diff. */
import { join } from 'node:path';
import { GOLDEN_DIR, listCases, renderCase, writeExpected } from './golden.js';

for (const name of listCases()) {
  writeExpected(join(GOLDEN_DIR, name), renderCase(join(GOLDEN_DIR, name)));
  process.stdout.write(`updated golden/${name}/expected\n`);
}
