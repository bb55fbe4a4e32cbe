import { existsSync, rmSync } from 'node:fs';
import { SqliteEventLog, type SqliteEventLogOptions } from '../sqliteEventLog.js';
import { JetStreamUnavailableError } from './jetStreamOptions.js';
import { positionPath, readPosition } from './replicaPosition.js';

/** A node's replica opened for a stream, and the last stream sequence it holds. */
export interface OpenedReplica {
  readonly replica: SqliteEventLog;
  readonly appliedSeq: number;
}

/** Files that make up a SQLite log at `path` (see logFile, indexDatabase). */
function logFiles(path: string): string[] {
  const base = [path, `${path}.index`];
  return [...base.flatMap((p) => [p, `${p}-wal`, `${p}-shm`]), positionPath(path)];
}

/**
 * Open the replica at `options.path` for the stream whose identity is `epoch`. A replica of another stream (the
 * stream was deleted and recreated) is discarded and rebuilt from the stream; a non-empty embedded-mode log (no
 * saved position beside it) is refused rather than discarded.
 */
export function openReplica(options: Omit<SqliteEventLogOptions, 'newEpoch'>, epoch: string): OpenedReplica {
  const position = readPosition(options.path);
  const replica = new SqliteEventLog({ ...options, newEpoch: () => epoch });
  if (replica.epoch === epoch) return { replica, appliedSeq: position?.epoch === epoch ? position.seq : 0 };
  const wasReplica = position !== null || (!existsSync(positionPath(options.path)) && replica.headOffset() === 0);
  replica.close();
  if (!wasReplica)
    throw new JetStreamUnavailableError(
      `${options.path} holds an embedded-mode log (epoch ${replica.epoch}), not a replica of this stream; move it away or point DATABASE_PATH elsewhere`,
    );
  options.onNotice?.(`replica ${options.path} belonged to epoch ${replica.epoch}; rebuilding it from stream ${epoch}`);
  for (const file of logFiles(options.path)) rmSync(file, { force: true });
  return { replica: new SqliteEventLog({ ...options, newEpoch: () => epoch }), appliedSeq: 0 };
}
