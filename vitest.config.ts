import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30000,
    hookTimeout: 30000,
    // servers and oracles per file; two cores
    fileParallelism: true,
    maxWorkers: 2,
  },
});
