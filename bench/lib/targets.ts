/**
 * The performance targets the bench checks: exactly the target column of README "Performance" (the targets),
 * which bench/README.md's table repeats. test/benchHarness.test.ts holds the three to each other, so a target changes
 * in all three or the test fails. Correctness checks (loss, error replies, bounded sessions) are not targets.
 */
export const TARGETS = {
  logAppend: { perSecond: 150_000, ofBareAppend: 0.4 },
  ingestWsBatch: { ioThreadUs: 8, ofBareAppend: 0.6 },
  ingestWsSingle: { ofEcho: 0.8 },
  sdkPublish: { ofRawProtocol: 0.5 },
  ingestRest: { perSecond: 10_000 },
  /** Both fanout scenarios: the pipeline's p99 at most this many times the raw relay's. */
  fanout: { p99OfRelay: 2 },
  /** The largest server CPU per event over the smallest, across the subscriber levels. */
  routingScale: { maxOverMin: 1.5 },
  replay: { ofScan: 0.8 },
  replayStorm: { restP99Ms: 50 },
  memory: { idleSubscriberKiB: 16 },
} as const;
