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
import type { LogDamage } from './logDamage.js';
import type { LogHead } from './logMeta.js';
import { scanReadable } from './readableRows.js';

/** Meta key set when the index was found unreadable while serving: the next open discards it. */
export const INDEX_INVALID = 'index_invalid';

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
  /** Monotonic ms, for the index builds' retry backoff. */
  readonly monotonic: () => number;
  readonly notice: (message: string) => void;
  /** Damage to the log found while serving, or by a scan at open (see rebuildTail). */
  readonly damage: LogDamage;
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
    {
      monotonic: context.monotonic,
      notice: context.notice,
      failIndexBuild: context.failIndexBuild,
      firstOffset: () => head.first,
    },
    chunks,
    attached.nextChunk,
  );
  const bounds = { first: () => head.first, next: () => head.next };
  const frames = context.path === ':memory:' ? null : new FrameReaderThread(context.path);
  const reader = new EventReader(
    db,
    coverage,
    bounds,
    context.isGeneratedId,
    context.onIndexUnreadable,
    context.damage,
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
    rebuildTail(db, coverage, head, context.indexChunk, context.damage);
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
 * segment in memory at a time, at the price of a slower start. Rows on damaged pages (INTEGRITY_CHECK=off) are passed
 * over (see scanReadable), named by `damage`, and left to reads, which name them as they meet them.
 */
function rebuildTail(
  db: Database.Database,
  coverage: IndexCoverage,
  head: LogHead,
  indexChunk: number,
  damage: LogDamage,
): void {
  scanReadable<Row>(db, COLUMNS, coverage.indexedUpTo, head.next - 1, {
    rows: (rows) => {
      // Hint: a segment is sealed only once the scan read past it: a chunk build reads one row past its range.
      if (rows.length > 0) coverage.seal(indexChunk);
      for (const row of rows) coverage.tail.add(toEvent(row));
    },
    skipped: (last, next, error) => {
      const hi = next === null ? head.next - 1 : next - 1;
      damage.skipped(last + 1, hi, error);
      // Hint: the last row read is the last of its page, and a build of a chunk ending there would step onto the
      // damaged page after it (SQLite reads one row past a range): it goes into the unreadable chunk, which keyed
      // reads (session, user) then do not find; reads by offset or id do.
      coverage.tail.forgetFrom(last);
      coverage.seal(1);
      coverage.sealUnreadable(hi);
    },
  });
  coverage.tail.coverUpTo(head.next - 1);
  coverage.seal(indexChunk);
}
