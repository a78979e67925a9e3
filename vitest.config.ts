import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'compiler/**/*.test.ts', 'targets/**/*.test.ts', 'cli/**/*.test.ts', 'runtime/**/*.test.ts', 'review/**/*.test.ts'],
    // Dataplane tests start private OVS daemons; keep parallelism within the 2-core machine.
    maxWorkers: 2,
    minWorkers: 1,
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
