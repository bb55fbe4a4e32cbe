import { offsetOfRecordJson } from '../protocol/eventRecord.js';
import { retentionGap } from '../protocol/serverMessages.js';
import { replayTurnsOf } from './replayTurns.js';
import {
  batchBytes,
  type SubscriberContext,
  type SubscriberLimits,
  textsThatFit,
  writeControl,
  writeRecordTexts,
} from './subscriber.js';

/** Rows in a subscriber's first replay page, before it knows how large the records are. */
const FIRST_PAGE_ROWS = 64;

/** Where one replay slice left the subscriber, and what comes next. */
export interface ReplaySlice {
  readonly nextOffset: number;
  readonly recordBytes: number;
  readonly stalledSince: number | null;
  readonly lastActivity: number;
  /** caughtUp: at the head, go live now; blocked: the socket is full, wait for drain; more: continue later. */
  readonly next: 'caughtUp' | 'blocked' | 'more';
}

/**
 * Rows for the next replay page: what fits in the socket's room under its bound (`buffered` bytes are queued) in
 * records of the last page's size, so a page seldom reads records that writePage then leaves for the next one (the
 * first page, before any size is known, is small for the same reason).
 */
function pageRows(limits: SubscriberLimits, recordBytes: number, buffered: number): number {
  const { replayPage, bufferBytes } = limits;
  if (recordBytes === 0) return Math.min(replayPage, FIRST_PAGE_ROWS);
  return Math.max(1, Math.min(replayPage, Math.floor((bufferBytes - buffered) / recordBytes)));
}

/** One replay page written: how many records and their bytes, and the offset to read from next. */
interface WrittenPage {
  readonly count: number;
  readonly bytes: number;
  readonly next: number;
}

/**
 * Read and write one page of at most `rows` records in [from, upTo] (`recordBytes`: the last page's mean record), of
 * those no more than fit in `room` bytes (one record at least). A batch:true subscriber gets the log's ready-made frame
 * when the log builds one and it fits one message (the bytes batchFrames would send for that page) and the room;
 * otherwise the records come as strings, cut where the room ends.
 */
function writePage(
  context: SubscriberContext,
  from: number,
  rows: number,
  upTo: number,
  recordBytes: number,
  room: number,
): WrittenPage {
  const { log, socket, limits } = context.io;
  if (context.batch && socket.sendFrame !== undefined && log.readFrameFrom !== undefined) {
    const limit = Math.min(batchBytes(limits), Math.max(1, room));
    // Hint: aim a quarter below the limit, so records larger than the last page's mean rarely overflow it.
    const fit = recordBytes > 0 ? Math.floor((limit * 0.75) / recordBytes) : rows;
    const asked = Math.max(1, Math.min(rows, fit));
    const page = log.readFrameFrom(from, context.filter, asked, upTo);
    if (page !== null && (page.frame.length <= limit || page.count === 1)) {
      if (page.count > 0) {
        socket.sendFrame(page.frame);
        context.io.delivered(page.count);
      }
      const next = page.count === asked ? page.lastOffset! + 1 : upTo + 1;
      return { count: page.count, bytes: page.frame.length, next };
    }
  }
  const page = log.readJsonFrom(from, context.filter, rows, upTo);
  const count = page.records.length === 0 ? 0 : textsThatFit(page.records, 0, room, context.batch);
  const texts = count === page.records.length ? page.records : page.records.slice(0, count);
  const bytes = count > 0 ? writeRecordTexts(context, texts) : 0;
  if (count < page.records.length) return { count, bytes, next: offsetOfRecordJson(page.records[count]!) };
  const next = page.records.length === rows ? page.lastOffset! + 1 : upTo + 1;
  return { count, bytes, next };
}

/**
 * Catch up from the log for at most one slice, its length granted by the pipeline's shared replay turn (so 50
 * replays take one bounded slice of each event-loop turn between them, not 50). `caughtUp` means every record up to the head was written: the actor
 * goes live in the same synchronous turn, and the router's records at or above `nextOffset` follow gap-free.
 */
export function replaySlice(context: SubscriberContext): ReplaySlice {
  const { log, limits, scheduler, socket } = context.io;
  let { nextOffset, recordBytes, lastActivity } = context;
  let stalledSince = context.stalledSince;
  if (nextOffset > log.headOffset())
    return { nextOffset, recordBytes, lastActivity, stalledSince: null, next: 'caughtUp' };
  const turns = replayTurnsOf(scheduler);
  const sliceMs = turns.claim(context.io, limits.replaySliceMs);
  if (sliceMs === 0) return { nextOffset, recordBytes, lastActivity, stalledSince, next: 'more' };
  const started = scheduler.monotonic();
  try {
    for (;;) {
      const head = log.headOffset();
      if (nextOffset > head) return { nextOffset, recordBytes, lastActivity, stalledSince: null, next: 'caughtUp' };
      const buffered = socket.bufferedAmount();
      if (buffered > limits.bufferBytes) {
        stalledSince ??= scheduler.now();
        return { nextOffset, recordBytes, lastActivity, stalledSince, next: 'blocked' };
      }
      stalledSince = null;
      // Hint: retention may have deleted what this subscriber had not been sent yet; say so once, never skip silently.
      const first = log.firstOffset();
      if (nextOffset < first) {
        writeControl(context, retentionGap(nextOffset, first));
        nextOffset = first;
        continue;
      }
      // Hint: bound the scanned range too, so a sparse filter over a huge log never blocks the loop for long.
      const upTo = Math.min(head, nextOffset + limits.replayPage * 20 - 1);
      const rows = Math.min(pageRows(limits, recordBytes, buffered), turns.rowsFor(sliceMs, FIRST_PAGE_ROWS));
      const pageStarted = scheduler.monotonic();
      const page = writePage(context, nextOffset, rows, upTo, recordBytes, limits.bufferBytes - buffered);
      if (page.count > 0) {
        recordBytes = page.bytes / page.count;
        lastActivity = scheduler.now();
      }
      turns.notePage(page.count, scheduler.monotonic() - pageStarted);
      nextOffset = page.next;
      if (scheduler.monotonic() - started > sliceMs)
        return { nextOffset, recordBytes, lastActivity, stalledSince, next: 'more' };
    }
  } finally {
    turns.spend(scheduler.monotonic() - started);
  }
}
