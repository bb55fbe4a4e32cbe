import { existsSync, rmSync } from 'node:fs';
import { lockLog } from '../logFile.js';
import type { LogLock } from '../logLock.js';
import type { SqliteEventLogOptions } from '../sqliteEventLog.js';
import { SqliteReplicaLog } from '../sqliteReplicaLog.js';
import { JetStreamUnavailableError } from './jetStreamOptions.js';
import { positionPath, readPosition, writePosition } from './replicaPosition.js';

/** Files that make up a SQLite log at `path` (see logFile, indexDatabase). */
function logFiles(path: string): string[] {
  const base = [path, `${path}.index`];
  return [...base.flatMap((p) => [p, `${p}-wal`, `${p}-shm`]), positionPath(path)];
}

/** The replica's log options, and the stream it replicates (named in its marker, see replicaGuard). */
type ReplicaOptions = Omit<SqliteEventLogOptions, 'newEpoch'> & { readonly jetstream?: { readonly stream: string } };

/**
 * Open the replica at `options.path` for the stream whose identity is `epoch`. A replica of another stream (the
 * stream was deleted and recreated), or of the earlier one-message-per-commit layout, is discarded and rebuilt from
 * the stream (which stops, refusing publishes, at the first message in a layout this build cannot read: see
 * OtherLayoutError); a non-empty embedded-mode log (no marker file beside it) is refused rather than discarded.
 */
export function openReplica(options: ReplicaOptions, epoch: string): SqliteReplicaLog {
  const marker = readPosition(options.path);
  const replica = new SqliteReplicaLog({ ...options, newEpoch: () => epoch });
  if (replica.epoch === epoch && (marker === null || marker.layout === 'seq')) return mark(replica, options);
  const wasReplica = marker !== null || (!existsSync(positionPath(options.path)) && replica.headOffset() === 0);
  if (!wasReplica) {
    replica.close();
    throw new JetStreamUnavailableError(
      `${options.path} holds an embedded-mode log (epoch ${replica.epoch}), not a replica of this stream; move it away or point DATABASE_PATH elsewhere`,
    );
  }
  // Hint: the lock is kept through the rebuild: released, another server could open the files being deleted.
  const lock = replica.closeKeepingLock();
  const why =
    replica.epoch === epoch
      ? 'was written in the earlier one-message-per-commit layout'
      : `belonged to epoch ${replica.epoch}`;
  options.onNotice?.(`replica ${options.path} ${why}; rebuilding it from the stream (epoch ${epoch})`);
  for (const file of logFiles(options.path)) rmSync(file, { force: true });
  return mark(new SqliteReplicaLog({ ...options, lock, newEpoch: () => epoch }), options);
}

/** Mark the file as a replica of the stream (its epoch and name), unless it already says so. */
function mark(replica: SqliteReplicaLog, options: ReplicaOptions): SqliteReplicaLog {
  const marker = readPosition(options.path);
  const stream = options.jetstream?.stream;
  if (marker?.layout !== 'seq' || marker.epoch !== replica.epoch || (stream !== undefined && marker.stream !== stream))
    writePosition(options.path, {
      epoch: replica.epoch,
      layout: 'seq',
      ...(stream === undefined ? {} : { stream }),
    });
  return replica;
}

/**
 * Run `open` holding DATABASE_PATH's one-server lock, taken before anything is asked of the cluster (released if it
 * fails). Hint: taken by the replica's open, a node on a held path (exit 5) had already created a new stream.
 */
export async function underReplicaLock<T>(
  options: ReplicaOptions,
  open: (lock: LogLock | null) => Promise<T>,
): Promise<T> {
  const lock = options.lock !== undefined ? options.lock : lockLog(options.path, options.onNotice);
  try {
    return await open(lock);
  } catch (error) {
    lock?.release();
    throw error;
  }
}
