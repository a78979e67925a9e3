/**
 * The fast YAML reader (compiler/ingest/fastYaml.ts) against the full parser: a text it accepts must read exactly
 * as the full parser reads it, with no error; anything else must be left to the full parser. And a diagnostic in a
 * file the fast reader read carries the position the full parser's file would have given.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readYamlFast } from '../compiler/ingest/fastYaml.js';
import { readYamlPrecisely } from '../compiler/ingest/documents.js';
import { compile } from '../compiler/compile.js';
import { formatDiagnostic } from '../compiler/diagnostics/diagnostic.js';
import { clusterSources, twoNodes } from './fixtures/clusters.js';
import { generateSnapshot } from '../bench/generate.js';
import { generateAntreaShape } from '../bench/antreaShapes.js';
import { REPO_ROOT } from './repoRoot.js';

/** Which reader read `text`; fails when the fast reader accepted a text the full parser reads otherwise. */
function pathOf(text: string): 'fast' | 'full' {
  const fast = readYamlFast(text);
  if (fast === undefined) return 'full';
  const full = readYamlPrecisely(text);
  expect(full.flatMap((d) => ('errors' in d ? d.errors : [])), JSON.stringify(text)).toEqual([]);
  expect(fast, JSON.stringify(text)).toStrictEqual(full.map((d) => ('value' in d ? d.value : undefined)));
  return 'fast';
}

const KUBECTL_POD = `apiVersion: v1
kind: Pod
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"v1","kind":"Pod"}
  creationTimestamp: "2024-05-01T10:00:00Z"
  labels:
    app: web
    app.kubernetes.io/name: web
    tier: "on"
  name: web-1
  namespace: shop
  resourceVersion: "1234"
spec:
  containers:
  - image: nginx:1.25
    name: web
    ports:
    - containerPort: 80
      name: http
      protocol: TCP
    resources: {}
  nodeName: k8s-node-1
  tolerations: []
status:
  phase: Running
  podIP: 10.10.1.5
  podIPs:
  - ip: 10.10.1.5
`;

