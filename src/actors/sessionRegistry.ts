import type { SessionStatusRow } from '../persistence/eventLog.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import { COLD_PER_ACTIVE, ColdStatuses } from './coldStatuses.js';
import { FailureLines } from './failureLines.js';
import { catchUpSessions, quizPayloads } from './sessionCatchUp.js';
import { newEntry, RetiredActors, type SessionActor, type SessionEntry, SessionTable } from './sessionEntry.js';
import { EntryHydration } from './sessionHydration.js';
import { foldedBelow } from './sessionPending.js';
import type { SessionRegistryOptions } from './sessionRegistryOptions.js';
import { SessionRows } from './sessionRows.js';
import { SnapshotQueue } from './sessionSnapshot.js';
import { type SessionView, toView, type UserWindow } from './sessionView.js';

/** Session actor ids carry this prefix, so the supervisor can tell their failures from its subscribers'. */
export const SESSION_ACTOR_PREFIX = 'session:';

/**
 * One xstate actor per session_id, a child of the supervisor, rebuilt from the log when first needed and passivated
 * after idle (or least recently used beyond `maxActive`), so memory stays bounded however many sessions the log
 * holds. A child cannot be stopped directly: passivated ones go to the supervisor (`takeRetired`) for stopChild.
 * Hint: the hot path only adds committed records to a per-session summary (PendingRecords); the actor folds it in one
 * message at the next sweep or read (sooner past PENDING_USERS_BOUND): folding each commit would cost a send per event.
 */
export class SessionRegistry {
  private readonly active = new SessionTable();
  private readonly dirty = new Set<SessionEntry>();
  /** Highest offset handed to applyBatch (the head at start): once nothing is dirty, all up to it is folded. */
  routedUpTo = 0;
  private readonly retired = new RetiredActors(); // passivated or failed, not stopped by the supervisor yet
  private readonly snapshots: SnapshotQueue;
  passivations = 0; // since start (idle, over MAX_ACTIVE_SESSIONS, failed or stopped), for /metrics
  private readonly cold: ColdStatuses;
  private readonly rows: SessionRows;
  private readonly hydration: EntryHydration;

  constructor(private readonly options: SessionRegistryOptions) {
    this.cold = new ColdStatuses(options.maxActive * COLD_PER_ACTIVE);
    this.snapshots = new SnapshotQueue(() => options.log.firstOffset(), options.snapshots);
    const fewest = this.snapshots.cadence.minEvents;
    this.hydration = new EntryHydration(options, fewest, options.monotonic, SESSION_ACTOR_PREFIX);
    this.rows = new SessionRows(
      new FailureLines(options.logger, 'saving session statuses failed; retried at the next save'),
    );
  }

  get size(): number {
    return this.active.size;
  }

  /** Every session record up to this offset is folded (the first pending one less one, else routedUpTo). */
  foldedUpTo(): number {
    return foldedBelow(this.dirty, this.routedUpTo);
  }

  /** Queue one committed batch for its sessions (plain loop, no actor messages); true when one should fold soon. */
  applyBatch(records: readonly StoredEvent[]): boolean {
    let foldSoon = false;
    const now = this.options.monotonic();
    if (records.length > 0) this.routedUpTo = Math.max(this.routedUpTo, records[records.length - 1]!.offset);
    // Hint: a commit that landed just before a delete is routed after it; what it deleted is not folded.
    const first = this.options.log.firstOffset();
    for (const record of records) {
      const sessionId = record.session_id;
      if (sessionId === null || record.offset < first) continue;
      let entry = this.active.get(sessionId);
      if (entry === undefined) {
        entry = newEntry(sessionId, now);
        this.active.add(entry);
      } else if (entry.pending.size === 0) this.active.touch(entry, now);
      foldSoon = entry.pending.push(record) || foldSoon;
      this.dirty.add(entry);
    }
    this.evictOverflow();
    return foldSoon;
  }

