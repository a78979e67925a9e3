/**
 * Kubernetes resource.Quantity, as far as Antrea reads it for Egress bandwidth: the grammar of
 * k8s.io/apimachinery/pkg/api/resource (ParseQuantity) and Value(), which rounds up to an integer.
 */

export interface Quantity {
  /** The exact value as a fraction: numerator / denominator (denominator > 0). */
  num: bigint;
  den: bigint;
}

const BINARY: Readonly<Record<string, bigint>> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const DECIMAL: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const GRAMMAR = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/;

/** Parses a Quantity; undefined where Kubernetes answers "quantities must match the regular expression ...". */
export function parseQuantity(text: string): Quantity | undefined {
  if (text.length === 0) return undefined;
  const m = GRAMMAR.exec(text);
  if (!m) return undefined;
  const [, sign, whole = '', frac = '', suffix = ''] = m;
  if (whole === '' && frac === '') return undefined;
  if (text.includes('.') && whole === '' && frac === '') return undefined;
  let num = BigInt(`${whole}${frac}` || '0');
  let den = 10n ** BigInt(frac.length);
  if (suffix in BINARY) num *= BINARY[suffix]!;
  else if (suffix in DECIMAL) {
    const e = DECIMAL[suffix]!;
    if (e >= 0) num *= 10n ** BigInt(e);
    else den *= 10n ** BigInt(-e);
  } else {
    const exp = /^[eE]([+-]?[0-9]+)$/.exec(suffix);
    if (!exp) return undefined;
    const e = Number(exp[1]);
    if (!Number.isSafeInteger(e) || Math.abs(e) > 1000) return undefined;
    if (e >= 0) num *= 10n ** BigInt(e);
    else den *= 10n ** BigInt(-e);
  }
  if (sign === '-') num = -num;
  return { num, den };
}

/** Quantity.Value(): the value rounded up (away from zero for positives) to an integer. */
export function quantityValue(q: Quantity): bigint {
  const whole = q.num / q.den;
  return q.num % q.den === 0n || q.num < 0n ? whole : whole + 1n;
}
