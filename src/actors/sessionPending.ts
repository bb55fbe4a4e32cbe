import type { StoredEvent } from '../protocol/eventRecord.js';
import type { SessionRecord } from './sessionMachine.js';

/** Values per pending record. */
const PENDING_FIELDS = 5;

/**
 * A session's committed records not folded yet, as plain values (no object per record until the fold), oldest first.
 * Hint: the buffer is kept between folds and refilled in place; an array grown by push from empty after every fold
 * copied itself about twice over each time, and the young generation promoted the copies while the session filled.
 */
export class PendingRecords {
  private readonly values: (string | number | null)[] = [];
  private filled = 0;

  /** Records waiting. */
  get size(): number {
    return this.filled / PENDING_FIELDS;
  }

  /** The oldest waiting record's offset. */
  get firstOffset(): number | undefined {
    return this.filled > 0 ? (this.values[0] as number) : undefined;
  }

  /** Keep what the fold reads of `record`; `payloadJson` is what it may parse the quiz id from ('{}' when it cannot). */
  push(record: StoredEvent, payloadJson: string): void {
    const values = this.values;
    let at = this.filled;
    values[at++] = record.offset;
    values[at++] = record.event_type;
    values[at++] = record.user_id;
    values[at++] = record.ts;
    values[at++] = payloadJson;
    this.filled = at;
  }

  /** Every waiting record, as the records the session machine folds; the buffer is left empty, pinning nothing. */
  take(): SessionRecord[] {
    const values = this.values;
    const records = new Array<SessionRecord>(this.filled / PENDING_FIELDS);
    for (let i = 0, r = 0; r < records.length; i += PENDING_FIELDS, r++) {
      records[r] = {
        offset: values[i] as number,
        event_type: values[i + 1] as SessionRecord['event_type'],
        user_id: values[i + 2] as string | null,
        ts: values[i + 3] as number,
        payloadJson: values[i + 4] as string,
      };
    }
    values.fill(null, 0, this.filled);
    this.filled = 0;
    return records;
  }
}
