// Loaded before every test file (vitest.config.ts setupFiles).
import { afterEach } from 'vitest';
import { nextTurn } from './harness/eventLoop.js';

// A few milliseconds between tests, so that pending RPC answers are read (harness/eventLoop.ts).
afterEach(() => nextTurn(5));
