import { closeSync, existsSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { type BuiltChunk, type Chunk, INDEX_SCHEMA_SQL, INDEX_TABLES, INDEX_VERSION } from './chunkIndexer.js';
import { HEAD_MARK } from './headMark.js';
import { integrityProblems } from './logFile.js';
import { openFailureReason } from './openError.js';
import { WAL_SIZE_LIMIT_BYTES } from './schema.js';
import { selectObjects, selectValue } from './sqlRows.js';

/** What the log knows about itself when it attaches its index. */
export interface IndexIdentity {
  /** `<log>.index`, or ':memory:'. */
  readonly path: string;
  readonly epoch: string;
  /** The log's head offset: an index covering offsets above it was built from another (newer) copy of the log. */
  readonly head: number;
  /** Set when an earlier run found the index unreadable while serving; discard it now. */
  readonly markedInvalid: boolean;
  /** Check its pages and key order (INTEGRITY_CHECK on or full): a damaged index would hide events from keyed reads. */
  readonly checked: boolean;
  /** Acknowledged commits the log lost to a damaged WAL frame: it went backwards, like a log its index is ahead of. */
  readonly walLoss: string | null;
  /** One line per discarded index, saying why. */
  readonly notice: (message: string) => void;
  /** A new epoch, for a log found to have gone backwards (see AttachedIndex.epoch). */
  readonly newEpoch: () => string;
}

/** The attached index: the chunks it covers (contiguous, ascending) and the next chunk number. */
export interface AttachedIndex {
  readonly chunks: BuiltChunk[];
  readonly nextChunk: number;
  /** False when the index file could not be used at all and lives in memory for this run. */
  readonly onDisk: boolean;
  /**
   * The epoch the log must carry from now on: its own, or a new one when this log's own index covered offsets beyond
   * its head. Hint: then the log went backwards (a backup restored, or commits lost), so offsets above the head would
   * be handed out again for other events; a new epoch tells every subscriber its saved offsets no longer apply.
   */
  readonly epoch: string;
}

const SQLITE_MAGIC = 'SQLite format 3\0';

/** Why the index file cannot be a whole SQLite database (garbage or truncated), from its header alone; null when plausible. */
function fileDefect(path: string): string | null {
  if (!existsSync(path)) return null;
  const size = statSync(path).size;
  if (size === 0) return null;
  const header = Buffer.alloc(100);
  const fd = openSync(path, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (read < 100 || header.toString('latin1', 0, 16) !== SQLITE_MAGIC) return 'it is not a SQLite database';
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65_536 : rawPageSize;
  const pages = header.readUInt32BE(28);
  // Hint: the in-header page count is valid only when the change counter matches version-valid-for, and pages a
  // checkpoint could not copy (disk full at close) still live in the WAL, so a non-empty WAL voids the size check.
  const wal = `${path}-wal`;
  const walPending = existsSync(wal) && statSync(wal).size > 0;
  const headerValid = !walPending && header.readUInt32BE(24) === header.readUInt32BE(92);
  if (headerValid && pages * pageSize > size) return `it is truncated (${size} of ${pages * pageSize} bytes)`;
  return null;
}

function removeIndexFiles(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      rmSync(`${path}${suffix}`, { force: true });
    } catch {
      // Hint: not removable (a directory, no permission): attaching fails next and the index lives in memory.
    }
  }
}

/** fileDefect, with a file that cannot even be inspected counted as a defect. */
function inspect(path: string): string | null {
  try {
    return fileDefect(path);
  } catch (error) {
    return `it cannot be read (${openFailureReason(error)})`;
  }
}

function freshSchema(db: Database.Database, epoch: string): void {
  for (const table of [...INDEX_TABLES, 'meta']) db.exec(`DROP TABLE IF EXISTS ix.${table}`);
  db.pragma(`ix.user_version = ${INDEX_VERSION}`);
  createTables(db);
  db.prepare("INSERT INTO ix.meta(key, value) VALUES ('epoch', ?)").run(epoch);
}

/** Create the index tables that do not exist yet. */
function createTables(db: Database.Database): void {
  db.exec(INDEX_SCHEMA_SQL.replace(/CREATE TABLE IF NOT EXISTS /g, 'CREATE TABLE IF NOT EXISTS ix.'));
}

/**
 * Bring an index of the layout before this one up to date in place, so an upgrade does not rebuild it from the log
 * (a slower start, the longer the log). Version 4 lacked keys_id, the id index's directory; its entries give it.
 */
function migrate(db: Database.Database): void {
  if (indexVersion(db) !== 4) return;
  db.transaction(() => {
    createTables(db);
    db.exec('INSERT OR IGNORE INTO ix.keys_id (k, c) SELECT k, c FROM ix.ix_id');
    db.pragma(`ix.user_version = ${INDEX_VERSION}`);
  })();
}

/** Why an attached, readable index must not be trusted for this log; null when it may be used. */
function identityDefect(db: Database.Database, identity: IndexIdentity): { reason: string; rewound: boolean } | null {
  const reason = identityProblem(db, identity);
  return reason === null ? null : { reason, rewound: reason.startsWith(AHEAD) };
}

const AHEAD = 'it has seen offsets up to';

/** The index's integrity_check problems, when asked for (an index that cannot be parsed at all throws). */
function integrityDefect(db: Database.Database, checked: boolean): { reason: string; rewound: boolean } | null {
  const problems = checked ? integrityProblems(db, 'ix') : null;
  return problems === null ? null : { reason: `it failed its integrity check (${problems})`, rewound: false };
}