  /** Fold sessions with pending records (one actor message each) until `deadline` (the `monotonic` clock). */
  foldPending(deadline: number): SessionStatusRow[] {
    const rows: SessionStatusRow[] = [];
    let folded = 0;
    for (const entry of this.dirty) {
      // Hint: the clock before every fold but the first (most take 10-20 µs); a session not in memory is read a page
      // at a time, carried to the next slice (one a delete cut took ~40 ms in one go).
      if (folded++ > 0 && this.options.monotonic() > deadline) break;
      if (entry.actor === null && !this.cold.has(entry.sessionId) && this.hydrate(entry, deadline) === null) break;
      const row = this.fold(entry.sessionId, entry);
      if (row !== null) rows.push(row);
    }
    this.noteIfFolded();
    return rows;
  }

  /** Note the projection's high-water (foldedBelow) when nothing waits, and with `scan` (each sweep) even if some do. */
  private noteIfFolded(scan = false): void {
    if (this.routedUpTo === 0 || (this.dirty.size > 0 && !scan)) return;
    const upTo = this.rows.cap(foldedBelow(this.dirty, this.routedUpTo));
    if (upTo > 0) this.options.log.noteSessionsFolded(upTo);
  }

  /** Bring the session projections up to the log's head at startup (catchUpSessions); returns sessions folded. */
  catchUp(): number {
    this.routedUpTo = Math.max(this.routedUpTo, this.options.log.headOffset());
    return catchUpSessions(this.options.log);
  }

  /** Actors passivated since the last call, for the supervisor to stop (stopChild). */
  takeRetired(): readonly SessionActor[] {
    return this.retired.take();
  }

  /** A session actor failed: drop it if it is still the live one; the next use rebuilds it from the log. */
  failed(sessionId: string, error: unknown): void {
    this.options.logger.error({ err: error, session_id: sessionId }, 'session actor failed; rebuilt from the log');
    const entry = this.active.get(sessionId);
    if (entry?.actor?.getSnapshot().status === 'error') this.passivate(sessionId);
    this.cold.delete(sessionId);
  }

  /** True when some session has records not folded yet. */
  hasPending(): boolean {
    return this.dirty.size > 0;
  }

  /** Its view (the user ids in `users`), hydrated from the log by `deadline` (else undefined); null if it has none. */
  get(sessionId: string, users?: UserWindow, deadline?: number): SessionView | null | undefined {
    const entry = this.active.touchOrAdd(sessionId, this.options.monotonic());
    if (entry.actor === null && this.hydrate(entry, deadline) === null) return undefined;
    const row = this.fold(sessionId, entry, true);
    this.noteIfFolded();
    if (row !== null) this.save([row]);
    const snapshot = entry.actor!.getSnapshot();
    if (snapshot.context.event_count === 0) {
      this.passivate(sessionId, false); // a session the log has none of (a 404): not a passivation in /metrics
      return null;
    }
    this.evictOverflow();
    return toView(snapshot.value, snapshot.context, users);
  }

  /** Stop actors idle longer than idleMs (folding them first). Returns rows to persist, with every row that waits. */
  passivateIdle(): SessionStatusRow[] {
    const cutoff = this.options.monotonic() - this.options.idleMs;
    // Entries are in touch order, so the first fresh one ends the sweep.
    const rows = this.retireWhile((entry) => entry.touchedAt <= cutoff);
    rows.push(...this.rows.take());
    this.noteIfFolded(true);
    return rows;
  }

  /** Fold everything pending and stop every actor. Returns projection rows to persist. */
  stopAll(): SessionStatusRow[] {
    const rows = [...this.foldPending(Number.POSITIVE_INFINITY), ...this.rows.take()];
    this.dropAll();
    return rows;
  }

  /** Rows whose newest offset waits to be written (see SessionRows), to save now; listings save them first. */
  takeWaitingRows(): readonly SessionStatusRow[] {
    const rows = this.rows.take();
    this.noteIfFolded();
    return rows;
  }

