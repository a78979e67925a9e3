/** Address spelling shared by the explainer's views. */

export function ipv4(text: string): bigint | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((x) => x > 255)) return undefined;
  return parts.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
}

export const ipText = (v: bigint): string => [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');

export const macText = (v: bigint): string =>
  v
    .toString(16)
    .padStart(12, '0')
    .match(/../g)!
    .join(':');
