import type { SessionStatusRow } from '../persistence/eventLog.js';
import type { SessionStatus } from '../protocol/sessionStatus.js';
import type { SessionEntry } from './sessionEntry.js';
import { statusAfter } from './sessionMachine.js';

/**
 * The last status of sessions passivated from memory (the most recently set, at most `max` of them), so a
 * passivated session's new records fold into its projection row without an actor: a session's status follows from
 * its previous status and its lifecycle records alone, where an actor must first read the session's whole history.
 * Hint: with more sessions receiving events than MAX_ACTIVE_SESSIONS, nearly every record's session had been
 * passivated and its fold rebuilt an actor from the log: 8 s of ws-batch load over 20,000 sessions in turn (10,000
 * actors) committed 66,600-94,000 events that way, 616,300-986,300 with this (1,000 sessions: 0.86-1.51 M either way).
 */
export class ColdStatuses {
  // Hint: two generations instead of a Map in recency order: taking a Map's first entry after many deletions from
  // its front skips every deleted slot (see SessionTable). When the newer reaches half the bound, the older is dropped.
  private newer = new Map<string, SessionStatus>();
  private older = new Map<string, SessionStatus>();

  constructor(private readonly max: number) {}

  get(sessionId: string): SessionStatus | undefined {
    return this.newer.get(sessionId) ?? this.older.get(sessionId);
  }

  set(sessionId: string, status: SessionStatus): void {
    this.newer.set(sessionId, status);
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
   * Fold a passivated session's waiting records onto `base`, its status when it was passivated (they are every record
   * since), noting what is saved in the entry: the projection row (with the last of them) when there were any.
   */
  fold(entry: SessionEntry, base: SessionStatus): SessionStatusRow | null {
    const summary = entry.pending.take();
    let status = base;
    for (const record of summary?.lifecycle ?? []) status = statusAfter(status, record.event_type);
    this.set(entry.sessionId, status);
    entry.savedStatus = status;
    if (summary === null) return null;
    entry.savedOffset = summary.last_offset;
    return { session_id: entry.sessionId, status, offset: summary.last_offset };
  }
}
