import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Hint: server tests bind real ports and SQLite files; forks isolate native handles.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
