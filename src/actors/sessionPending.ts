import type { SessionRecord } from './sessionMachine.js';

/** Values per pending record in Entry.pending. */
export const PENDING_FIELDS = 5;

/** The pending values as the records the session machine folds (short-lived: they die with the fold). */
export function pendingRecords(pending: readonly (string | number | null)[]): SessionRecord[] {
  const records = new Array<SessionRecord>(pending.length / PENDING_FIELDS);
  for (let i = 0, r = 0; r < records.length; i += PENDING_FIELDS, r++) {
    records[r] = {
      offset: pending[i] as number,
      event_type: pending[i + 1] as SessionRecord['event_type'],
      user_id: pending[i + 2] as string | null,
      ts: pending[i + 3] as number,
      payloadJson: pending[i + 4] as string,
    };
  }
  return records;
}
