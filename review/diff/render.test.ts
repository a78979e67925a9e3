import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { connectionSet, NO_CONNECTIONS } from './connset.js';
import type { ConnectivityChange } from './connectivity.js';
import type { DiffReport } from './formats.js';
import { markdownComment, mdEscape } from './markdown.js';
import { matrixSvg } from './svg.js';

const template = readFileSync(new URL('./templates/comment.md.hbs', import.meta.url), 'utf8');
const evil = 'ns/<img src=x onerror=alert(1)>|*_`x`[Pod]';
const change: ConnectivityChange = {
  type: 'added',
  src: { key: evil, kind: 'Pod', ip: '10.0.0.1', node: 'n<1>' },
  dst: { key: 'ns/b[Pod]', kind: 'Pod', ip: '10.0.0.2', node: 'n<1>' },
  dir1: NO_CONNECTIONS,
  dir2: connectionSet({ TCP: [[80, 80]] }),
  info: `workload ${evil} added`,
  rules: { old: [], new: [] },
};
const report: DiffReport = { labels: { old: 'a', new: 'b' }, nodes: [], connectivity: [change], ruleNames: new Map() };

describe('reports escape names from the input', () => {
  test('markdown: no raw HTML, no unescaped table pipe or emphasis from a name', () => {
    const md = markdownComment(template, report, []);
    expect(md).not.toContain('<img');
    const row = md.split('\n').find((l) => l.startsWith('| added |'))!;
    // Six cells: seven unescaped pipes, whatever the name holds.
    expect(row.replace(/\\\|/g, '').split('|')).toHaveLength(8);
    expect(mdEscape('a|b*c_d`e[f]<g>')).toBe('a\\|b\\*c\\_d&#x60;e\\[f\\]&lt;g&gt;');
  });

  test('SVG: names are text, and the picture is the same every time', () => {
    const svg = matrixSvg([change]);
    expect(svg).not.toContain('<img');
    expect(svg).toContain('ns/&lt;img src=x onerror=alert(1)&gt;|*_`x`[Pod]');
    expect(matrixSvg([change])).toBe(svg);
  });
});