// [what, text, the reader that must read it]
const CASES: [string, string, 'fast' | 'full'][] = [
  ['kubectl output', KUBECTL_POD, 'fast'],
  ['no document', '', 'fast'],
  ['only comments', '# one\n  # two\n', 'fast'],
  ['a comment, then a marker', '# c\n---\na: 1\n', 'fast'],
  ['empty documents between markers', '---\n---\na: 1\n---\n\n---\n# c\n', 'fast'],
  ['a marker at the end without newline', 'a: 1\n---', 'fast'],
  ['YAML 1.1 booleans are strings', 'a: on\nb: yes\nc: off\nd: No\ne: y\n', 'fast'],
  ['core booleans and nulls', 'a: true\nb: False\nc: TRUE\nd: null\ne: ~\nf:\ng: Null\n', 'fast'],
  ['integers', 'a: 0\nb: 80\nc: -12\nd: 123456789012345\ne: 0123\nf: +7\ng: -0\nh: 12345678901234567890123\n', 'fast'],
  ['octal and hex', 'a: 0o17\nb: 0x1F\nc: 0o8\nd: 0X1F\ne: 017\n', 'fast'],
  ['floats', 'a: 1.5\nb: 4.90\nc: -.5\nd: 3.\ne: +1.0e3\nf: 1e400\ng: 2E-3\n', 'fast'],
  ['infinities and NaN', 'a: .inf\nb: -.Inf\nc: +.INF\nd: .nan\ne: .NaN\nf: .NAN\ng: -.nan\nh: .Nan\n', 'fast'],
  ['a number as a key', '1: a\n', 'full'],
  ['number-like strings', 'a: 1.2.3\nb: 10.0.0.1/24\nc: 1_000\nd: 12:30\ne: 2024-01-01\nf: 0b101\ng: .5.\n', 'fast'],
  ['plain scalars with inner indicators', 'a: b]\nb: c,d\nc: x#y\nd: e:f\nf: http://x:80/p?q=1&r=*\n', 'fast'],
  ['comments after values', 'a:    x   # c\nb: "y" # d\nc: [] # e\nd: # f\n  e: 1\n', 'fast'],
  ['a comment touching the value is part of it', 'a: x#y\n', 'fast'],
  ['comments at any indent', 'a:\n  b: 1\n# c\n      # d\n  c: 2\n', 'fast'],
  ['a sequence at the key\'s indent', 'a:\n- 1\n- 2\nb: 3\n', 'fast'],
  ['maps in sequences', 'a:\n  - b: 1\n    c: 2\n  -   d: 3\n      e:\n      - f\n  -\n    g: 4\n  -\n  - h\n', 'fast'],
  ['empty flow collections', 'a: []\nb: {}\nc:\n- []\n- {}\n', 'fast'],
  ['quoted scalars', 'a: "x \\"y\\" \\\\ \\/ \\u00e9 \\n"\nb: \'it\'\'s\'\nc: ""\nd: \'\'\ne: "#x"\n', 'fast'],
  ['text after a quoted scalar', 'e: "g" h\n', 'full'],
  ['quoted keys', '"a b": 1\n\'c\': 2\n"": 3\n"1": 4\n', 'fast'],
  ['YAML-only escapes', 'a: "\\x41 \\e \\N \\_ \\0"\n', 'full'],
  ['an escaped backslash before a space', 'a: "\\\\ b"\n', 'fast'],
  ['a short unicode escape', 'a: "\\u12"\n', 'full'],
  ['a key and a quoted key that repeat it', 'a: 1\n"a": 2\n', 'full'],
  ['a repeated key', 'a: 1\nb: 2\na: 3\n', 'full'],
  ['a repeated key deep down', 'a:\n  b:\n  - c: 1\n    c: 2\n', 'full'],
  ['an int key and a string key', '1: a\n"1": b\n', 'full'],
  ['a merge key', 'a: 1\n<<: {b: 2}\n', 'full'],
  ['a __proto__ key', '__proto__: 1\n', 'full'],
  ['literal blocks', 'a: |\n  x\n\n  y\n\n\nb: |-\n  x\n  \n\nc: |\n\n    deeper\n   # not a comment\n', 'fast'],
  ['a literal block under a sequence entry\'s key', 'a:\n- b: |\n    x\n  c: 2\n', 'fast'],
  ['a literal block ended by a marker', 'a: |\n  x\n---\nb: 1\n', 'fast'],
  ['an empty literal block', 'a: |\nb: 1\n', 'full'],
  ['leading blank lines deeper than the text', 'a: |\n    \n  x\n', 'full'],
  ['a literal block less indented', 'a: |\n  x\n b: 1\n', 'full'],
  ['keep chomping', 'a: |+\n  x\n\n', 'full'],
  ['folded', 'a: >\n  x\n  y\n', 'full'],
  ['explicit indentation', 'a: |2\n   x\n', 'full'],
  ['a tab as indentation', 'a:\n\tb: 1\n', 'full'],
  ['a tab in a value', 'a: b\tc\n', 'full'],
  ['a tab in a comment', 'a: 1 #\tc\n', 'full'],
  ['carriage returns', 'a: 1\r\nb: 2\r\n', 'full'],
  ['anchors and aliases', 'a: &x 1\nb: *x\n', 'full'],
  ['an alias without anchor', 'a: *x\n', 'full'],
  ['tags', 'a: !!str 1\n', 'full'],
  ['flow collections', 'a: {b: 1, c: [x, "y", \'z\'], d: {}}\nb: [1, 2.5, true, null, ~, {e: f}]\nc:   [ a ,b ]  # c\n', 'fast'],
  ['flow collections as sequence entries', 'a:\n- {type: InternalIP, address: 10.0.0.1}\n- [fd00:40::/64, 172.30.40.0/24]\n- {"k": v, \'l\': w}\n', 'fast'],
  ['flow scalars with colons and dots', 'a: [a:b, http://x:80/, ::1, 1:2, -x, .5, "a: b"]\n', 'fast'],
  ['flow scalars starting with indicators', 'a: [:x, ?y, -z]\n', 'fast'],
  ['a flow collection over two lines', 'a: [1,\n  2]\n', 'full'],
  ['a trailing comma', 'a: [1, 2, ]\n', 'full'],
  ['an empty flow entry', 'a: [1, , 2]\n', 'full'],
  ['a flow key without value', 'a: {b, c: 1}\n', 'full'],
  ['a flow key with an empty value', 'a: {b: , c: 1}\n', 'full'],
  ['a flow key adjacent to its value', 'a: {"b":1}\n', 'full'],
  ['a single-pair mapping in a flow sequence', 'a: [b: 1]\n', 'full'],
  ['a repeated flow key', 'a: {b: 1, b: 2}\n', 'full'],
  ['a comment inside a flow collection', 'a: [1 #c\n  ]\n', 'full'],
  ['a hash inside a flow scalar', 'a: [b#c]\n', 'full'],
  ['text after a flow collection', 'a: [1] x\n', 'full'],
  ['a flow collection as a key', '{a: 1}: b\n', 'full'],
  ['a flow collection as a document', '{a: 1}\n', 'full'],
  ['flow nesting', `a: ${'['.repeat(50)}1${']'.repeat(50)}\n`, 'fast'],
  ['deep flow nesting', `a: ${'['.repeat(60)}1${']'.repeat(60)}\n`, 'full'],
  ['multi-line plain scalars', 'a: b\n  c\n', 'full'],
  ['multi-line quoted scalars', 'a: "b\n  c"\n', 'full'],
  ['explicit keys', '? a\n: 1\n', 'full'],
  ['directives', '%YAML 1.2\n---\na: 1\n', 'full'],
  ['document end markers', 'a: 1\n...\n', 'full'],
  ['a marker with content', '--- a\n', 'full'],
  ['a top-level scalar', 'just a string\n', 'full'],
  ['an indented document', '  a: 1\n', 'full'],
  ['a top-level sequence', '- a\n- b\n', 'fast'],
  ['nested mappings on one line', 'a: b: c\n', 'full'],
  ['a value ending in a colon', 'a: b:\n', 'full'],
  ['a key with spaces before its colon', 'a : 1\n', 'full'],
  ['a sequence inside an entry on one line', '- - a\n', 'full'],
  ['a mapping line deeper than its siblings', 'a: 1\n  b: 2\n', 'full'],
  ['a sequence line deeper than its siblings', 'a:\n- 1\n  - 2\n', 'full'],
  ['a key after a sequence at the same indent, under a deeper key', 'a:\n  - 1\n  b: 2\n', 'full'],
  ['a lone dash value', 'a: -\n', 'full'],
  ['indicators starting a plain scalar', 'a: @x\n', 'full'],
  ['a no-break space is not a space', 'a: \u00a0x\u00a0\n', 'fast'],
  ['Unicode', 'a: héllo wörld ✓ 𝄞\n"ключ": значение\n', 'fast'],
  ['a NEL character', 'a: b\u0085c\n', 'full'],
  ['nesting 200 columns deep', Array.from({ length: 201 }, (_, i) => `${' '.repeat(i)}a:`).join('\n'), 'fast'],
  ['nesting deeper', Array.from({ length: 202 }, (_, i) => `${' '.repeat(i)}a:`).join('\n'), 'full'],
  ['sequences nesting deeper', Array.from({ length: 404 }, (_, i) => `${' '.repeat(i >> 1)}${i % 2 ? '-' : 'a:'}`).join('\n'), 'full'],
  ['a very long key', `${'k'.repeat(1100)}: 1\n`, 'full'],
];