/** The attached index's layout version (0 when it has no layout yet). */
function indexVersion(db: Database.Database): number {
  return selectValue<number>(db, 'PRAGMA ix.user_version') ?? 0;
}

function identityProblem(db: Database.Database, identity: IndexIdentity): string | null {
  const version = indexVersion(db);
  if (version === 0) return null;
  if (identity.markedInvalid) return 'it was found unreadable while serving';
  if (version !== INDEX_VERSION) return `it has layout version ${version}, not ${INDEX_VERSION}`;
  const epoch = selectValue<string>(db, "SELECT value FROM ix.meta WHERE key = 'epoch'");
  if (epoch !== identity.epoch)
    return `it was built for another log (epoch ${epoch ?? 'unknown'}, this log is ${identity.epoch})`;
  const covered = selectValue<number | null>(db, 'SELECT MAX(hi) FROM ix.chunks') ?? 0;
  const mark = Number(selectValue<string>(db, `SELECT value FROM ix.meta WHERE key = '${HEAD_MARK}'`) ?? 0);
  const top = Math.max(covered, mark);
  // Hint: a replica deleted to be rebuilt (the remedy its errors give) leaves its index behind: say so, not alarm.
  const hint = identity.head === 0 ? 'an empty log, as a replica being rebuilt is' : 'an older copy of the log?';
  if (top > identity.head) return `${AHEAD} ${top}, beyond this log's head ${identity.head} (${hint})`;
  // Hint: touch every table once, so a damaged file fails here rather than on a client's read.
  for (const table of INDEX_TABLES) db.prepare(`SELECT * FROM ix.${table} LIMIT 1`).get();
  return null;
}

function attach(db: Database.Database, path: string): void {
  db.prepare('ATTACH DATABASE ? AS ix').run(path);
  db.pragma('ix.journal_mode = WAL');
  db.pragma(`ix.journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  db.pragma('ix.synchronous = NORMAL');
}

function detach(db: Database.Database): void {
  try {
    db.exec('DETACH DATABASE ix');
  } catch {
    // not attached
  }
}

/**
 * Attach the derived index database as schema `ix`, trusting it only when it was built for this log (same epoch,
 * nothing beyond the head, readable). Anything else is discarded with one notice; the caller rebuilds from the log.
 */
export function attachIndex(db: Database.Database, identity: IndexIdentity): AttachedIndex {
  const inMemory = identity.path === ':memory:';
  let reason = inMemory ? null : inspect(identity.path);
  if (reason !== null) removeIndexFiles(identity.path);
  let onDisk = true;
  let epoch = identity.epoch;
  try {
    attach(db, identity.path);
    migrate(db);
    const lost =
      identity.walLoss === null ? null : { reason: `the log lost commits: ${identity.walLoss}`, rewound: true };
    const defect = lost ?? identityDefect(db, identity) ?? integrityDefect(db, identity.checked);
    if (defect !== null) reason = defect.reason;
    if (defect?.rewound === true) {
      epoch = identity.newEpoch();
      // Hint: a cluster replica's epoch is its stream's, so "new" may be the same one: say what really happened.
      reason +=
        epoch === identity.epoch
          ? `; the log keeps its epoch ${epoch} (its offsets are its stream's)`
          : `; the log went backwards, so it gets a new epoch ${epoch} (offsets saved by subscribers no longer apply)`;
    }
    if (defect !== null || indexVersion(db) === 0) freshSchema(db, epoch);
  } catch (error) {
    reason = `it is unusable (${openFailureReason(error)})`;
    detach(db);
    onDisk = tryFreshFile(db, identity);
  }
  // Hint: exactly one line per open, saying why.
  if (!onDisk)
    identity.notice(
      `index ${identity.path} cannot be used (${reason ?? 'unknown'}); this run rebuilds its index in memory`,
    );
  else if (reason !== null) identity.notice(`index ${identity.path} discarded and rebuilt from the log: ${reason}`);
  const chunks = selectObjects<BuiltChunk>(db, 'SELECT c, lo, hi, ids FROM ix.chunks ORDER BY lo');
  const nextChunk = (selectValue<number | null>(db, 'SELECT MAX(c) FROM ix.chunks') ?? 0) + 1;
  return { chunks, nextChunk, onDisk, epoch };
}

/** Start a fresh index file; when even that fails (disk full, read-only), an in-memory index for this run. */
function tryFreshFile(db: Database.Database, identity: IndexIdentity): boolean {
  try {
    removeIndexFiles(identity.path);
    attach(db, identity.path);
    freshSchema(db, identity.epoch);
    return true;
  } catch {
    detach(db);
    attach(db, ':memory:');
    freshSchema(db, identity.epoch);
    return false;
  }
}

/**
 * The chunks reads may use: the contiguous run from the oldest retained offset up. A chunk after a gap (its
 * neighbour's build failed) is returned in `orphans`, to be dropped and rebuilt with the tail.
 */
export function contiguousChunks<C extends Chunk>(all: readonly C[], first: number): { chunks: C[]; orphans: C[] } {
  const chunks: C[] = [];
  const orphans: C[] = [];
  let expect: number | null = null;
  let broken = false;
  for (const chunk of all) {
    const fits = chunk.hi >= first && !broken && (expect === null ? chunk.lo <= first : chunk.lo === expect);
    if (fits) {
      chunks.push(chunk);
      expect = chunk.hi + 1;
    } else {
      if (chunk.hi >= first) broken = true;
      orphans.push(chunk);
    }
  }
  return { chunks, orphans };
}
