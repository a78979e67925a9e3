// The repository's conformance cases are a copy of an upstream tree (the `shared` folder beside the repository,
// where the cases are transcribed). This compares the two for the suites the repository holds, so a case that
// changed or appeared upstream is noticed; suites of features not built yet are left out on purpose.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { suitesIn } from './cases.js';

export interface SyncReport {
  /** One line per file that is not the same on both sides: `suite/file: what`. */
  differences: string[];
  /** Upstream suites the repository does not hold (cases of features still being built). */
  notHeld: string[];
}

/** Files below `dir`, relative to it, sorted; none when it does not exist. */
function filesUnder(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path, `${prefix}${name}/`));
    else out.push(`${prefix}${name}`);
  }
  return out;
}

function sameBytes(a: string, b: string): boolean {
  return readFileSync(a).equals(readFileSync(b));
}

/**
 * Every file of a held suite must exist on both sides with the same bytes; every fixture the repository holds
 * must be upstream's. Upstream fixtures the repository does not hold belong to suites it does not hold.
 */
export function compareWithUpstream(repoDir: string, upstreamDir: string): SyncReport {
  const differences: string[] = [];
  const held = suitesIn(repoDir);
  for (const suite of held) {
    const ours = filesUnder(join(repoDir, suite));
    const theirs = filesUnder(join(upstreamDir, suite));
    if (!existsSync(join(upstreamDir, suite))) {
      differences.push(`${suite}/: not upstream`);
      continue;
    }
    const oursSet = new Set(ours);
    const theirsSet = new Set(theirs);
    for (const f of theirs) {
      if (!oursSet.has(f)) differences.push(`${suite}/${f}: upstream only (copy it into conformance/${suite}/)`);
      else if (!sameBytes(join(repoDir, suite, f), join(upstreamDir, suite, f))) differences.push(`${suite}/${f}: differs`);
    }
    for (const f of ours) if (!theirsSet.has(f)) differences.push(`${suite}/${f}: not upstream`);
  }
  for (const f of filesUnder(join(repoDir, 'fixtures'))) {
    const upstream = join(upstreamDir, 'fixtures', f);
    if (!existsSync(upstream)) differences.push(`fixtures/${f}: not upstream`);
    else if (!sameBytes(join(repoDir, 'fixtures', f), upstream)) differences.push(`fixtures/${f}: differs`);
  }
  const notHeld = existsSync(upstreamDir) ? suitesIn(upstreamDir).filter((s) => !held.includes(s)) : [];
  return { differences, notHeld };
}
