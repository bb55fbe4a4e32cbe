import type { StoredEvent } from '../protocol/eventRecord.js';
import { idOffset } from '../protocol/offsetIds.js';

/** An offset range the tail has sealed and handed to the indexer. */
export interface SealedRange {
  readonly lo: number;
  readonly hi: number;
}

/** A range as sealed: with how many of its ids only the id index would find (see UnindexedTail.add). */
export interface SealedSegment extends SealedRange {
  readonly idRows: number;
}

/**
 * A contiguous run of unindexed offsets with in-memory lookups by id, session and user. Hint: appends only store
 * plain values (`added`: offset, id, session, user per event); the maps are built from them on the first read that
 * needs them, so ingest with no keyed reads of the tail never builds them (its segment is indexed and dropped).
 */
interface Segment {
  readonly lo: number;
  hi: number;
  readonly ids: Map<string, number>;
  readonly bySession: Map<string, number[]>;
  readonly byUser: Map<string, number[]>;
  /**
   * Fixed-size blocks of values, filled in place (the last one up to `filled`). Hint: a segment holds up to a chunk
   * of events (80,000 values); one array grown by push copied itself about twice over, garbage the young generation
   * then promoted while the segment was still filling.
   */
  added: (string | number | null)[][];
  filled: number;
  /** Ids recorded in `added` (see add): a segment without any is never built for an id lookup. */
  idsAdded: number;
}

/** Values per event in Segment.added. */
const ADDED_FIELDS = 4;
/** Events per block of Segment.added (a 32 KiB array of values). */
export const ADDED_BLOCK_EVENTS = 1024;

function newSegment(lo: number): Segment {
  return { lo, hi: lo - 1, ids: new Map(), bySession: new Map(), byUser: new Map(), added: [], filled: 0, idsAdded: 0 };
}

/** Move a segment's added values into its maps. */
function indexAdded(segment: Segment): Segment {
  const blocks = segment.added;
  if (blocks.length === 0) return segment;
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b]!;
    const end = b === blocks.length - 1 ? segment.filled : block.length;
    for (let i = 0; i < end; i += ADDED_FIELDS) {
      const offset = block[i] as number;
      const id = block[i + 1] as string | null;
      if (id !== null) segment.ids.set(id, offset);
      const session = block[i + 2] as string | null;
      if (session !== null) pushTo(segment.bySession, session, offset);
      const user = block[i + 3] as string | null;
      if (user !== null) pushTo(segment.byUser, user, offset);
    }
  }
  segment.added = [];
  segment.filled = 0;
  return segment;
}

function pushTo(map: Map<string, number[]>, key: string, offset: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [offset]);
  else list.push(offset);
}

/**
 * The offsets no index chunk covers yet, ascending: sealed segments wait for their chunk build, the last one is
 * open for appends. Reads of the tail never scan SQLite: ids and keys resolve to offsets here.
 */
export class UnindexedTail {
  private segments: Segment[];
  private readonly blockValues: number;

  /** `blockEvents` sets the size of the blocks appends fill (tests make it small to cross blocks). */
  constructor(firstOffset: number, blockEvents = ADDED_BLOCK_EVENTS) {
    this.segments = [newSegment(firstOffset)];
    this.blockValues = Math.max(1, blockEvents) * ADDED_FIELDS;
  }

  /** Offsets held (sealed and open). */
  get size(): number {
    return this.sizeFrom(0);
  }

  /** Offsets held from `first` on (retention deletes below the log's first offset before their chunk is built). */
  sizeFrom(first: number): number {
    return this.segments.reduce((sum, segment) => sum + Math.max(0, segment.hi - Math.max(segment.lo, first) + 1), 0);
  }

  private get open(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  /**
   * Hold an appended event. Its id is recorded only when nothing else finds it, as the chunk's id index holds: not a
   * producer's (producer_ids has it), not one that names its own offset (offsetIds). So with the server's ids and
   * producers' ids, an id lookup builds no segment's maps.
   */
  add(event: StoredEvent, producer = false): void {
    const open = this.open;
    const id = producer || idOffset(event.id) === event.offset ? null : event.id;
    if (id !== null) open.idsAdded++;
    open.hi = event.offset;
    let block = open.added[open.added.length - 1];
    if (block === undefined || open.filled === block.length) {
      block = new Array<string | number | null>(this.blockValues);
      open.added.push(block);
      open.filled = 0;
    }
    let at = open.filled;
    block[at++] = event.offset;
    block[at++] = id;
    block[at++] = event.session_id;
    block[at++] = event.user_id;
    open.filled = at;
  }

  /** Extend the open segment to `hi` (offsets deleted by retention hold no entries). */
  coverUpTo(hi: number): void {
    this.open.hi = Math.max(this.open.hi, hi);
  }

  /** Seal the open segment when it spans at least `size` offsets (any non-empty one when size is 1). */
  seal(size: number): SealedSegment | null {
    const open = this.open;
    if (open.hi - open.lo + 1 < size) return null;
    this.segments.push(newSegment(open.hi + 1));
    return { lo: open.lo, hi: open.hi, idRows: open.idsAdded };
  }

  /** The oldest sealed segment's range (the next one to publish as a chunk), or null when only the open one is left. */
  oldestSealed(): SealedRange | null {
    if (this.segments.length < 2) return null;
    const oldest = this.segments[0]!;
    return { lo: oldest.lo, hi: oldest.hi };
  }

  /** The sealed range is indexed now: drop its segment. */
  release(range: SealedRange): boolean {
    const index = this.segments.findIndex((segment) => segment.lo === range.lo && segment.hi === range.hi);
    if (index === -1 || index === this.segments.length - 1) return false;
    this.segments.splice(index, 1);
    return true;
  }

  /** Forget offsets at or above `offset` (a rolled-back commit); only the open segment can hold them. */
  forgetFrom(offset: number): void {
    const open = indexAdded(this.open);
    for (const [id, o] of open.ids) if (o >= offset) open.ids.delete(id);
    for (const map of [open.bySession, open.byUser]) {
      for (const [key, list] of map) {
        while (list.length > 0 && list[list.length - 1]! >= offset) list.pop();
        if (list.length === 0) map.delete(key);
      }
    }
    open.hi = Math.min(open.hi, offset - 1);
  }

  /** The offset of `id`, when the tail recorded it (see add). */
  offsetOf(id: string): number | undefined {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const segment = this.segments[i]!;
      if (segment.idsAdded === 0) continue;
      const offset = indexAdded(segment).ids.get(id);
      if (offset !== undefined) return offset;
    }
    return undefined;
  }

  /** Offsets in [lo, hi] whose session (or user) is `value`, in the given order. */
  *offsetsFor(
    key: 'session' | 'user',
    value: string,
    lo: number,
    hi: number,
    order: 'asc' | 'desc',
  ): Generator<number> {
    const asc = order === 'asc';
    for (let s = asc ? 0 : this.segments.length - 1; s >= 0 && s < this.segments.length; s += asc ? 1 : -1) {
      const segment = this.segments[s]!;
      if (segment.hi < lo || segment.lo > hi) continue;
      indexAdded(segment);
      const offsets = (key === 'session' ? segment.bySession : segment.byUser).get(value);
      if (offsets === undefined) continue;
      for (let i = asc ? 0 : offsets.length - 1; i >= 0 && i < offsets.length; i += asc ? 1 : -1) {
        const offset = offsets[i]!;
        if (offset >= lo && offset <= hi) yield offset;
      }
    }
  }
}
