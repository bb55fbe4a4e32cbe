import { existsSync, rmSync } from 'node:fs';
import type { SqliteEventLogOptions } from '../sqliteEventLog.js';
import { SqliteReplicaLog } from '../sqliteReplicaLog.js';
import { JetStreamUnavailableError } from './jetStreamOptions.js';
import { positionPath, readPosition, writePosition } from './replicaPosition.js';

/** Files that make up a SQLite log at `path` (see logFile, indexDatabase). */
function logFiles(path: string): string[] {
  const base = [path, `${path}.index`];
  return [...base.flatMap((p) => [p, `${p}-wal`, `${p}-shm`]), positionPath(path)];
}

/**
 * Open the replica at `options.path` for the stream whose identity is `epoch`. A replica of another stream (the
 * stream was deleted and recreated), or of the earlier one-message-per-commit layout, is discarded and rebuilt from
 * the stream; a non-empty embedded-mode log (no marker file beside it) is refused rather than discarded.
 */
export function openReplica(options: Omit<SqliteEventLogOptions, 'newEpoch'>, epoch: string): SqliteReplicaLog {
  const marker = readPosition(options.path);
  const replica = new SqliteReplicaLog({ ...options, newEpoch: () => epoch });
  if (replica.epoch === epoch && (marker === null || marker.layout === 'seq')) return mark(replica, options.path);
  const wasReplica = marker !== null || (!existsSync(positionPath(options.path)) && replica.headOffset() === 0);
  replica.close();
  if (!wasReplica)
    throw new JetStreamUnavailableError(
      `${options.path} holds an embedded-mode log (epoch ${replica.epoch}), not a replica of this stream; move it away or point DATABASE_PATH elsewhere`,
    );
  options.onNotice?.(`replica ${options.path} belonged to epoch ${replica.epoch}; rebuilding it from stream ${epoch}`);
  for (const file of logFiles(options.path)) rmSync(file, { force: true });
  return mark(new SqliteReplicaLog({ ...options, newEpoch: () => epoch }), options.path);
}

function mark(replica: SqliteReplicaLog, path: string): SqliteReplicaLog {
  if (readPosition(path)?.layout !== 'seq') writePosition(path, { epoch: replica.epoch, layout: 'seq' });
  return replica;
}
