import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The file that takes longest on the wall clock, mostly waiting (five JetStream leader elections); named so it starts
 * first on a fresh clone too, where vitest has no timings yet and orders by file size. Hint: started last, it alone
 * would set the run's wall time.
 */
const STARTS_FIRST = ['test/clusterFailover.test.ts'];
/**
 * Files that keep a core busy for seconds (50 MB through a child server, 100,000 events): run after the others, so they
 * do not overlap the failover file's first elections. Hint: measured here, with the slow-consumer file beside its first
 * test, the elections missed their deadlines in two full runs out of two; alone, and in runs where it came later, never.
 */
const STARTS_LAST = ['test/slowConsumer.test.ts', 'test/ackBackpressure.test.ts'];

function rank(file: TestSpecification): number {
  if (STARTS_FIRST.some((name) => file.moduleId.endsWith(name))) return 0;
  return STARTS_LAST.some((name) => file.moduleId.endsWith(name)) ? 2 : 1;
}

/** Vitest's own order (failed, then longest last time, then largest), with STARTS_FIRST first and STARTS_LAST last. */
export default class LongFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // Hint: Array.prototype.sort is stable, so files of one rank keep vitest's order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
