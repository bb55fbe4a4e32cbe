import { createActor, type Actor } from 'xstate';
import type { EventLog, SessionStatusRow } from '../persistence/eventLog.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import { formatTimestamp } from '../protocol/eventRecord.js';
import { LIFECYCLE, sessionMachine, type SessionContext, type SessionStatus } from './sessionMachine.js';
import type { Logger } from './logger.js';

/** The GET /sessions/{id} body. */
export interface SessionView {
  readonly session_id: string;
  readonly status: SessionStatus;
  readonly user_ids: readonly string[];
  readonly event_count: number;
  readonly counts: SessionContext['counts'];
  readonly first_offset: number | null;
  readonly last_offset: number | null;
  readonly started_at: string | null;
  readonly completed_at: string | null;
  readonly quiz_id: string | null;
}

type SessionActor = Actor<typeof sessionMachine>;

interface Entry {
  readonly actor: SessionActor;
  touchedAt: number;
}

/** Options for the registry; the clock is injected so passivation is testable without sleeping. */
export interface SessionRegistryOptions {
  readonly log: EventLog;
  readonly now: () => number;
  readonly idleMs: number;
  readonly maxActive: number;
  readonly logger: Logger;
}

const HYDRATE_PAGE = 5_000;

/**
 * One xstate actor per session_id, created lazily and rebuilt from the log when first needed, passivated after
 * idle (or least recently used beyond `maxActive`), so memory stays bounded however many sessions the log holds.
 */
export class SessionRegistry {
  // Hint: Map keeps insertion order; re-inserting on touch makes the first entry the least recently used.
  private readonly active = new Map<string, Entry>();

  constructor(private readonly options: SessionRegistryOptions) {}

  get size(): number {
    return this.active.size;
  }

  /** Fold one committed batch: one actor message per session per batch. Returns status rows to persist. */
  applyBatch(records: readonly StoredEvent[]): SessionStatusRow[] {
    const bySession = new Map<string, StoredEvent[]>();
    for (const record of records) {
      if (record.session_id === null) continue;
      const list = bySession.get(record.session_id);
      if (list === undefined) bySession.set(record.session_id, [record]);
      else list.push(record);
    }
    const changed: SessionStatusRow[] = [];
    for (const [sessionId, batch] of bySession) {
      let entry = this.active.get(sessionId);
      if (entry === undefined) {
        // Hydration reads the log, which already holds this batch, so the new actor is complete.
        entry = this.hydrate(sessionId);
        const status = entry.actor.getSnapshot().value as SessionStatus;
        const fresh = entry.actor.getSnapshot().context.event_count === batch.length;
        if (fresh || batch.some((r) => LIFECYCLE[r.event_type] !== undefined)) {
          changed.push({ session_id: sessionId, status, offset: batch[batch.length - 1]!.offset });
        }
        continue;
      }
      this.touch(sessionId, entry);
      const before = entry.actor.getSnapshot().value;
      entry.actor.send({ type: 'session.records', records: batch });
      const after = entry.actor.getSnapshot().value as SessionStatus;
      if (after !== before) changed.push({ session_id: sessionId, status: after, offset: batch[batch.length - 1]!.offset });
    }
    this.evictOverflow();
    return changed;
  }

  /** The session's current view, hydrating it from the log if needed; null when the log has no events for it. */
  get(sessionId: string): SessionView | null {
    let entry = this.active.get(sessionId);
    if (entry === undefined) {
      entry = this.hydrate(sessionId);
      this.evictOverflow();
    } else this.touch(sessionId, entry);
    const snapshot = entry.actor.getSnapshot();
    if (snapshot.context.event_count === 0) {
      this.passivate(sessionId);
      return null;
    }
    return toView(snapshot.value as SessionStatus, snapshot.context);
  }

  /** Stop actors idle longer than idleMs. Called from a sweeper with the injected clock. */
  passivateIdle(): number {
    const cutoff = this.options.now() - this.options.idleMs;
    let stopped = 0;
    for (const [sessionId, entry] of this.active) {
      // Entries are in touch order, so the first fresh one ends the sweep.
      if (entry.touchedAt > cutoff) break;
      this.passivate(sessionId);
      stopped++;
    }
    return stopped;
  }

  stopAll(): void {
    for (const sessionId of [...this.active.keys()]) this.passivate(sessionId);
  }

  private hydrate(sessionId: string): Entry {
    const actor = createActor(sessionMachine, { input: { session_id: sessionId } });
    actor.subscribe({ error: (error) => this.options.logger.error({ err: error, session_id: sessionId }, 'session actor failed; passivated') });
    actor.start();
    let from = 1;
    for (;;) {
      const page = this.options.log.readFrom(from, { session_id: sessionId }, HYDRATE_PAGE);
      if (page.length === 0) break;
      actor.send({ type: 'session.records', records: page });
      if (page.length < HYDRATE_PAGE) break;
      from = page[page.length - 1]!.offset + 1;
    }
    const entry: Entry = { actor, touchedAt: this.options.now() };
    this.active.set(sessionId, entry);
    return entry;
  }

  private touch(sessionId: string, entry: Entry): void {
    entry.touchedAt = this.options.now();
    this.active.delete(sessionId);
    this.active.set(sessionId, entry);
  }

  private evictOverflow(): void {
    while (this.active.size > this.options.maxActive) {
      const oldest = this.active.keys().next().value as string;
      this.passivate(oldest);
    }
  }

  private passivate(sessionId: string): void {
    const entry = this.active.get(sessionId);
    if (entry === undefined) return;
    this.active.delete(sessionId);
    entry.actor.stop();
  }
}

function toView(status: SessionStatus, context: SessionContext): SessionView {
  return {
    session_id: context.session_id,
    status,
    user_ids: context.user_ids,
    event_count: context.event_count,
    counts: context.counts,
    first_offset: context.first_offset,
    last_offset: context.last_offset,
    started_at: context.started_at === null ? null : formatTimestamp(context.started_at),
    completed_at: context.completed_at === null ? null : formatTimestamp(context.completed_at),
    quiz_id: context.quiz_id,
  };
}
