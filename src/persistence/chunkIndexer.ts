import type Database from 'better-sqlite3';
import type { StoredEvent } from '../protocol/eventRecord.js';
import { OFFSET_CHARS, OFFSET_ID_ALPHABET, OFFSET_ID_CHARS } from '../protocol/offsetIds.js';

/** An indexed offset range: chunk `c` holds the session, user and id index entries of offsets lo..hi. */
export interface Chunk {
  readonly c: number;
  readonly lo: number;
  readonly hi: number;
}

/**
 * A chunk to build: with how many of its rows the tail recorded an id for that only the id index finds (an upper
 * bound: a tail rebuilt at open counts producers' ids too). 0 lets the build skip the id statement's scan.
 */
export interface ChunkBuild extends Chunk {
  readonly idRows: number;
}

/** A chunk as built: with the number of its rows whose id only the id index finds (see chunkBuildSql). */
export interface BuiltChunk extends Chunk {
  readonly ids: number;
}

/** Builds index chunks for sealed offset ranges and reports each one when it is committed. */
export interface ChunkIndexer {
  /** Build a chunk; it is reported (with its `ids`) to the callback the indexer was made with. */
  build(chunk: ChunkBuild): void;
  /** Remove whole chunks (after retention deleted their offsets). */
  drop(chunks: readonly number[]): void;
  /**
   * True when this indexer checkpoints the log's WAL on its own thread (checkpointLog); the connections that commit
   * then keep SQLite's automatic checkpoint only as a fallback (LOG_FALLBACK_AUTOCHECKPOINT_PAGES).
   */
  readonly checkpointsLog: boolean;
  /** Copy the log's WAL into its database file (PASSIVE: never waits for or blocks a reader or the writer). */
  checkpointLog(): void;
  close(): void;
}

/**
 * WAL pages after which a connection that commits checkpoints by itself while the index worker checkpoints the log
 * (SQLite's default is 1,000). Hint: an automatic checkpoint runs inside the commit that crossed it, with two fsyncs,
 * on the thread that committed: the writer thread (its next commit waits) or, for the hybrid's small commits, the I/O
 * thread (every socket waits). This bound is reached only if the worker's checkpoints fall behind or fail.
 */
export const LOG_FALLBACK_AUTOCHECKPOINT_PAGES = 4_096;
/** Appended bytes (estimated) between two checkpoints asked of the index worker: SQLite's default, 1,000 pages. */
export const LOG_CHECKPOINT_BYTES = 1024 * 1024;
/** Bytes counted per row besides its payload (ids, type, source, keys, offset, timestamp, record header). */
export const ROW_BYTES = 96;

/**
 * Told of every appended event; asks `indexer` for a checkpoint of the log every LOG_CHECKPOINT_BYTES or so, when
 * `mayCopy` (asked first) agrees that the database file is still the log's (see LogFileWatch).
 */
export function checkpointCadence(
  indexer: ChunkIndexer,
  mayCopy: () => boolean = () => true,
): (event: StoredEvent) => void {
  if (!indexer.checkpointsLog) return () => {};
  let bytes = 0;
  return (event) => {
    bytes += event.payloadJson.length + ROW_BYTES;
    if (bytes < LOG_CHECKPOINT_BYTES) return;
    bytes = 0;
    if (mayCopy()) indexer.checkpointLog();
  };
}

/** What SQLite's wal_checkpoint reports: WAL frames, and how many of them are now in the database file. */
export interface CheckpointResult {
  readonly busy: number;
  readonly log: number;
  readonly checkpointed: number;
}

