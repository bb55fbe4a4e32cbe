import { replayTurnsOf } from './replayTurns.js';
import { type SubscriberContext, type SubscriberLimits, writeRecordTexts } from './subscriber.js';

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
      // Hint: bound the scanned range too, so a sparse filter over a huge log never blocks the loop for long.
      const upTo = Math.min(head, nextOffset + limits.replayPage * 20 - 1);
      const rows = Math.min(pageRows(limits, recordBytes), turns.rowsFor(sliceMs, FIRST_PAGE_ROWS));
      const pageStarted = scheduler.monotonic();
      const page = log.readJsonFrom(nextOffset, context.filter, rows, upTo);
      if (page.records.length > 0) {
        recordBytes = writeRecordTexts(context, page.records) / page.records.length;
        lastActivity = scheduler.now();
      }
      turns.notePage(page.records.length, scheduler.monotonic() - pageStarted);
      nextOffset = page.records.length === rows ? page.lastOffset! + 1 : upTo + 1;
      if (scheduler.monotonic() - started > sliceMs)
        return { nextOffset, recordBytes, lastActivity, stalledSince, next: 'more' };
    }
  } finally {
    turns.spend(scheduler.monotonic() - started);
  }
}
