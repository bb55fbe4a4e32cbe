import fc from 'fast-check';

// Hint: a setup file for `npm run test:properties` (vitest.properties.config.ts): every property that does not set
// its own numRuns runs FC_NUM_RUNS times (default 5,000), to find the rare counterexample before CI does.
fc.configureGlobal({ numRuns: Number(process.env.FC_NUM_RUNS ?? 5_000) });