/** DDL of the index database. Chunk-major keys make every bulk build an append at the end of each B-tree. */
export const INDEX_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS chunks (c INTEGER PRIMARY KEY, lo INTEGER NOT NULL, hi INTEGER NOT NULL, ids INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ix_session (c INTEGER NOT NULL, k TEXT NOT NULL, o INTEGER NOT NULL, PRIMARY KEY (c, k, o)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ix_user (c INTEGER NOT NULL, k TEXT NOT NULL, o INTEGER NOT NULL, PRIMARY KEY (c, k, o)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ix_id (c INTEGER NOT NULL, k TEXT NOT NULL, o INTEGER NOT NULL, PRIMARY KEY (c, k, o)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keys_session (k TEXT PRIMARY KEY, first_c INTEGER NOT NULL, last_c INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keys_user (k TEXT PRIMARY KEY, first_c INTEGER NOT NULL, last_c INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keys_id (k TEXT NOT NULL, c INTEGER NOT NULL, PRIMARY KEY (k, c)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;

/** Bumped whenever the index layout changes; an index database of another version is rebuilt from the log. */
export const INDEX_VERSION = 5;

/** Index tables, for dropping an outdated index database. */
export const INDEX_TABLES = ['chunks', 'ix_session', 'ix_user', 'ix_id', 'keys_session', 'keys_user', 'keys_id'];

/**
 * SQL, true when an events row's `id` is the `offsetIds` id of its own `offset` (the 8 symbols that start its last
 * 21 characters spell the offset): a read finds such a row at the offset its id names, without the id index.
 * Hint: the ids compared are the server's own (ASCII); a producer's id is found through producer_ids either way.
 */
export function namesOwnOffsetSql(): string {
  const digits: string[] = [];
  for (let d = OFFSET_CHARS - 1; d >= 0; d--)
    digits.push(`substr('${OFFSET_ID_ALPHABET}', ((offset >> ${6 * d}) & 63) + 1, 1)`);
  return `substr(id, -${OFFSET_ID_CHARS}, ${OFFSET_CHARS}) = ${digits.join(' || ')}`;
}

/**
 * The statements that build one chunk; `ix` and `log` are the schema names of the index and event databases.
 * The id index holds only the ids nothing else finds: not a producer's (producer_ids has it), not one that names its
 * own offset; with the server's offset ids that is none, with a cluster node's ids all of them. keys_id says which
 * chunks hold an id, so a lookup costs two probes however many chunks the log has (9-42 µs up to 1,000,000 events;
 * probing every chunk cost 31-41 µs at 200,000 and 159-207 µs at 1,000,000). A chunk records how many ids it holds
 * (`ids`). A range whose tail recorded no such id (`$idRows` 0) skips the scan: SQLite evaluates a WHERE term without
 * columns once, before the loop (a chunk build with offset ids 2.1-2.2 against 3.0 µs per row).
 */
export function chunkBuildSql(ix: string, log: string): string[] {
  return [
    `INSERT INTO ${ix}.ix_session (c, k, o) SELECT $c, session_id, offset FROM ${log}.events WHERE offset BETWEEN $lo AND $hi AND session_id IS NOT NULL ORDER BY 2, 3`,
    `INSERT INTO ${ix}.ix_user (c, k, o) SELECT $c, user_id, offset FROM ${log}.events WHERE offset BETWEEN $lo AND $hi AND user_id IS NOT NULL ORDER BY 2, 3`,
    `INSERT INTO ${ix}.ix_id (c, k, o) SELECT $c, id, offset FROM ${log}.events WHERE $idRows > 0 AND offset BETWEEN $lo AND $hi ` +
      `AND NOT (${namesOwnOffsetSql()}) AND NOT EXISTS (SELECT 1 FROM ${log}.producer_ids WHERE k = id) ORDER BY 2, 3`,
    // Key directories: which chunks a session, user or id is in, so an unknown key costs one probe, not one per chunk.
    // Hint: read from this chunk's entries just written (in key order), not by scanning the events again: the chunk
    // build took 1.8-2.0 µs per row against 2.1-2.4 (400,000 rows in chunks of 20,000, three rounds). MIN/MAX because
    // a retried (failed) chunk is built after higher ones.
    `INSERT INTO ${ix}.keys_session (k, first_c, last_c) SELECT DISTINCT k, $c, $c FROM ${ix}.ix_session WHERE c = $c ` +
      'ON CONFLICT (k) DO UPDATE SET first_c = MIN(first_c, excluded.first_c), last_c = MAX(last_c, excluded.last_c)',
    `INSERT INTO ${ix}.keys_user (k, first_c, last_c) SELECT DISTINCT k, $c, $c FROM ${ix}.ix_user WHERE c = $c ` +
      'ON CONFLICT (k) DO UPDATE SET first_c = MIN(first_c, excluded.first_c), last_c = MAX(last_c, excluded.last_c)',
    `INSERT OR IGNORE INTO ${ix}.keys_id (k, c) SELECT k, $c FROM ${ix}.ix_id WHERE $idRows > 0 AND c = $c`,
    `INSERT INTO ${ix}.chunks (c, lo, hi, ids) VALUES ($c, $lo, $hi, (SELECT count(*) FROM ${ix}.ix_id WHERE c = $c))`,
  ];
}

/** Reads back a chunk as built (its number may differ: a retried range that was built already keeps its own). */
export function builtChunkSql(ix: string): string {
  return `SELECT c, lo, hi, ids FROM ${ix}.chunks WHERE lo = $lo AND hi = $hi`;
}

/** The statements that drop one chunk. */
export function chunkDropSql(ix: string): string[] {
  // Hint: keys_id is keyed by id, so its rows are found through the chunk's own ids, before those go.
  return [
    `DELETE FROM ${ix}.keys_id WHERE k IN (SELECT k FROM ${ix}.ix_id WHERE c = $c) AND c = $c`,
    ...['ix_session', 'ix_user', 'ix_id', 'chunks'].map((table) => `DELETE FROM ${ix}.${table} WHERE c = $c`),
  ];
}

/** Builds chunks synchronously on the log's own connection (deterministic; used by tests and as a fallback). */
export class InlineChunkIndexer implements ChunkIndexer {
  /** The log's connections keep SQLite's automatic checkpoint. */
  readonly checkpointsLog = false;
  private readonly buildChunk: (chunk: ChunkBuild) => BuiltChunk;
  private readonly dropChunks: (chunks: readonly number[]) => void;

  constructor(
    db: Database.Database,
    private readonly onBuilt: (chunk: BuiltChunk) => void,
    private readonly onFailed: (chunk: ChunkBuild | null, message: string) => void,
  ) {
    const build = chunkBuildSql('ix', 'main').map((sql) => db.prepare(sql));
    const built = db.prepare<[Chunk], BuiltChunk>(builtChunkSql('ix'));
    const drop = chunkDropSql('ix').map((sql) => db.prepare(sql));
    this.buildChunk = db.transaction((chunk: ChunkBuild): BuiltChunk => {
      const found = built.get(chunk);
      if (found !== undefined) return found;
      for (const statement of build) statement.run(chunk);
      return built.get(chunk)!;
    });
    this.dropChunks = db.transaction((chunks: readonly number[]) => {
      for (const c of chunks) for (const statement of drop) statement.run({ c });
    });
  }

  build(chunk: ChunkBuild): void {
    let built: BuiltChunk;
    try {
      built = this.buildChunk(chunk);
    } catch (error) {
      this.onFailed(chunk, error instanceof Error ? error.message : String(error));
      return;
    }
    this.onBuilt(built);
  }

  drop(chunks: readonly number[]): void {
    try {
      this.dropChunks(chunks);
    } catch {
      // Hint: a chunk left behind is harmless: reads only use chunks the log lists, and the next open drops it.
    }
  }

  checkpointLog(): void {}

  close(): void {}
}