  /** Stop every actor without folding (retention: folds may count deleted records); sessions with rows behind. */
  dropAll(): string[] {
    const waiting = [...Array.from(this.dirty, (entry) => entry.sessionId), ...this.rows.drop()];
    for (const sessionId of this.active.ids()) this.passivate(sessionId);
    this.cold.clear();
    return waiting;
  }

  /** Bring the actor up to date (a passivated session, without one unless `needActor`: see ColdStatuses); a row to save. */
  private fold(sessionId: string, entry: SessionEntry, needActor = false): SessionStatusRow | null {
    // Hint: a failed actor may still be here when its error event is queued behind the current supervisor event.
    if (entry.actor !== null && entry.actor.getSnapshot().status !== 'active') {
      this.retired.push(entry.actor);
      entry.actor = null;
    }
    const base = entry.actor === null && !needActor ? this.cold.get(sessionId) : undefined;
    if (base !== undefined) {
      this.dirty.delete(entry);
      this.rows.resume(entry, base.status, base.offset);
      const folded = this.cold.fold(sessionId, base, entry.pending);
      return folded === null ? null : this.rows.settle(entry, folded.status, folded.first, folded.last);
    }
    const first = entry.pending.firstOffset;
    let actor = (entry.actor ?? this.hydrate(entry))!;
    const summary = entry.pending.take((from, upTo) => quizPayloads(this.options.log, sessionId, from, upTo));
    if (summary !== null) actor.send({ type: 'session.summary', summary });
    // Hint: an actor that failed on its summary would leave its row stale; it is rebuilt from the log at once.
    if (actor.getSnapshot().status !== 'active') {
      this.retired.push(actor);
      actor = this.hydrate(entry)!; // its pending records taken: up to all routed
    }
    this.dirty.delete(entry);
    this.snapshots.offer(entry, false);
    const { value: status, context } = actor.getSnapshot();
    const last = context.last_offset;
    return last === null ? null : this.rows.settle(entry, status, first ?? last + 1, last);
  }

  /**
   * A new actor for the entry, folded from the log by `deadline` (else null). Hint: the session's records since the
   * entry was made are pending, so the log is read below the first of them, else up to what applyBatch was handed: a
   * commit can be in the log before it is routed, and reading it now would fold its records twice when they come.
   */
  private hydrate(entry: SessionEntry, deadline?: number): SessionActor | null {
    const first = entry.pending.firstOffset;
    const actor = this.hydration.hydrate(entry, first === undefined ? this.routedUpTo : first - 1, deadline);
    if (actor !== null) this.cold.delete(entry.sessionId); // the actor holds the status; passivating remembers it
    return actor;
  }

  private evictOverflow(): void {
    if (this.active.size <= this.options.maxActive) return;
    const rows = this.retireWhile(() => this.active.size > this.options.maxActive);
    this.noteIfFolded();
    this.save(rows);
  }

  /** Passivate the least recently touched entries while `more` holds for the first, folding each first; their rows. */
  private retireWhile(more: (entry: SessionEntry) => boolean): SessionStatusRow[] {
    const rows: SessionStatusRow[] = [];
    for (let entry = this.active.first(); entry !== null && more(entry); entry = this.active.first()) {
      const row = this.fold(entry.sessionId, entry); // so the status projection stays current
      if (row !== null) rows.push(row);
      this.passivate(entry.sessionId);
    }
    return rows;
  }

  /** Save rows and the snapshots taken meanwhile; rows a save failed to write (disk full) go with the next save. */
  save(rows: readonly SessionStatusRow[]): void {
    this.rows.save(rows, (all) => this.options.log.saveSessionStatuses(all, undefined, this.snapshots.take()));
  }

  private passivate(sessionId: string, counted = true): void {
    const entry = this.active.get(sessionId);
    if (entry === undefined) return;
    this.snapshots.offer(entry, true);
    if (counted) this.passivations++;
    this.active.remove(entry);
    this.dirty.delete(entry);
    if (entry.savedStatus !== null && entry.pending.size === 0)
      this.cold.set(sessionId, { status: entry.savedStatus, offset: entry.foldedOffset! });
    if (entry.actor !== null) this.retired.push(entry.actor);
  }
}
