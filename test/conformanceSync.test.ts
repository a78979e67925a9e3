/**
 * The repository's conformance cases against their upstream copy, when one sits beside the repository
 * (shared/conformance next to it, or DPC_SHARED_DIR/conformance). A user's clone has none: the check then skips
 * and says why, under CI too, since the cases the suite runs are the repository's own.
 * `make conformance-sync-check` runs this file alone.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { CONFORMANCE_DIR, sharedDir } from './conformance/cases.js';
import { compareWithUpstream } from './conformance/sync.js';

const UPSTREAM = join(sharedDir(), 'conformance');
const present = existsSync(UPSTREAM);

describe('conformance cases in sync with upstream', () => {
  if (!present) {
    const why = `no upstream copy at ${UPSTREAM}: nothing to compare (the repository's cases are complete on their own)`;
    process.stderr.write(`conformance sync check skipped: ${why}\n`);
    test.skip(`skipped: ${why}`, () => undefined);
    return;
  }
  test(`every case of the held suites is upstream's, byte for byte (${UPSTREAM})`, () => {
    const report = compareWithUpstream(CONFORMANCE_DIR, UPSTREAM);
    if (report.notHeld.length) process.stderr.write(`upstream suites not held yet (their features join with their cases): ${report.notHeld.join(', ')}\n`);
    expect(report.differences).toEqual([]);
  });
});

describe('the sync comparison', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  function trees(): { repo: string; upstream: string } {
    const root = mkdtempSync(join(tmpdir(), 'dpc-sync-'));
    dirs.push(root);
    const upstream = join(root, 'upstream');
    for (const f of ['s1/a.yaml', 's1/b.yaml', 's2/c.yaml', 'fixtures/f1.yaml', 'fixtures/f2.yaml', 'README.md']) {
      mkdirSync(join(upstream, f, '..'), { recursive: true });
      writeFileSync(join(upstream, f), `${f}\n`);
    }
    const repo = join(root, 'repo');
    mkdirSync(join(repo, 'fixtures'), { recursive: true });
    cpSync(join(upstream, 's1'), join(repo, 's1'), { recursive: true });
    cpSync(join(upstream, 'fixtures/f1.yaml'), join(repo, 'fixtures/f1.yaml'));
    return { repo, upstream };
  }

  test('an exact copy of the held suites has no difference; unheld suites are listed apart', () => {
    const { repo, upstream } = trees();
    expect(compareWithUpstream(repo, upstream)).toEqual({ differences: [], notHeld: ['s2'] });
  });

  test('a changed case, a case missing on either side and a changed fixture are each reported', () => {
    const { repo, upstream } = trees();
    writeFileSync(join(repo, 's1/a.yaml'), 'edited\n');
    rmSync(join(repo, 's1/b.yaml'));
    writeFileSync(join(repo, 's1/mine.yaml'), 'x\n');
    writeFileSync(join(upstream, 'fixtures/f1.yaml'), 'moved on\n');
    expect(compareWithUpstream(repo, upstream).differences).toEqual([
      's1/a.yaml: differs',
      's1/b.yaml: upstream only (copy it into conformance/s1/)',
      's1/mine.yaml: not upstream',
      'fixtures/f1.yaml: differs',
    ]);
  });
});
