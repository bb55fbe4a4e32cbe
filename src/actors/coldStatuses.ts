import type { SessionStatus } from '../protocol/sessionStatus.js';
import { statusAfter } from './sessionMachine.js';
import type { PendingRecords } from './sessionPending.js';

/**
 * The last status (and offset) of sessions passivated from memory (the most recently set, at most `max` of them), so a
 * passivated session's new records fold into its projection row without an actor: a session's status follows from
 * its previous status and its lifecycle records alone, where an actor must first read the session's whole history.
 * Hint: with more sessions receiving events than MAX_ACTIVE_SESSIONS, nearly every record's session had been
 * passivated and its fold rebuilt an actor from the log: 8 s of ws-batch load over 20,000 sessions in turn (10,000
 * actors) committed 66,600-94,000 events that way, 616,300-986,300 with this (1,000 sessions: 0.86-1.51 M either way).
 */
/** Where a passivated session was: its status and the last record folded into it. */
export interface ColdSession {
  readonly status: SessionStatus;
  readonly offset: number;
}

/** A fold of waiting records: the status reached, and the first and last of them. */
export interface ColdFold {
  readonly status: SessionStatus;
  readonly first: number;
  readonly last: number;
}

/**
 * Passivated sessions' statuses kept per session actor allowed (about 82 bytes each, against ~3.5 KB an actor).
 * Hint: at 4 (40,000 at the default MAX_ACTIVE_SESSIONS), 200,000 sessions receiving events at random fell from
 * about 10,000 to 5,800 events/s in a minute, each fold rebuilding its session from the log; see the README.
 */
export const COLD_PER_ACTIVE = 50;

export class ColdStatuses {
  // Hint: two generations instead of a Map in recency order: taking a Map's first entry after many deletions from
  // its front skips every deleted slot (see SessionTable). When the newer reaches half the bound, the older is dropped.
  private newer = new Map<string, ColdSession>();
  private older = new Map<string, ColdSession>();

  constructor(private readonly max: number) {}

  get(sessionId: string): ColdSession | undefined {
    return this.newer.get(sessionId) ?? this.older.get(sessionId);
  }

  has(sessionId: string): boolean {
    return this.newer.has(sessionId) || this.older.has(sessionId);
  }

  set(sessionId: string, session: ColdSession): void {
    this.newer.set(sessionId, session);
    if (this.newer.size * 2 < this.max) return;
    this.older = this.newer;
    this.newer = new Map();
  }

  delete(sessionId: string): void {
    this.newer.delete(sessionId);
    this.older.delete(sessionId);
  }

  clear(): void {
    this.newer.clear();
    this.older.clear();
  }

  /**
   * Fold a passivated session's waiting records onto `base`, where it was when passivated (they are every record
   * since), and remember where it is now; null when none waited.
   */
  fold(sessionId: string, base: ColdSession, pending: PendingRecords): ColdFold | null {
    const summary = pending.take();
    if (summary === null) return null;
    let status = base.status;
    for (const record of summary.lifecycle) status = statusAfter(status, record.event_type);
    this.set(sessionId, { status, offset: summary.last_offset });
    return { status, first: summary.first_offset, last: summary.last_offset };
  }
}
