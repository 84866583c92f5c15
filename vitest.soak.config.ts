import { defineConfig } from 'vitest/config';

/**
 * `npm run soak`: the robustness suites of test/robust with many more
 * fast-check runs and the largest nasty cases. KREVIEW_SOAK_RUNS=N sets the
 * number of runs of every property (default: each property's own soak count).
 */
export default defineConfig({
  test: {
    include: ['test/robust/**/*.soak.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    env: { KREVIEW_SOAK: '1' },
    testTimeout: 60 * 60 * 1000,
    hookTimeout: 5 * 60 * 1000,
  },
});
