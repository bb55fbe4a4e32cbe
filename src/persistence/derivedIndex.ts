import type Database from 'better-sqlite3';
import {
  type BuiltChunk,
  type CheckpointResult,
  type ChunkBuild,
  type ChunkIndexer,
  InlineChunkIndexer,
} from './chunkIndexer.js';
import { type WatchedLogFile, WorkerChunkIndexer } from './chunkIndexWorker.js';
import { EventReader } from './eventReader.js';
import { COLUMNS, type Row, toEvent } from './eventRows.js';
import { FrameReaderThread } from './frameReaderThread.js';
import { IndexCoverage } from './indexCoverage.js';
import { attachIndex, contiguousChunks } from './indexDatabase.js';
import { LogDamage } from './logDamage.js';
import type { LogHead } from './logMeta.js';
import { tupleStatement } from './sqlRows.js';

/** Meta key set when the index was found unreadable while serving: the next open discards it. */
export const INDEX_INVALID = 'index_invalid';

/** Rows read per page while rebuilding the tail at open. */
const TAIL_PAGE = 5000;

/**
 * Offsets past the index from which the open says, before it starts, that it is indexing them. Hint: a scale probe
 * started on 4.4M events without an index: the port refused connections for 8.7 s with no line until the end.
 */
const LONG_TAIL_OFFSETS = 100_000;

/** What opening the derived index needs from the log. */
export interface DerivedIndexContext {
  readonly db: Database.Database;
  readonly path: string;
  readonly epoch: string;
  readonly head: LogHead;
  readonly indexChunk: number;
  /** The index was marked unreadable by an earlier run. */
  readonly markedInvalid: boolean;
  /** INTEGRITY_CHECK on or full: check the index file's pages and key order before trusting it. */
  readonly checked: boolean;
  /** Acknowledged commits the log lost to a damaged WAL frame (see walDamage): the log went backwards. */
  readonly walLoss: string | null;
  /** Why the log was opened degraded (no shared memory), or null. */
  readonly degraded: string | null;
  readonly indexer: 'worker' | 'inline' | undefined;
  readonly now: () => number;
  readonly notice: (message: string) => void;
  /** What a damaged page's messages tell the operator to do (see SqliteEventLogOptions.remedy). */
  readonly remedy: string | undefined;
  readonly newEpoch: () => string;
  readonly isGeneratedId: (id: string) => boolean;
  readonly failIndexBuild: () => boolean;
  /** False once the log is closed: late reports from the worker are ignored. */
  readonly isOpen: () => boolean;
  /** An index read failed while serving. */
  readonly onIndexUnreadable: (error: unknown) => void;
  /** The log's database file, which the index worker checks before each checkpoint of the log (see LogFileWatch). */
  readonly logFile?: WatchedLogFile;
  /** The index worker checkpointed the log (null: the checkpoint failed). */
  readonly onCheckpointed?: (result: CheckpointResult | null) => void;
}

/** The derived index, opened: its coverage, the reader over it, who builds chunks, and the log's epoch. */
export interface DerivedIndex {
  readonly coverage: IndexCoverage;
  readonly reader: EventReader;
  readonly indexer: ChunkIndexer;
  /** The epoch to keep: a new one when the index showed the log went backwards. */
  readonly epoch: string;
}

/** Attach the derived index (discarding it when it does not belong to this log), rebuild the tail, set up builds. */
export function openDerivedIndex(context: DerivedIndexContext): DerivedIndex {
  const { db, head } = context;
  const inMemory = context.path === ':memory:';
  const indexPath = inMemory ? ':memory:' : `${context.path}.index`;
  const attached = attachIndex(db, {
    path: indexPath,
    epoch: context.epoch,
    head: head.next - 1,
    markedInvalid: context.markedInvalid,
    checked: context.checked,
    walLoss: context.walLoss,
    notice: context.notice,
    newEpoch: context.newEpoch,
  });
  const { chunks, orphans } = contiguousChunks(attached.chunks, head.first);
  const coverage = new IndexCoverage(
    { now: context.now, notice: context.notice, failIndexBuild: context.failIndexBuild, firstOffset: () => head.first },
    chunks,
    attached.nextChunk,
  );
  const bounds = { first: () => head.first, next: () => head.next };
  const damage = new LogDamage(context.path, context.notice, context.remedy);
  const frames = context.path === ':memory:' ? null : new FrameReaderThread(context.path);
  const reader = new EventReader(
    db,
    coverage,
    bounds,
    context.isGeneratedId,
    context.onIndexUnreadable,
    damage,
    frames,
  );
  const onBuilt = (chunk: BuiltChunk) => {
    if (context.isOpen()) coverage.built(chunk);
  };
  const onFailed = (chunk: ChunkBuild | null, why: string) => {
    if (context.isOpen()) coverage.failed(chunk, why);
  };
  const inline = new InlineChunkIndexer(db, onBuilt, onFailed);
  // Hint: chunks after a gap (a failed build) are dropped and rebuilt with the rest of the unindexed range.
  if (orphans.length > 0) inline.drop(orphans.map((chunk) => chunk.c));
  // Hint: the tail is rebuilt inline (one segment in memory at a time); the worker takes over afterwards.
  coverage.builder = inline;
  const useInline = context.indexer === 'inline' || inMemory || !attached.onDisk || context.degraded !== null;
  const indexer = useInline
    ? inline
    : new WorkerChunkIndexer(context.path, indexPath, onBuilt, onFailed, context.onCheckpointed, context.logFile);
  const from = Math.max(coverage.indexedUpTo + 1, head.first);
  if (head.next - from >= LONG_TAIL_OFFSETS)
    context.notice(
      `indexing offsets ${from}-${head.next - 1}, which the index does not cover, before serving ` +
        '(the port opens when it is done)',
    );
  try {
    rebuildTail(db, coverage, head, context.indexChunk);
  } catch (error) {
    indexer.close();
    throw error;
  }
  coverage.builder = indexer;
  return { coverage, reader, indexer, epoch: attached.epoch };
}

/**
 * Rebuild the tail from rows the index does not cover yet, sealing full segments as appends would.
 * Hint: a missing or discarded index can leave millions of rows; building those chunks inline keeps only one
 * segment in memory at a time, at the price of a slower start.
 */
function rebuildTail(db: Database.Database, coverage: IndexCoverage, head: LogHead, indexChunk: number): void {
  const page = tupleStatement<Row, [number]>(
    db,
    `SELECT ${COLUMNS} FROM events WHERE offset > ? ORDER BY offset LIMIT ${TAIL_PAGE}`,
  );
  for (let from = coverage.indexedUpTo; ; ) {
    const rows = page.all(from);
    for (const row of rows) coverage.tail.add(toEvent(row));
    if (rows.length < TAIL_PAGE) break;
    from = rows[rows.length - 1]![0];
    coverage.seal(indexChunk);
  }
  coverage.tail.coverUpTo(head.next - 1);
  coverage.seal(indexChunk);
}
