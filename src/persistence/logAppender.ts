import type Database from 'better-sqlite3';
import type { EventInput } from '../protocol/eventInput.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { GroupOutcome } from './eventLog.js';
import type { LogHead } from './logMeta.js';
import { hasProducerIds, type ProducerIdDecision, resolveProducerIds } from './producerIds.js';
import type { RowWriter } from './rowWriter.js';

/** What an append needs besides the rows: a clock, ids, the lookup of committed ids, and who hears of each row. */
export interface AppendContext {
  readonly now: () => number;
  readonly newId: () => string;
  /** A committed event by id (the rows of this commit are flushed before it is asked). */
  readonly getById: (id: string) => StoredEvent | null;
  /** An event was appended (in offset order); undone by `rolledBack` when the commit fails. */
  readonly appended: (event: StoredEvent) => void;
  /** The commit that appended from `offset` on rolled back. */
  readonly rolledBack: (offset: number) => void;
}

/**
 * A group commit: several producers' groups in one transaction. Each group is resolved against the producer ids
 * already committed (all-or-nothing: a conflict rejects only that group), then its new rows go to the row writer.
 * On failure the transaction rolls back, and so does everything held in memory.
 */
export class LogAppender {
  private readonly transaction: (groups: readonly (readonly EventInput[])[]) => GroupOutcome[];

  constructor(
    db: Database.Database,
    private readonly head: LogHead,
    private readonly rows: RowWriter,
    private readonly context: AppendContext,
  ) {
    this.transaction = db.transaction((groups: readonly (readonly EventInput[])[]) => this.inTransaction(groups));
  }

  /** Commit `groups`; throws the database's error when nothing was committed. */
  commit(groups: readonly (readonly EventInput[])[]): GroupOutcome[] {
    const { next, lastTs } = this.head;
    try {
      return this.transaction(groups);
    } catch (error) {
      this.head.next = next;
      this.head.lastTs = lastTs;
      this.context.rolledBack(next);
      throw error;
    }
  }

  private inTransaction(groups: readonly (readonly EventInput[])[]): GroupOutcome[] {
    const ts = Math.max(this.context.now(), this.head.lastTs);
    this.rows.begin();
    // Producer ids committed by earlier groups of this commit, so a repeat in a later group resolves without SQL.
    const committedHere = new Map<string, StoredEvent>();
    const outcomes = groups.map((group) => this.appendGroup(group, ts, committedHere));
    if (this.rows.finish(this.head.next, ts)) this.head.lastTs = ts;
    return outcomes;
  }

  private appendGroup(group: readonly EventInput[], ts: number, committedHere: Map<string, StoredEvent>): GroupOutcome {
    let decisions: readonly ProducerIdDecision<StoredEvent>[] | null = null;
    if (hasProducerIds(group)) {
      // Hint: lookups read the table, so buffered rows are written first; groups without ids keep buffering.
      this.rows.flush();
      const resolved = resolveProducerIds(group, this.context.getById, committedHere);
      if (!resolved.ok) return resolved;
      decisions = resolved.decisions;
    }
    const records: StoredEvent[] = [];
    const appended: StoredEvent[] = [];
    for (let i = 0; i < group.length; i++) {
      const decision = decisions?.[i];
      if (decision !== undefined && decision.kind !== 'new') {
        records.push(decision.kind === 'duplicate' ? decision.record : records[decision.index]!);
        continue;
      }
      const input = group[i]!;
      const event = this.append(input, ts);
      if (input.id !== null) committedHere.set(input.id, event);
      records.push(event);
      appended.push(event);
    }
    return { ok: true, records, appended };
  }

  private append(input: EventInput, ts: number): StoredEvent {
    const event: StoredEvent = {
      offset: this.head.next++,
      id: input.id ?? this.context.newId(),
      event_type: input.event_type,
      source: input.source,
      session_id: input.session_id,
      user_id: input.user_id,
      payloadJson: input.payloadJson,
      ts,
    };
    this.rows.write(event, input.id);
    this.context.appended(event);
    return event;
  }
}
