// One machine-wide lock for measurements that need the machine's throughput to themselves (iperf3 streams
// through a userspace switch): test files run in parallel workers, and two such streams at once would each
// measure half a machine. The lock is a file created exclusively, holding its owner's PID; a file whose owner
// has died is taken over.

import { openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning } from './ovs.js';

export async function withHostLock<T>(name: string, work: () => Promise<T>, timeoutMs = 600_000): Promise<T> {
  const path = join(tmpdir(), `dpc-${name}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = 0;
      try {
        owner = Number(readFileSync(path, 'utf8'));
      } catch {
        continue; // released between the two calls
      }
      // A file still empty was just created by its owner, which is writing its PID.
      if (owner > 0 && !isRunning(owner)) rmSync(path, { force: true });
      else if (Date.now() > deadline) throw new Error(`${path} held by process ${owner} for over ${timeoutMs / 1000} s`);
      else await sleep(200);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(path, { force: true });
  }
}
