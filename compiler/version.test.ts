import { expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { DPC_VERSION } from './version.js';

test('the version in manifests is package.json\'s', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  expect(DPC_VERSION).toBe(pkg.version);
});
