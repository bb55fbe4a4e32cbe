import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/** The unit tests (src) with many more runs of each property: `npm run test:properties` (see test/support/manyRuns.ts). */
export default defineConfig({
  ...base,
  test: { ...base.test, include: ['src/**/*.test.ts'], setupFiles: ['test/support/manyRuns.ts'], testTimeout: 600_000 },
});
