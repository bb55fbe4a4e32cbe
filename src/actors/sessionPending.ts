import type { StoredEvent } from '../protocol/eventRecord.js';
import { EVENT_TYPES, type EventType } from '../protocol/eventTypes.js';
import { DistinctIds } from './distinctIds.js';
import { LIFECYCLE, mentionsQuizId, quizIdOf } from './sessionMachine.js';
import type { LifecycleRecord, RecordSummary } from './sessionSummary.js';

/** The payloads holding a quiz_id among the session's records in [from, upTo], by offset (read from the log). */
export type OlderQuizPayloads = (from: number, upTo: number) => ReadonlyMap<number, string>;

/**
 * Past this many distinct users waiting, a session is folded without waiting for the sweep. Why: the fold looks each up
 * in the session's own users in one piece, about 1 µs each in a session of a million: a second's worth of a session
 * gaining 100,000 users a second held the I/O thread for 100-150 ms at each sweep.
 */
export const PENDING_USERS_BOUND = 4_096;

/** Each event type's place in a summary's counts. */
const TYPE_INDEX: ReadonlyMap<EventType, number> = new Map(EVENT_TYPES.map((type, i) => [type, i]));

/**
 * A session's committed records not folded yet, kept as their summary (RecordSummary): counts by type, distinct users,
 * first and last offsets, the lifecycle records, and of the payloads only the newest one holding "quiz_id".
 * Hint: folds run in slices behind the commits (in ingest-ws-batch about 100,000 records behind, up to a second);
 * keeping four values per record until then (the previous form) kept every record's user id alive through the young
 * generation's collections, and the fold built one object per record again. The quiz payload is a view into its whole
 * publish message, so only one is kept: the fold takes the quiz id of the newest record that has one, which is that
 * one unless its quiz_id is not a string or number (then the older ones are read back from the log at the take).
 */
export class PendingRecords {
  private count = 0;
  private first = 0;
  private last = 0;
  /**
   * Records by type, in EVENT_TYPES order. Hint: counting into an object keyed by type, a fresh one per fold, gave each
   * session's object its own order of keys, so the store went megamorphic: 5.3% of ingest-ws-single's I/O thread.
   */
  private readonly counts = new Uint32Array(EVENT_TYPES.length);
  private users = new DistinctIds();
  private lifecycle: LifecycleRecord[] = [];
  private quizPayload: string | null = null;
  private quizOffset = 0;
  private olderQuizzes = false;

  /** Records waiting. */
  get size(): number {
    return this.count;
  }

  /** The oldest waiting record's offset. */
  get firstOffset(): number | undefined {
    return this.count > 0 ? this.first : undefined;
  }

  /** Add `record` (the session's next, in offset order) to the summary; true once PENDING_USERS_BOUND users wait. */
  push(record: StoredEvent): boolean {
    if (this.count++ === 0) this.first = record.offset;
    this.last = record.offset;
    const type = record.event_type;
    const at = TYPE_INDEX.get(type)!;
    this.counts[at] = this.counts[at]! + 1;
    const user = record.user_id;
    if (user !== null) this.users.add(user);
    if (LIFECYCLE[type] !== undefined) this.lifecycle.push({ offset: record.offset, event_type: type, ts: record.ts });
    if (mentionsQuizId(record.payloadJson)) {
      this.olderQuizzes ||= this.quizPayload !== null;
      this.quizPayload = record.payloadJson;
      this.quizOffset = record.offset;
    }
    return this.users.values.length >= PENDING_USERS_BOUND;
  }

  /**
   * The waiting records' summary (null when none waits); the buffer is left empty, pinning nothing. Without `older`,
   * the quiz id is read from the newest quiz payload alone (enough for a fold of the lifecycle alone).
   */
  take(older?: OlderQuizPayloads): RecordSummary | null {
    if (this.count === 0) return null;
    const summary: RecordSummary = {
      first_offset: this.first,
      last_offset: this.last,
      event_count: this.count,
      counts: this.takeCounts(),
      user_ids: this.users.values,
      lifecycle: this.lifecycle,
      quiz_id: this.newestQuizId(older),
    };
    this.count = 0;
    this.users = new DistinctIds();
    this.lifecycle = [];
    this.quizPayload = null;
    this.quizOffset = 0;
    this.olderQuizzes = false;
    return summary;
  }

  /** The counts as an object of the types seen (in EVENT_TYPES order, so every such object shares V8's shapes). */
  private takeCounts(): Partial<Record<EventType, number>> {
    const counts: Partial<Record<EventType, number>> = {};
    for (let i = 0; i < EVENT_TYPES.length; i++) if (this.counts[i]! > 0) counts[EVENT_TYPES[i]!] = this.counts[i]!;
    this.counts.fill(0);
    return counts;
  }

  /** The newest quiz id among the waiting records, reading older quiz payloads back only when the newest names none. */
  private newestQuizId(older: OlderQuizPayloads | undefined): string | null {
    if (this.quizPayload === null) return null;
    const newest = quizIdOf(this.quizPayload);
    if (newest !== null || !this.olderQuizzes || older === undefined) return newest;
    const payloads = older(this.first, this.quizOffset - 1);
    const offsets = [...payloads.keys()].sort((a, b) => b - a);
    for (const offset of offsets) {
      const found = quizIdOf(payloads.get(offset)!);
      if (found !== null) return found;
    }
    return null;
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
