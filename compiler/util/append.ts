/**
 * Appends every item to an array in place. `to.push(...items)` passes each item as a call argument, and V8 throws
 * RangeError (stack size) past roughly 100,000 of them: a 5,000-Node compile's conjunction flows, or the
 * diagnostics of a hostile snapshot, are far more.
 */
export function appendAll<T>(to: T[], items: Iterable<T>): T[] {
  for (const item of items) to.push(item);
  return to;
}
