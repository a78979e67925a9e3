/**
 * The repository stands alone: every section the source cites exists in docs/, links in the Markdown point at
 * files inside the repository, and nothing but the optional sync check reaches beside it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { POLICY_RULES } from '../compiler/ingest/rules/index.js';
import { REPO_ROOT } from './repoRoot.js';

const SKIP = new Set(['node_modules', 'dist', 'out', '.git']);

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.(ts|md)$|^Makefile$|^run$/.test(name)) out.push(relative(REPO_ROOT, path));
  }
  return out;
}

const FILES = walk(REPO_ROOT);
const text = (f: string) => readFileSync(join(REPO_ROOT, f), 'utf8');

/** Section numbers a Markdown file defines: `## 6.`, `### 6.1`, and each number of a range `### 1.1–1.4`. */
function sections(doc: string): Set<string> {
  const out = new Set<string>();
  for (const m of text(doc).matchAll(/^#{2,4} (\d+[a-z]?)(?:\.(\d+))?\.?(?:[–-](\d+)\.(\d+))? /gm)) {
    const [, major, minor, , toMinor] = m;
    if (minor === undefined) {
      out.add(major!);
      continue;
    }
    for (let i = Number(minor); i <= Number(toMinor ?? minor); i++) out.add(`${major}.${i}`);
  }
  return out;
}

/** `docs/x.md §1.2, §3` → each (doc, section) cited, with where. */
function citations(): { where: string; doc: string; section: string }[] {
  const out: { where: string; doc: string; section: string }[] = [];
  for (const f of FILES.filter((f) => f !== 'test/docs.test.ts')) {
    text(f).split('\n').forEach((line, i) => {
      for (const m of line.matchAll(/(docs\/[\w/.-]+\.md)((?:[ ,/]*(?:and )?§ ?\d+[a-z]?(?:\.\d+)?(?: items? [\d–-]+)?)+)/g)) {
        for (const s of m[2]!.matchAll(/§ ?(\d+[a-z]?(?:\.\d+)?)/g)) out.push({ where: `${f}:${i + 1}`, doc: m[1]!, section: s[1]! });
      }
    });
  }
  return out;
}

describe('the repository stands alone', () => {
  test('every cited section of docs/ exists', () => {
    const cited = citations();
    expect(cited.length).toBeGreaterThan(50);
    const missing = cited.filter((c) => !existsSync(join(REPO_ROOT, c.doc)) || !sections(c.doc).has(c.section));
    expect(missing).toEqual([]);
  });

  test("each admission rule's reference names a section of docs/reference/iptables-egress.md", () => {
    const have = sections('docs/reference/iptables-egress.md');
    for (const rule of POLICY_RULES) {
      for (const s of rule.reference.matchAll(/§(\d+\.\d+)/g)) expect(have.has(s[1]!), `${rule.name}: ${rule.reference}`).toBe(true);
    }
  });

  test('Markdown links point at files inside the repository', () => {
    const md = FILES.filter((f) => f.endsWith('.md'));
    expect(md).toEqual(expect.arrayContaining(['README.md', 'docs/design.md', 'conformance/README.md']));
    const bad: string[] = [];
    for (const f of md) {
      for (const m of text(f).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        const path = resolve(REPO_ROOT, dirname(f), target);
        if (relative(REPO_ROOT, path).startsWith('..') || !existsSync(path)) bad.push(`${f}: ${target}`);
      }
    }
    expect(bad).toEqual([]);
  });

  test('nothing but the optional sync check reaches beside the repository', () => {
    const allowed = new Set(['test/conformanceSync.test.ts', 'test/conformance/cases.ts', 'test/conformance/sync.ts', 'test/docs.test.ts']);
    const reaching = FILES.filter((f) => !allowed.has(f)).flatMap((f) =>
      text(f)
        .split('\n')
        .map((line, i) => ({ where: `${f}:${i + 1}`, line }))
        .filter(({ line }) => /\.\.\/shared|\bDESIGN(\.md)? §/.test(line) && !/conformance-sync-check|sync check/.test(line)),
    );
    expect(reaching).toEqual([]);
  });

  test('the README starts with the two commands', () => {
    const head = text('README.md').split('\n').slice(0, 6).join('\n');
    expect(head).toMatch(/^make demo\b/m);
    expect(head).toMatch(/^make test\b/m);
  });
});
