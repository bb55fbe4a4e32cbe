import { ClientClosedError } from './errors.js';
import type { EventRecord } from './types.js';

/** What callback consumption needs of a subscription: its records and a way to stop it. */
export interface CallbackSource extends AsyncIterable<EventRecord> {
  close(): Promise<void>;
}

/**
 * Hand each record to `onEvent`, one at a time; on a failure other than a close, report it and close. A record whose
 * handler throws stays unhandled, so the saved position is the one before it and it comes again. Never rejects:
 * nothing awaits it, so a rejection (a close whose save failed, an onError that throws) would crash the host.
 */
export async function runCallbacks(
  source: CallbackSource,
  onEvent: (record: EventRecord) => void | Promise<void>,
  onError: (error: Error) => void,
): Promise<void> {
  const report = (error: unknown) => {
    if (error instanceof ClientClosedError) return;
    try {
      onError(error instanceof Error ? error : new Error(String(error)));
    } catch {
      // Hint: an onError that throws has nowhere left to report to.
    }
  };
  // Hint: iterated by hand, because a for-await left by a throw calls the iterator's return(), which counts the
  // record in hand as handled (right for a `break`, wrong for a failed handler); close() saves without it.
  const records = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await records.next();
      if (next.done === true) return;
      await onEvent(next.value);
    }
  } catch (error) {
    report(error);
    await source.close().catch(report);
  }
}
