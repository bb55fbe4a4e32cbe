import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that take longest on the wall clock, mostly waiting (JetStream leader elections, child servers); named here so
 * they start first on a fresh clone too, where vitest has no timings yet and orders by file size. Hint: started last,
 * the cluster failover file alone would set the run's wall time.
 */
const STARTS_FIRST = ['test/clusterFailover.test.ts', 'test/jetstreamEventLog.test.ts', 'test/slowConsumer.test.ts'];

/** Vitest's own order (failed, then longest last time, then largest), with STARTS_FIRST moved to the front. */
export default class LongFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const at = STARTS_FIRST.findIndex((name) => file.moduleId.endsWith(name));
      return at < 0 ? STARTS_FIRST.length : at;
    };
    // Hint: Array.prototype.sort is stable, so the rest keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
