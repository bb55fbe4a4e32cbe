import type { GroupOutcome } from '../persistence/eventLog.js';

/** What a group commit ended with: one outcome per producer batch (`appended` excludes duplicates), or null when it failed. */
export type CommitEnd = (outcomes: readonly GroupOutcome[] | null) => void;

/**
 * Observes the hot path for /metrics, once per group commit and never per event: the observer times the commit
 * and reads the batch with plain loops. Everything else /metrics shows is read at scrape time.
 */
export interface PipelineMetrics {
  /** A group commit of `events` events goes to the log; the returned function runs once when it ends. */
  commitStarted(events: number): CommitEnd;
  /** A batch was refused at a pending bound (rare: only then). */
  refusedAtBound(setting: 'MAX_PENDING_EVENTS' | 'MAX_PENDING_BYTES'): void;
}