describe('the fast YAML reader reads as the full parser does, or leaves the text to it', () => {
  test.each(CASES)('%s', (_what, text, expected) => {
    expect(pathOf(text)).toBe(expected);
  });

  test('the bench snapshots are read by the fast reader', () => {
    const sources = [
      ...generateSnapshot({ nodes: 4, pods: 60, policies: 30, seed: 3 }),
      ...generateSnapshot({ nodes: 4, pods: 40, namespaces: 10, policies: 30, profile: 'antrea-controller', seed: 4 }),
      ...generateAntreaShape({ shape: 'cluster-scoped', nodes: 4, scale: 0.01 }),
    ];
    for (const s of sources) expect(pathOf(s.text), s.name).toBe('fast');
  });

  test('every YAML file of the repository (examples, golden inputs, conformance fixtures): the same values', () => {
    const files = ['examples', 'golden', 'conformance', 'test', 'deploy']
      .flatMap((dir) => readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' }).map((f) => join(REPO_ROOT, dir, f)))
      .filter((f) => /\.ya?ml$/.test(f));
    const paths = files.map((f) => pathOf(readFileSync(f, 'utf8').replace(/^\uFEFF/, '')));
    // Enough of them take the fast reader for this to mean something (most others hold flow collections or quoted
    // scalars over several lines, outside the subset).
    expect(paths.filter((p) => p === 'fast').length).toBeGreaterThan(files.length / 5);
  });

  // Mutations of texts the fast reader accepts: whenever it still accepts one, it must agree with the full parser.
  test('mutated texts: whenever the fast reader accepts one, it reads it as the full parser does', () => {
    const corpus = CASES.filter(([, , p]) => p === 'fast').map(([, t]) => t);
    const pieces = ['e', 'x', 'o', '+', '.inf', '0x', ' ', '  ', ':', ': ', '-', '- ', '#', ' #', '"', "'", '\n', '|', '|-', '[', ']', '{', '}', '0', '1', '.', 'a', '\\', ',', '---\n', '~', 'null', 'true', '\n  ', '\n- '];
    let state = 12345;
    const rand = (n: number): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return (state >>> 8) % n;
    };
    let fast = 0;
    const runs = 20000;
    for (let run = 0; run < runs; run++) {
      let text = corpus[rand(corpus.length)]!;
      for (let m = 1 + rand(3); m > 0; m--) {
        const at = rand(text.length + 1);
        const lines = text.split('\n');
        switch (rand(4)) {
          case 0:
            text = text.slice(0, at) + pieces[rand(pieces.length)]! + text.slice(at);
            break;
          case 1:
            text = text.slice(0, at) + text.slice(at + 1 + rand(3));
            break;
          case 2: {
            const l = rand(lines.length);
            lines.splice(l, 0, lines[rand(lines.length)]!);
            text = lines.join('\n');
            break;
          }
          default: {
            const l = rand(lines.length);
            lines[l] = rand(2) === 0 ? ` ${lines[l]}` : lines[l]!.replace(/^ /, '');
            text = lines.join('\n');
          }
        }
      }
      if (pathOf(text) === 'fast') fast++;
    }
    // Enough of the mutants stay in the subset for the comparison to mean something.
    expect(fast).toBeGreaterThan(runs / 5);
  });
});

