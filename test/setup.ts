// Loaded before every test file (vitest.config.ts setupFiles).
import { afterAll, afterEach } from 'vitest';
import { nextTurn } from './harness/eventLoop.js';
import { removeTempDirs } from './harness/tempDir.js';

// A few milliseconds between tests, so that pending RPC answers are read (harness/eventLoop.ts).
afterEach(() => nextTurn(5));

// Temp dirs made through harness/tempDir.ts go when the file's tests are done.
afterAll(removeTempDirs);
