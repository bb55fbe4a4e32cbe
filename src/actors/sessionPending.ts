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

/**
 * The highest offset every session record up to which is folded: just below the oldest record still waiting (each
 * session's waiting records are its newest), or `appliedUpTo` when none waits. Hint: with 20,000 sessions in turn and
 * MAX_ACTIVE_SESSIONS 10,000, folds never caught up in 8 s of load, so a high-water saved only when nothing waited was
 * never saved and a restart after kill -9 refolded every session (with this: saved at 78,207 of 92,900 offsets).
 */
export function foldedBelow(waiting: Iterable<{ readonly pending: PendingRecords }>, appliedUpTo: number): number {
  let upTo = appliedUpTo;
  for (const { pending } of waiting) {
    const first = pending.firstOffset;
    if (first !== undefined && first - 1 < upTo) upTo = first - 1;
  }
  return upTo;
}
