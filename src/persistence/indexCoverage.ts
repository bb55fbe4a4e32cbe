import type { BuiltChunk, ChunkBuild, ChunkIndexer } from './chunkIndexer.js';
import { UnindexedTail } from './unindexedTail.js';

/** First delay before a failed chunk build is retried; doubles up to RETRY_MAX_MS. */
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 60_000;

/** What the coverage needs from the log: a clock, a notice line, a test fault hook and the oldest retained offset. */
export interface IndexCoverageOptions {
  /** Monotonic ms, for the retry backoff (a wall-clock step back would postpone retries by the step). */
  readonly monotonic: () => number;
  readonly notice: (message: string) => void;
  /** Test hook: true makes the next build fail as if the index disk were full. */
  readonly failIndexBuild: () => boolean;
  readonly firstOffset: () => number;
}

/**
 * Which offsets keyed reads find through index chunks and which through the in-memory tail. Sealed tail segments
 * are handed to a builder; a built chunk is published (and its segment dropped) only once every chunk below it is
 * published, so chunks are contiguous and lie below every tail segment. A failed build keeps its segment in the
 * tail and is retried with backoff: committed events are never hidden by an index failure.
 */
export class IndexCoverage {
  /** Published chunks, ascending and contiguous. */
  chunks: BuiltChunk[];
  /** The numbers of the published chunks that hold id index entries (none with the server's offset ids). */
  readonly idChunks = new Set<number>();
  /** Offsets no published chunk covers yet, served from memory. */
  readonly tail: UnindexedTail;
  /** Who builds sealed segments (inline while catching up at open, then the log's indexer). */
  builder: ChunkIndexer | null = null;
  private nextChunk: number;
  /** Chunks handed to the builder and not yet reported, by lo. */
  private readonly inFlight = new Map<number, ChunkBuild>();
  /** Built chunks waiting for a lower chunk before they are published, by lo. */
  private readonly builtAhead = new Map<number, BuiltChunk>();
  /** Chunks whose build failed, to retry. */
  private unbuilt: ChunkBuild[] = [];
  private retryAt = 0;
  private retryDelay = RETRY_MIN_MS;
  private failing = false;

  constructor(
    private readonly options: IndexCoverageOptions,
    chunks: BuiltChunk[],
    nextChunk: number,
  ) {
    this.chunks = chunks;
    for (const chunk of chunks) if (chunk.ids > 0) this.idChunks.add(chunk.c);
    this.nextChunk = nextChunk;
    const indexedUpTo = chunks.length > 0 ? chunks[chunks.length - 1]!.hi : 0;
    this.tail = new UnindexedTail(Math.max(indexedUpTo + 1, options.firstOffset()));
  }

  /** Highest offset the published chunks cover (0 when none). */
  get indexedUpTo(): number {
    return this.chunks.length > 0 ? this.chunks[this.chunks.length - 1]!.hi : 0;
  }

  /** Seal the open tail segment once it spans `size` offsets, and hand it to the builder. */
  seal(size: number): void {
    const sealed = this.tail.seal(size);
    if (sealed !== null) this.dispatch({ c: this.nextChunk++, ...sealed });
  }

  /**
   * Seal the open segment, extended to `hi`, as offsets no read can serve (damaged pages, see rebuildTail): published
   * as a chunk without entries, in memory only, never built (its build would meet the damage). Hint: not in the index
   * file, so the next open finds the gap and reads the log past the damage again, instead of trusting it after a repair.
   */
  sealUnreadable(hi: number): void {
    this.tail.coverUpTo(hi);
    const sealed = this.tail.seal(1);
    if (sealed !== null) this.built({ c: this.nextChunk++, lo: sealed.lo, hi: sealed.hi, ids: 0 });
  }

  /** Retry failed builds: when their backoff has passed, or at once when `now`. O(1) when nothing failed. */
  retry(now: boolean): void {
    if (this.unbuilt.length === 0) return;
    if (!now && this.options.monotonic() < this.retryAt) return;
    this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
    const chunks = this.unbuilt.sort((a, b) => a.lo - b.lo);
    this.unbuilt = [];
    for (const chunk of chunks) this.dispatch(chunk);
  }

  private dispatch(chunk: ChunkBuild): void {
    this.inFlight.set(chunk.lo, chunk);
    if (this.options.failIndexBuild()) this.failed(chunk, 'injected index build failure');
    else this.builder?.build(chunk);
  }

  /** A build failed (`chunk` null: the worker died, so everything in flight is lost). Its range stays in the tail. */
  failed(chunk: ChunkBuild | null, why: string): void {
    const lost = chunk === null ? [...this.inFlight.values()] : [chunk];
    for (const c of lost) {
      this.inFlight.delete(c.lo);
      if (!this.unbuilt.some((u) => u.lo === c.lo)) this.unbuilt.push(c);
    }
    this.retryAt = this.options.monotonic() + this.retryDelay;
    if (!this.failing) {
      this.failing = true;
      this.options.notice(`index build failed (${why}); those events are served from memory and the build is retried`);
    }
  }

  /** A chunk is committed to the index: publish it, and every built chunk after it, in offset order. */
  built(chunk: BuiltChunk): void {
    this.inFlight.delete(chunk.lo);
    this.builtAhead.set(chunk.lo, chunk);
    for (let oldest = this.tail.oldestSealed(); oldest !== null; oldest = this.tail.oldestSealed()) {
      const ready = this.builtAhead.get(oldest.lo);
      if (ready === undefined || ready.hi !== oldest.hi) break;
      this.builtAhead.delete(oldest.lo);
      this.tail.release(oldest);
      if (ready.hi < this.options.firstOffset()) continue;
      this.chunks.push(ready);
      if (ready.ids > 0) this.idChunks.add(ready.c);
    }
    if (this.failing && this.unbuilt.length === 0 && this.inFlight.size === 0) {
      this.failing = false;
      this.retryDelay = RETRY_MIN_MS;
      this.options.notice('index builds succeed again; every failed range is indexed');
    }
  }

  /** Unpublish chunks wholly below `boundary` (retention deleted them); returns their numbers for the indexer to drop. */
  dropBelow(boundary: number): number[] {
    const gone = this.chunks.filter((chunk) => chunk.hi < boundary);
    this.chunks = this.chunks.filter((chunk) => chunk.hi >= boundary);
    for (const chunk of gone) this.idChunks.delete(chunk.c);
    return gone.map((chunk) => chunk.c);
  }
}
