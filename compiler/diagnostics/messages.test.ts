/** The catalogue stays a catalogue: unique codes, each in its stage's range, none that no code can reach. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Msg } from './messages.js';
import { REPO_ROOT } from '../../test/repoRoot.js';

const entries = Object.entries(Msg).map(([name, make]) => {
  const args = Array.from({ length: make.length }, () => 'x');
  return { name, ...(make as (...a: string[]) => { code: string; message: string })(...args) };
});

function sourceText(dir: string): string {
  let out = '';
  for (const name of readdirSync(join(REPO_ROOT, dir))) {
    const rel = join(dir, name);
    if (statSync(join(REPO_ROOT, rel)).isDirectory()) out += sourceText(rel);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !rel.endsWith(join('diagnostics', 'messages.ts'))) out += readFileSync(join(REPO_ROOT, rel), 'utf8');
  }
  return out;
}

describe('diagnostic catalogue', () => {
  test('every code is unique', () => {
    const seen = new Map<string, string>();
    for (const e of entries) {
      expect(seen.get(e.code), `${e.code} is used by ${seen.get(e.code)} and ${e.name}`).toBeUndefined();
      seen.set(e.code, e.name);
    }
    expect(entries.length).toBeGreaterThan(50);
  });

  test('every code is DPC and four digits in a stage range (1 ingest, 2 model, 3 config/resolve, 4 allocate, 5 plan)', () => {
    for (const e of entries) expect(e.code, e.name).toMatch(/^DPC[1-5]\d{3}$/);
  });

  test('every message is reported somewhere (no dead codes)', () => {
    const text = ['compiler', 'targets', 'cli', 'runtime'].filter((d) => {
      try {
        return statSync(join(REPO_ROOT, d)).isDirectory();
      } catch {
        return false;
      }
    }).map(sourceText).join('\n');
    const unused = entries.filter((e) => !new RegExp(`\\bMsg\\.${e.name}\\b|\\b${e.name}\\(`).test(text)).map((e) => e.name);
    expect(unused).toEqual([]);
  });
});
