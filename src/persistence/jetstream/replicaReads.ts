import type { EventFilter } from '../../protocol/eventFilter.js';
import type { EventQuery } from '../../protocol/eventQuery.js';
import type { StoredEvent } from '../../protocol/eventRecord.js';
import type { EventLog, JsonPage, LogStats, SavedSession, SessionStatusRow } from '../eventLog.js';
import type { NoopOffset } from '../replicaNoops.js';
import type { SqliteReplicaLog } from '../sqliteReplicaLog.js';

/**
 * The cluster log's reads: every one is served by this node's SQLite replica, none touches the network
 * (JetStreamEventLog adds the writes, which go through the stream).
 */
export abstract class ReplicaReads {
  constructor(protected readonly replica: SqliteReplicaLog) {}

  /** Recorded no-op offsets from `fromOffset` on: offsets of the stream that hold no event, and why. */
  noopOffsets(fromOffset: number, limit: number): NoopOffset[] {
    return this.replica.noopOffsets(fromOffset, limit);
  }

  headOffset(): number {
    return this.replica.headOffset();
  }

  firstOffset(): number {
    return this.replica.firstOffset();
  }

  readFrom(fromOffset: number, filter: EventFilter, limit: number, upTo?: number): StoredEvent[] {
    return this.replica.readFrom(fromOffset, filter, limit, upTo);
  }

  readJsonFrom(fromOffset: number, filter: EventFilter, limit: number, upTo?: number): JsonPage {
    return this.replica.readJsonFrom(fromOffset, filter, limit, upTo);
  }

  query(query: EventQuery): StoredEvent[] {
    return this.replica.query(query);
  }

  getById(id: string): StoredEvent | null {
    return this.replica.getById(id);
  }

  stats(now: number): LogStats {
    return this.replica.stats(now);
  }

  saveSessionStatuses(...save: Parameters<EventLog['saveSessionStatuses']>): void {
    this.replica.saveSessionStatuses(...save);
  }

  sessionsFoldedUpTo(): number {
    return this.replica.sessionsFoldedUpTo();
  }

  noteSessionsFolded(upTo: number): void {
    this.replica.noteSessionsFolded(upTo);
  }

  listSessions(status: string | undefined, limit: number): SessionStatusRow[] {
    return this.replica.listSessions(status, limit);
  }

  sessionsToRefold(add?: readonly string[]): string[] {
    return this.replica.sessionsToRefold(add);
  }

  saveRefolded(...save: Parameters<EventLog['saveRefolded']>): void {
    this.replica.saveRefolded(...save);
  }

  savedSession(sessionId: string): SavedSession | null {
    return this.replica.savedSession(sessionId);
  }

  /** Offsets the replica serves from memory until its derived index has them (index build lag). */
  unindexedCount(): number {
    return this.replica.unindexedCount();
  }

  indexTail(): void {
    this.replica.indexTail();
  }

  ping(): boolean {
    return this.replica.ping();
  }
}
