import { describe, expect, test } from 'vitest';
import { parseQuantity, quantityValue } from './quantity.js';

const value = (t: string) => {
  const q = parseQuantity(t);
  return q ? quantityValue(q) : undefined;
};

describe('Kubernetes Quantity as Antrea reads Egress bandwidth (reference §4)', () => {
  test("the reference's examples, read as bits", () => {
    expect(value('800M')).toBe(800_000_000n);
    expect(value('2G')).toBe(2_000_000_000n);
    expect(value('300k')).toBe(300_000n);
    expect(value('100Mi')).toBe(104_857_600n);
  });
  test('fractions and exponents; Value() rounds up', () => {
    expect(value('1.5G')).toBe(1_500_000_000n);
    expect(value('2e6')).toBe(2_000_000n);
    expect(value('1500m')).toBe(2n);
    expect(value('0.1')).toBe(1n);
  });
  test('what Kubernetes refuses', () => {
    for (const bad of ['', 'M', '100Mbps', '1.2.3', '10 M', 'ten', '1K']) expect(parseQuantity(bad), bad).toBeUndefined();
  });
});
