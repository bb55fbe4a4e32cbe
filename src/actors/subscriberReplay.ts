import { offsetOfRecordJson } from '../protocol/eventRecord.js';
import { retentionGap } from '../protocol/serverMessages.js';
import {
  type AheadListener,
  FIRST_PAGE_ROWS,
  frameRows,
  pageRows,
  pageWindow,
  type ReadAhead,
  sendFrame,
  startAhead,
  stopAhead,
  usableAhead,
} from './replayAhead.js';
import { type ReplayTurns, replayTurnsOf } from './replayTurns.js';
import { batchBytes, type SubscriberContext, textsThatFit, writeControl, writeRecordTexts } from './subscriber.js';

/** Where one replay slice left the subscriber, and what comes next. */
export interface ReplaySlice {
  readonly nextOffset: number;
  readonly recordBytes: number;
  readonly stalledSince: number | null;
  readonly lastActivity: number;
  /** The pages being read ahead on the log's reader thread, if they are. */
  readonly ahead: ReadAhead | null;
  /**
   * caughtUp: at the head, go live now; blocked: the socket is full, wait for drain; more: continue later; waiting:
   * for the page being read ahead (its arrival continues the replay).
   */
  readonly next: 'caughtUp' | 'blocked' | 'more' | 'waiting';
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
    const asked = frameRows(rows, recordBytes, limit);
    const page = log.readFrameFrom(from, context.filter, asked, upTo);
    if (page !== null && (page.frame.length <= limit || page.count === 1)) {
      sendFrame(context, page);
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

/** Read and write one page inline, sized to the socket's room and to the time this slice was granted. */
function inlinePage(
  context: SubscriberContext,
  turns: ReplayTurns,
  sliceMs: number,
  from: number,
  recordBytes: number,
  buffered: number,
): WrittenPage {
  const { log, limits, scheduler } = context.io;
  // Hint: bound the scanned range too, so a sparse filter over a huge log never blocks the loop for long.
  const upTo = Math.min(log.headOffset(), from + pageWindow(limits) - 1);
  const rows = Math.min(pageRows(limits, recordBytes, buffered), turns.rowsFor(sliceMs, FIRST_PAGE_ROWS));
  const pageStarted = scheduler.monotonic();
  const page = writePage(context, from, rows, upTo, recordBytes, limits.bufferBytes - buffered);
  turns.notePage(page.count, scheduler.monotonic() - pageStarted);
  return page;
}

/** The next page from the pages read ahead, written; null when there is none to write (see replaySlice). */
function aheadPage(context: SubscriberContext, ahead: ReadAhead, room: number): WrittenPage | null {
  const usable = usableAhead(context, ahead.pages[0]!, context.nextOffset, room);
  if (usable === null) return null;
  // Hint: the thread may read one more page while this one goes out.
  ahead.stream.more();
  sendFrame(context, usable.page);
  return { count: usable.page.count, bytes: usable.page.frame.length, next: usable.next };
}

/**
 * Catch up from the log for at most one slice. Inline reads take the slice's time from the pipeline's shared replay
 * turn (so 50 replays take one bounded slice of each event-loop turn between them, not 50); writing a page read ahead
 * takes none (the reader thread shares its reads fairly). `caughtUp` means every record up to the head was written:
 * the actor goes live in the same synchronous turn, and the router's records at or above `nextOffset` follow
 * gap-free. With `listener`, a batch:true subscriber's pages are read ahead on the log's reader thread after its first
 * (see replayAhead.ts): `waiting` means the next page is being read there, and its arrival continues the replay. A
 * page read ahead that is not the one due, or does not fit, stops the stream: the replay goes on inline (and starts a
 * new stream when it can).
 */
export function replaySlice(context: SubscriberContext, listener?: AheadListener): ReplaySlice {
  const { log, limits, scheduler, socket } = context.io;
  let { nextOffset, recordBytes, lastActivity, ahead, stalledSince } = context;
  const at = (next: ReplaySlice['next']): ReplaySlice => {
    // Hint: pages that came are dropped, not held for a reader that stopped reading or is live.
    if (next === 'caughtUp' || next === 'blocked') ahead = stopAhead(ahead);
    if (next === 'caughtUp') stalledSince = null;
    return { nextOffset, recordBytes, lastActivity, stalledSince, ahead, next };
  };
  const turns = replayTurnsOf(scheduler);
  const slice = { ms: -1, started: 0 };
  try {
    for (;;) {
      if (nextOffset > log.headOffset()) return at('caughtUp');
      const buffered = socket.bufferedAmount();
      if (buffered > limits.bufferBytes) {
        stalledSince ??= scheduler.monotonic();
        return at('blocked');
      }
      stalledSince = null;
      // Hint: retention may have deleted what this subscriber had not been sent yet; say so once, never skip silently.
      const first = log.firstOffset();
      if (nextOffset < first) {
        writeControl(context, retentionGap(nextOffset, first));
        nextOffset = first;
        ahead = stopAhead(ahead);
        continue;
      }
      if (ahead !== null && ahead.filter !== context.filter) ahead = stopAhead(ahead);
      if (ahead !== null && ahead.pages.length === 0) {
        if (!ahead.ended) return at('waiting');
        ahead = null;
      }
      const room = limits.bufferBytes - buffered;
      let page = ahead === null ? null : aheadPage({ ...context, nextOffset }, ahead, room);
      if (ahead !== null) ahead = page === null ? stopAhead(ahead) : { ...ahead, pages: ahead.pages.slice(1) };
      if (page === null) {
        if (slice.ms < 0)
          [slice.ms, slice.started] = [turns.claim(context.io, limits.replaySliceMs), scheduler.monotonic()];
        if (slice.ms === 0) return at('more');
        page = inlinePage({ ...context, nextOffset }, turns, slice.ms, nextOffset, recordBytes, buffered);
        const meanBytes = page.count > 0 ? page.bytes / page.count : recordBytes;
        const left = limits.bufferBytes - socket.bufferedAmount();
        if (listener !== undefined)
          ahead = startAhead({ ...context, nextOffset }, page.next, left, meanBytes, listener);
      }
      if (page.count > 0) {
        recordBytes = page.bytes / page.count;
        lastActivity = scheduler.monotonic();
      }
      nextOffset = page.next;
      if (slice.ms > 0 && scheduler.monotonic() - slice.started > slice.ms) return at('more');
    }
  } finally {
    if (slice.ms > 0) turns.spend(scheduler.monotonic() - slice.started);
  }
}
