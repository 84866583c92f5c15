import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    // CLI tests spawn the compiled binary; tree-sitter parses are CPU-bound.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
