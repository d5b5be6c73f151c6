import { defineConfig } from 'vitest/config';

// Two cores on CI: a couple of forked workers; native addons and child processes are happier in
// forks than in worker threads.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    globalSetup: ['test/fixtures/globalSetup.ts'],
  },
});
