import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { LogMeta, readHead } from '../logMeta.js';
import { realLogPath } from '../logPath.js';
import { type JetStreamOptions, JetStreamSettingError } from './jetStreamOptions.js';
import { positionPath, readPosition } from './replicaPosition.js';

/** The offset of the newest record the file at `path` holds (0: none, or not a readable log). */
function headOffset(path: string): number {
  let db: Database.Database | null = null;
  try {
    db = new Database(path, { fileMustExist: true });
    return readHead(db, new LogMeta(db)).next - 1;
  } catch {
    return 0;
  } finally {
    db?.close();
  }
}

/**
 * Refuse to create a missing NATS_STREAM while DATABASE_PATH holds records of another stream: creating it would start
 * an empty log and discard that replica, which is what a typo in NATS_STREAM does. NATS_ALLOW_NEW_STREAM=true allows
 * it. Hint: a replica of a stream of the same name (deleted since) is not refused: that is a log made again, which
 * gets a new epoch and rebuilds every replica, as a recreation by another node does.
 */
export function refuseOrphaningReplica(options: JetStreamOptions): void {
  const path = options.replicaPath === undefined ? undefined : realLogPath(options.replicaPath);
  if (path === undefined || options.allowNewStream === true || !existsSync(path)) return;
  const marker = readPosition(path);
  if (marker === null) return;
  // Hint: a marker written before it named the stream cannot say whose records it holds, so they are kept too.
  const stream = marker.stream;
  if (stream === options.stream) return;
  const head = headOffset(path);
  if (head === 0) return;
  const owner = stream === undefined ? `another stream (epoch ${marker.epoch})` : `stream ${stream}`;
  throw new JetStreamSettingError(
    'NATS_STREAM',
    `stream ${options.stream} does not exist, and DATABASE_PATH ${path} is a replica of ${owner} with records up to ` +
      `offset ${head}: check NATS_STREAM, or set NATS_ALLOW_NEW_STREAM=true to create ${options.stream} and discard ` +
      'that replica',
  );
}

/**
 * Refuse a DATABASE_PATH holding an embedded-mode log (records and no replica marker), before anything is asked of
 * the cluster. Why: it was found only when the replica was opened, after a missing stream had been created; and it
 * is a setting to change, not an outage to wait out (openReplica still refuses it, should the file change meanwhile).
 */
export function refuseEmbeddedLog(options: JetStreamOptions): void {
  const path = options.replicaPath;
  if (path === undefined || !existsSync(path) || existsSync(positionPath(path))) return;
  const head = headOffset(path);
  if (head === 0) return;
  throw new JetStreamSettingError(
    'DATABASE_PATH',
    `${path} holds an embedded-mode log (records up to offset ${head}), not a replica of a stream: move it away or ` +
      'point DATABASE_PATH elsewhere (a cluster node replicates the stream into its own file), or serve it without ' +
      'LOG_BACKEND=jetstream',
  );
}
