import { svelte } from '@sveltejs/vite-plugin-svelte';
import { configDefaults, defineConfig } from 'vitest/config';

// Two cores on CI: a couple of forked workers; native addons and child processes are happier in
// forks than in worker threads. Two projects: everything in Node, and the renderer's rune state
// classes (`*.svelte.test.ts`), compiled by the Svelte plugin and run against jsdom with the
// browser build of Svelte (so $derived and $state behave as in the app).
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    globalSetup: ['test/fixtures/globalSetup.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'node', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/**/*.svelte.test.ts'] },
      },
      {
        extends: true,
        plugins: [svelte()],
        resolve: { conditions: ['browser'] },
        test: { name: 'state', include: ['test/**/*.svelte.test.ts'], environment: 'jsdom' },
      },
    ],
  },
});
