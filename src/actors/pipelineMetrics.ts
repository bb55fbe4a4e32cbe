import type { GroupOutcome } from '../persistence/eventLog.js';
import type { SubscriberMode } from './subscriberMachine.js';
import type { SubscriberRef } from './supervisorEvent.js';

/** What a group commit ended with: one outcome per producer batch (`appended` excludes duplicates), or null when it failed. */
export type CommitEnd = (outcomes: readonly GroupOutcome[] | null) => void;

/**
 * Observes the hot path for /metrics, once per group commit and never per event: the observer times the commit
 * and reads the batch with plain loops. Everything else /metrics shows is read at scrape time.
 */
export interface PipelineMetrics {
  /** A group commit of `events` events goes to the log; the returned function runs once when it ends. */
  commitStarted(events: number): CommitEnd;
}

/** A subscriber's mode and how many offsets it is behind the head. */
export interface SubscriberLag {
  readonly mode: SubscriberMode;
  readonly lag: number;
}

/** Lag per subscriber at scrape time: head − next offset + 1 while replaying or lagging, 0 otherwise (live). */
export function subscriberLags(children: Iterable<{ readonly ref: SubscriberRef }>, head: number): SubscriberLag[] {
  const out: SubscriberLag[] = [];
  for (const child of children) {
    const snapshot = child.ref.getSnapshot();
    const mode = snapshot.value;
    const behind = mode === 'replaying' || mode === 'lagging' ? head - snapshot.context.nextOffset + 1 : 0;
    out.push({ mode, lag: Math.max(0, behind) });
  }
  return out;
}
