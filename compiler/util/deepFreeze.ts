/** Freezes a value and everything reachable from it (maps and sets included); returns it. For tests. */
export function deepFreeze<T>(value: T, seen = new WeakSet<object>()): T {
  if (value === null || typeof value !== 'object' || seen.has(value as object) || Object.isFrozen(value)) return value;
  seen.add(value as object);
  if (value instanceof Map) {
    for (const [k, v] of value) {
      deepFreeze(k, seen);
      deepFreeze(v, seen);
    }
    freezeCollection(value);
  } else if (value instanceof Set) {
    for (const v of value) deepFreeze(v, seen);
    freezeCollection(value);
  } else {
    for (const v of Object.values(value as object)) deepFreeze(v, seen);
  }
  return Object.freeze(value);
}

/** Object.freeze does not stop Map.set or Set.add: make the mutators throw. */
function freezeCollection(c: Map<unknown, unknown> | Set<unknown>): void {
  const refuse = () => {
    throw new TypeError('frozen collection');
  };
  for (const m of ['set', 'add', 'delete', 'clear'] as const) {
    if (m in c) Object.defineProperty(c, m, { value: refuse });
  }
}
