import { retentionGap } from '../protocol/serverMessages.js';
import { replayTurnsOf } from './replayTurns.js';
import {
  batchBytes,
  type SubscriberContext,
  type SubscriberLimits,
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
 * Rows for the next replay page: about one socket bound's worth of records of the last page's size, so large
 * records never put many megabytes into the socket in one synchronous step (the first page is small for the same reason).
 */
function pageRows(limits: SubscriberLimits, recordBytes: number): number {
  const { replayPage, bufferBytes } = limits;
  if (recordBytes === 0) return Math.min(replayPage, FIRST_PAGE_ROWS);
  return Math.max(1, Math.min(replayPage, Math.floor(bufferBytes / recordBytes)));
}

/** One replay page written: how many records and their bytes, and the offset to read from next. */
interface WrittenPage {
  readonly count: number;
  readonly bytes: number;
  readonly next: number;
}

/**
 * Read and write one page of at most `rows` records in [from, upTo] (`recordBytes`: the last page's mean record).
 * A batch:true subscriber gets the log's ready-made frame when the log builds one and it fits one message (the bytes
 * batchFrames would send for that page); otherwise the records come as strings.
 */
function writePage(
  context: SubscriberContext,
  from: number,
  rows: number,
  upTo: number,
  recordBytes: number,
): WrittenPage {
  const { log, socket, limits } = context.io;
  if (context.batch && socket.sendFrame !== undefined && log.readFrameFrom !== undefined) {
    const limit = batchBytes(limits);
    // Hint: aim a quarter below the limit, so records larger than the last page's mean rarely overflow it.
    const fit = recordBytes > 0 ? Math.floor((limit * 0.75) / recordBytes) : rows;
    const asked = Math.max(1, Math.min(rows, fit));
    const page = log.readFrameFrom(from, context.filter, asked, upTo);
    if (page !== null && page.frame.length <= limit) {
      if (page.count > 0) {
        socket.sendFrame(page.frame);
        context.io.delivered(page.count);
      }
      const next = page.count === asked ? page.lastOffset! + 1 : upTo + 1;
      return { count: page.count, bytes: page.frame.length, next };
    }
  }
  const page = log.readJsonFrom(from, context.filter, rows, upTo);
  const bytes = page.records.length > 0 ? writeRecordTexts(context, page.records) : 0;
  const next = page.records.length === rows ? page.lastOffset! + 1 : upTo + 1;
  return { count: page.records.length, bytes, next };
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
      if (socket.bufferedAmount() > limits.bufferBytes) {
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
      const rows = Math.min(pageRows(limits, recordBytes), turns.rowsFor(sliceMs, FIRST_PAGE_ROWS));
      const pageStarted = scheduler.monotonic();
      const page = writePage(context, nextOffset, rows, upTo, recordBytes);
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
