import type { StoredEvent } from '../protocol/eventRecord.js';
import { mentionsQuizId, quizIdOf, type SessionRecord } from './sessionMachine.js';

/** Values per pending record. */
const PENDING_FIELDS = 4;

/** The payloads holding a quiz_id among the session's records in [from, upTo], by offset (read from the log). */
export type OlderQuizPayloads = (from: number, upTo: number) => ReadonlyMap<number, string>;

const NO_PAYLOADS: ReadonlyMap<number, string> = new Map();

/**
 * A session's committed records not folded yet, as plain values (no object per record until the fold), oldest first.
 * Hint: the buffer is kept between folds and refilled in place; an array grown by push from empty after every fold
 * copied itself about twice over each time, and the young generation promoted the copies while the session filled.
 *
 * Of the payloads only the newest one holding "quiz_id" is kept: the fold takes the quiz id of the newest record that
 * has one, which is that one unless its quiz_id is not a string or number (then the older ones are read back from the
 * log at the fold). Hint: folds run in slices behind the commits (in ingest-ws-batch about 100,000 records behind),
 * and a payload read from a publish message is a view into the whole message: keeping every payload kept about 950
 * messages (some 21 MB) alive, which the young generation then copied and promoted.
 */
export class PendingRecords {
  private readonly values: (string | number | null)[] = [];
  private filled = 0;
  private quizPayload: string | null = null;
  private quizOffset = 0;
  private olderQuizzes = false;

  /** Records waiting. */
  get size(): number {
    return this.filled / PENDING_FIELDS;
  }

  /** The oldest waiting record's offset. */
  get firstOffset(): number | undefined {
    return this.filled > 0 ? (this.values[0] as number) : undefined;
  }

  /** Keep what the fold reads of `record`. */
  push(record: StoredEvent): void {
    const values = this.values;
    let at = this.filled;
    values[at++] = record.offset;
    values[at++] = record.event_type;
    values[at++] = record.user_id;
    values[at++] = record.ts;
    this.filled = at;
    if (!mentionsQuizId(record.payloadJson)) return;
    this.olderQuizzes ||= this.quizPayload !== null;
    this.quizPayload = record.payloadJson;
    this.quizOffset = record.offset;
  }

  /**
   * Every waiting record, as the records the session machine folds (payloads '{}' except those the quiz id can come
   * from); the buffer is left empty, pinning nothing. Without `older`, only the newest quiz payload is given (enough
   * for a fold of the lifecycle alone).
   */
  take(older?: OlderQuizPayloads): SessionRecord[] {
    const values = this.values;
    const quizPayload = this.quizPayload;
    const payloads =
      this.olderQuizzes && older !== undefined && quizPayload !== null && quizIdOf(quizPayload) === null
        ? older(values[0] as number, this.quizOffset - 1)
        : NO_PAYLOADS;
    const records = new Array<SessionRecord>(this.filled / PENDING_FIELDS);
    for (let i = 0, r = 0; r < records.length; i += PENDING_FIELDS, r++) {
      const offset = values[i] as number;
      records[r] = {
        offset,
        event_type: values[i + 1] as SessionRecord['event_type'],
        user_id: values[i + 2] as string | null,
        ts: values[i + 3] as number,
        payloadJson: offset === this.quizOffset && quizPayload !== null ? quizPayload : (payloads.get(offset) ?? '{}'),
      };
    }
    values.fill(null, 0, this.filled);
    this.filled = 0;
    this.quizPayload = null;
    this.quizOffset = 0;
    this.olderQuizzes = false;
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
