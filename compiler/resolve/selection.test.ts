import { describe, expect, test } from 'vitest';
import type { LabelSelector } from '../../schemas/networkPolicy.js';
import { ingest } from '../ingest/ingest.js';
import { buildModel } from '../model/model.js';
import { matchesSelector } from '../model/selectors.js';
import { clusterSources } from '../../test/fixtures/clusters.js';
import { createSelection } from './selection.js';

/** One big Namespace (indexed by label) and one small one (scanned), with labels drawn from a fixed sequence. */
function model() {
  const apps = ['web', 'api', 'db', 'cache', 'batch'];
  const pods = Array.from({ length: 240 }, (_, i) => {
    const labels: Record<string, string> = { app: apps[i % 5]!, tier: ['a', 'b', 'c'][(i * 7) % 3]! };
    if (i % 4 === 0) labels.version = i % 8 === 0 ? 'v1' : 'v2';
    if (i % 60 === 7) labels.unique = `u${i}`;
    const ns = i < 200 ? 'big' : 'small';
    return { namespace: ns, name: `p${i}`, node: 'n1', ip: `10.9.${i >> 8}.${(i & 255) + 2}`, labels };
  });
  const sources = clusterSources({ nodes: [{ name: 'n1', podCIDR: '10.9.0.0/16', internalIP: '192.0.2.1' }], pods });
  const { snapshot, diagnostics } = ingest(sources);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return buildModel(snapshot).model;
}

const selectors: LabelSelector[] = [
  {},
  { matchLabels: { app: 'db' } },
  { matchLabels: { app: 'db', tier: 'b' } },
  { matchLabels: { tier: 'c', version: 'v1' } },
  { matchLabels: { unique: 'u67' } },
  { matchLabels: { app: 'web', unique: 'u7' } },
  { matchLabels: { app: 'nobody' } },
  { matchLabels: { app: 'api' }, matchExpressions: [{ key: 'version', operator: 'DoesNotExist' }] },
  { matchLabels: { tier: 'a' }, matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web', 'db'] }] },
  { matchExpressions: [{ key: 'version', operator: 'In', values: ['v2'] }] },
];

describe('createSelection', () => {
  test('Pods chosen through the label index are exactly the Pods the selector matches, in key order', () => {
    const m = model();
    const selection = createSelection(m);
    for (const ns of ['big', 'small']) {
      for (const s of selectors) {
        const expected = m.pods
          .filter((p) => p.namespace === ns && !p.hostNetwork && matchesSelector(s, p.labels))
          .map((p) => p.key)
          .sort();
        expect(selection.pods(s, undefined, ns).map((p) => p.key), `${ns} ${JSON.stringify(s)}`).toEqual(expected);
      }
    }
    // Some selectors must select something, or the comparison above proves little.
    expect(selection.pods({ matchLabels: { app: 'db', tier: 'b' } }, undefined, 'big').length).toBeGreaterThan(5);
    expect(selection.pods({ matchLabels: { unique: 'u67' } }, undefined, 'big')).toHaveLength(1);
  });
});
