/**
 * JSON with object keys sorted and undefined members left out: two values that mean the same thing give the
 * same text, whatever order their keys were written in. Used for digests and content-derived keys.
 *
 * The snapshot digest runs this over every object of a snapshot (100 MB of text for 100,000 Pods), so it is
 * written for allocation: one list of parts per call, joined once into a flat string (a string grown by `+=` is a
 * tree of links that every later sort and hash walks, and that the collector copies while it lives), keys sorted
 * in place by insertion (objects have a handful; Array.prototype.sort copies into a work array on every call), and
 * a key's spelling looked up, not stringified again (keys repeat on every object).
 */
export function canonicalJson(v: unknown): string {
  const parts: string[] = [];
  write(v, parts);
  return parts.join('');
}

const keyTexts = new Map<string, string>();
/** Bounded: keys are label and annotation names too, and input decides how many there are. */
const KEY_TEXTS_MAX = 10_000;

function keyText(k: string): string {
  let text = keyTexts.get(k);
  if (text === undefined) {
    text = `${JSON.stringify(k)}:`;
    if (keyTexts.size < KEY_TEXTS_MAX) keyTexts.set(k, text);
  }
  return text;
}

function write(v: unknown, parts: string[]): void {
  if (typeof v === 'string') {
    parts.push(JSON.stringify(v));
    return;
  }
  if (v === null || typeof v !== 'object') {
    parts.push(JSON.stringify(v) ?? 'null');
    return;
  }
  if (Array.isArray(v)) {
    parts.push('[');
    for (let i = 0; i < v.length; i++) {
      if (i > 0) parts.push(',');
      write(v[i], parts);
    }
    parts.push(']');
    return;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  sortKeys(keys);
  let sep = '{';
  for (const k of keys) {
    const value = o[k];
    if (value === undefined) continue;
    parts.push(sep, keyText(k));
    write(value, parts);
    sep = ',';
  }
  parts.push(sep === '{' ? '{}' : '}');
}

/** In place, in the order Array.prototype.sort gives strings (UTF-16 code units). */
function sortKeys(keys: string[]): void {
  if (keys.length > 32) {
    keys.sort();
    return;
  }
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > k; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = k;
  }
}
