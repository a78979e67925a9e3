// vitest's worker talks to the main process over RPC and gives up on a call unanswered for 60 s; the answer is
// only read when the worker's event loop turns. Tests that drive OVS or compile synchronously for a long stretch
// (and consecutive synchronous tests, which vitest runs without a turn between them) must let it turn.

/** Resolves after one turn of the event loop, timers and I/O included. */
export function nextTurn(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
