import type { EventInput } from '../protocol/eventInput.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { EventType } from '../protocol/eventTypes.js';
import type { GroupOutcome } from './eventLog.js';
import { planGroups } from './groupPlanner.js';
import type { AppendContext, LogAppender } from './logAppender.js';
import type { LogHead } from './logMeta.js';
import { hasProducerIds } from './producerIds.js';
import type { WriterThread } from './writerThread.js';

/** What the threaded appender tells the log besides the outcomes: the per-type counts of a commit that landed. */
export interface ThreadedAppendContext extends Omit<AppendContext, 'rolledBack'> {
  /** A commit landed: its per-type counts and timestamp (in memory; the writer thread wrote them to the table). */
  readonly counted: (perType: ReadonlyMap<EventType, number>, ts: number) => void;
  /**
   * Run `read` in one read transaction of the I/O thread's connection. Hint: each lookup alone is a transaction of
   * its own (its WAL read lock taken and released, its page cache dropped when the writer thread committed since),
   * 6-7 µs per producer id in sdk-publish; a commit's lookups together share one.
   */
  readonly readTogether: <T>(read: () => T) => T;
}

/** One planned commit: its outcomes, the records for the writer, and what to apply once it lands. */
interface Planned {
  readonly outcomes: GroupOutcome[];
  readonly first: number;
  readonly next: number;
  readonly ts: number;
  readonly producers: number[];
  readonly events: StoredEvent[];
  readonly perType: Map<EventType, number>;
}

/**
 * The group commit with the writer thread behind it. Offsets, ids and producer-id decisions are planned here on the
 * I/O thread (its reader sees every committed id, and commits go one at a time, so nothing in flight is missed); the
 * records go to the writer packed into a few strings; the head, the in-memory tail and the type counters move only
 * once the writer reports the commit durable. Readers never see an offset before its row is committed.
 */
export class ThreadedAppender {
  /** The last commit handed out; the next one plans after it has landed. */
  private last: Promise<unknown> = Promise.resolve();
  /** Commits handed out whose promise has not settled yet. */
  private unanswered = 0;

  constructor(
    private readonly head: LogHead,
    private readonly thread: WriterThread,
    private readonly context: ThreadedAppendContext,
    /** The hybrid: commits under `below` events and `belowChars` payload characters are written inline. */
    private readonly small: {
      readonly inline: LogAppender;
      readonly below: number;
      readonly belowChars: number;
    } | null = null,
  ) {}

  /** Why the writer thread is gone, or null. */
  get dead(): string | null {
    return this.thread.dead;
  }

  /** The asynchronous commit: resolves once the writer thread committed it; rejects with nothing committed. */
  commit(groups: readonly (readonly EventInput[])[]): Promise<GroupOutcome[]> {
    // Hint: sent at once when nothing is unanswered (the group commit's case), else after the previous one landed.
    const result = this.unanswered === 0 ? this.send(groups) : this.last.then(() => this.send(groups));
    this.unanswered++;
    this.last = result.then(
      () => this.unanswered--,
      () => this.unanswered--,
    );
    return result;
  }

  /** The synchronous commit (tests, tools): waits for everything in flight, then for this one. */
  commitSync(groups: readonly (readonly EventInput[])[]): GroupOutcome[] {
    this.thread.settle();
    const inline = this.inlineFor(groups);
    if (inline !== null) return inline.commit(groups);
    const planned = this.plan(groups);
    if (planned.events.length === 0) return planned.outcomes;
    let failure: Error | null | undefined;
    this.thread.send(
      { first: planned.first, ts: planned.ts, events: planned.events, producers: planned.producers },
      (error) => {
        failure = error;
      },
    );
    this.thread.settle();
    if (failure !== null) throw failure ?? new Error('the log writer thread did not answer');
    this.landed(planned);
    return planned.outcomes;
  }

  /** Test hook: end the writer thread abruptly. */
  crash(): void {
    this.thread.crash();
  }

  /** Answer what is in flight and close the writer's connection. */
  close(): void {
    this.thread.close();
  }

  /** Wait (synchronously) until every commit sent has been answered. */
  settle(): void {
    this.thread.settle();
  }

  /**
   * The inline appender when this commit is small enough to be written on the I/O thread, else null. Hint: only with
   * nothing in flight (callers settle or chain first), so the two connections never write at once; and never once
   * the thread is dead (then every commit fails, as before: the log reports itself unwritable).
   */
  private inlineFor(groups: readonly (readonly EventInput[])[]): LogAppender | null {
    const small = this.small;
    if (small === null || this.thread.dead !== null || this.thread.inFlight > 0) return null;
    let events = 0;
    let chars = 0;
    for (const group of groups) {
      events += group.length;
      if (events >= small.below) return null;
      for (const input of group) chars += input.payloadJson.length;
      if (chars >= small.belowChars) return null;
    }
    return small.inline;
  }

  private send(groups: readonly (readonly EventInput[])[]): Promise<GroupOutcome[]> {
    let planned: Planned;
    try {
      // Hint: the inline appender moves the head, tail and counters itself (undone if its transaction rolls back);
      // it returns only once the commit is durable, so the ack still follows the commit.
      const inline = this.inlineFor(groups);
      if (inline !== null) return Promise.resolve(inline.commit(groups));
      planned = this.plan(groups);
    } catch (error) {
      return Promise.reject(error);
    }
    if (planned.events.length === 0) return Promise.resolve(planned.outcomes);
    return new Promise((resolve, reject) => {
      this.thread.send(
        { first: planned.first, ts: planned.ts, events: planned.events, producers: planned.producers },
        (error) => {
          if (error !== null) return reject(error);
          this.landed(planned);
          resolve(planned.outcomes);
        },
      );
    });
  }

  private plan(groups: readonly (readonly EventInput[])[]): Planned {
    const ts = Math.max(this.context.now(), this.head.lastTs);
    // Hint: sized for every input up front (trimmed after, when some were duplicates): growing it (and the row values
    // it once had beside it) by push copied them about twice per commit, ~0.3 KB of garbage per event (gcPerEvent).
    let inputs = 0;
    for (const group of groups) inputs += group.length;
    const events = new Array<StoredEvent>(inputs);
    const producers: number[] = [];
    const perType = new Map<EventType, number>();
    const first = this.head.next;
    let count = 0;
    const context = {
      next: first,
      ts,
      newId: this.context.newId,
      getById: this.context.getById,
      beforeLookup: () => {},
      write: (event: StoredEvent, producerId: string | null) => {
        if (producerId !== null) producers.push(count);
        events[count++] = event;
        perType.set(event.event_type, (perType.get(event.event_type) ?? 0) + 1);
      },
    };
    // Hint: only lookups need the shared read transaction; a commit without producer ids makes none.
    const outcomes = groups.some(hasProducerIds)
      ? this.context.readTogether(() => planGroups(groups, context))
      : planGroups(groups, context);
    events.length = count;
    return { outcomes, first, next: context.next, ts, producers, events, perType };
  }

  private landed(planned: Planned): void {
    this.head.next = planned.next;
    this.head.lastTs = planned.ts;
    const { events, producers } = planned;
    // Hint: `producers` holds the indexes of the events under a producer's id, ascending.
    for (let i = 0, p = 0; i < events.length; i++) {
      const producer = p < producers.length && producers[p] === i;
      if (producer) p++;
      this.context.appended(events[i]!, producer);
    }
    this.context.counted(planned.perType, planned.ts);
  }
}