describe('positions stay exact when the fast reader read the file', () => {
  const errors = (name: string, text: string): string[] =>
    compile([...clusterSources(twoNodes), { name, text }])
      .diagnostics.filter((d) => d.severity === 'error')
      .map(formatDiagnostic);

  // Block style only, so the fast reader takes it; empty documents before the bad object shift the document index.
  const bad = [
    '# services',
    '---',
    '---',
    'apiVersion: v1',
    'kind: Namespace',
    'metadata:',
    '  name: web2',
    '---',
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    '  name: x',
    '  namespace: web',
    'spec:',
    '  ports:',
    '  - port: 80',
    '    protocol: HTTP',
    '  - name: dns',
    '    port: 70000',
    '',
  ].join('\n');

  test('a schema error in a later document of a fast-read file: the line and column of the field', () => {
    expect(readYamlFast(bad)).toBeDefined();
    expect(errors('bad.yaml', bad)).toEqual([
      'bad.yaml:17:15: error: Service web/x: spec.ports[0].protocol: "HTTP" is not one of "TCP", "UDP", "SCTP" [DPC1006]',
      'bad.yaml:19:11: error: Service web/x: spec.ports[1].port: must be <= 65535 [DPC1006]',
    ]);
  });

  test('the same file read by the full parser (a tab in a comment keeps the fast reader off) gives the same positions', () => {
    const slow = bad.replace('# services', '# services\t(full parser)');
    expect(readYamlFast(slow)).toBeUndefined();
    expect(errors('bad.yaml', slow)).toEqual(errors('bad.yaml', bad));
  });

  test('a syntax error is reported by the full parser at its place', () => {
    const text = bad.replace('    port: 70000', '    port: 70000\n    name: again');
    expect(readYamlFast(text)).toBeUndefined();
    expect(errors('bad.yaml', text)).toEqual(['bad.yaml:20:5: error: cannot parse: duplicate key "name" [DPC1002]']);
  });
});
