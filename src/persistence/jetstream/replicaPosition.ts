import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * The last stream sequence a replica applied, kept beside the SQLite file (`<DATABASE_PATH>.jetstream.json`).
 * It is written after applying, not in the same transaction: it may lag the replica after a crash, which is safe
 * because every event carries an id recorded as a producer id, so re-applying a message appends nothing.
 */
export interface ReplicaPosition {
  readonly epoch: string;
  readonly seq: number;
}

/** Where the position of the replica at `databasePath` lives; its presence also marks the file as a replica. */
export function positionPath(databasePath: string): string {
  return `${databasePath}.jetstream.json`;
}

/** The saved position, or null when none (or unreadable: the replica then re-applies from the stream's start). */
export function readPosition(databasePath: string): ReplicaPosition | null {
  const path = positionPath(databasePath);
  if (!existsSync(path)) return null;
  try {
    const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof raw !== 'object' || raw === null) return null;
    const { epoch, seq } = raw as Record<string, unknown>;
    return typeof epoch === 'string' && typeof seq === 'number' && Number.isSafeInteger(seq) ? { epoch, seq } : null;
  } catch {
    return null;
  }
}

/** Save the position (write then rename, so a crash leaves the old or the new one, never half of either). */
export function writePosition(databasePath: string, position: ReplicaPosition): void {
  const path = positionPath(databasePath);
  writeFileSync(`${path}.tmp`, JSON.stringify(position));
  renameSync(`${path}.tmp`, path);
}
