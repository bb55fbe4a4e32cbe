import { ClientClosedError } from './errors.js';
import type { EventRecord } from './types.js';

/** What callback consumption needs of a subscription: its records and a way to stop it. */
export interface CallbackSource extends AsyncIterable<EventRecord> {
  close(): Promise<void>;
}

/** Hand each record to `onEvent`, one at a time; on a failure other than a close, report it and close. */
export async function runCallbacks(
  source: CallbackSource,
  onEvent: (record: EventRecord) => void | Promise<void>,
  onError: (error: Error) => void,
): Promise<void> {
  try {
    for await (const record of source) await onEvent(record);
  } catch (error) {
    if (!(error instanceof ClientClosedError)) onError(error instanceof Error ? error : new Error(String(error)));
    await source.close();
  }
}
