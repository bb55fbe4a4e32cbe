import type { AheadFrame, FrameStream, ReplayFrame } from '../persistence/eventLog.js';
import type { EventFilter } from '../protocol/eventFilter.js';
import { batchBytes, type SubscriberContext, type SubscriberLimits } from './subscriber.js';

/**
 * A replay's pages being read ahead on the log's reader thread: the stream, the filter it reads, the pages that came
 * and are not written yet, and whether it has ended (no more pages will come).
 */
export interface ReadAhead {
  readonly stream: FrameStream;
  readonly filter: EventFilter;
  readonly pages: readonly AheadFrame[];
  readonly ended: boolean;
}

/** Delivers a stream's pages (null: it ended) to the subscriber actor that started it, while that actor runs. */
export type AheadListener = (stream: FrameStream, page: AheadFrame | null) => void;

/** Rows in a subscriber's first replay page, before it knows how large the records are. */
export const FIRST_PAGE_ROWS = 64;

/**
 * Rows for the next replay page: what fits in the socket's room under its bound (`buffered` bytes are queued) in
 * records of the last page's size, so a page seldom reads records that writePage then leaves for the next one (the
 * first page, before any size is known, is small for the same reason).
 */
export function pageRows(limits: SubscriberLimits, recordBytes: number, buffered: number): number {
  const { replayPage, bufferBytes } = limits;
  if (recordBytes === 0) return Math.min(replayPage, FIRST_PAGE_ROWS);
  return Math.max(1, Math.min(replayPage, Math.floor((bufferBytes - buffered) / recordBytes)));
}

/**
 * Records to ask for in a frame of at most `limit` bytes, `rows` at most. Hint: aim a quarter below the limit, so
 * records larger than the last page's mean rarely overflow it.
 */
export function frameRows(rows: number, recordBytes: number, limit: number): number {
  const fit = recordBytes > 0 ? Math.floor((limit * 0.75) / recordBytes) : rows;
  return Math.max(1, Math.min(rows, fit));
}

/** Offsets one replay page may span (so a sparse filter over a huge log never holds a read for long). */
export function pageWindow(limits: SubscriberLimits): number {
  return limits.replayPage * 20;
}

/**
 * Start reading pages ahead from `from` for a socket with `room` bytes under its bound, or null: not a batch:true
 * subscriber of a log with a reader thread, nothing left below the head, or a socket less than half empty (a slow
 * reader's pages are read inline, each sized to its room when it drains, so no page waits in memory for it).
 */
export function startAhead(
  context: SubscriberContext,
  from: number,
  room: number,
  recordBytes: number,
  listener: AheadListener,
): ReadAhead | null {
  const { log, socket, limits } = context.io;
  if (!context.batch || socket.sendFrame === undefined || log.readFramesAhead === undefined) return null;
  if (room < limits.bufferBytes / 2) return null;
  const asked = frameRows(pageRows(limits, recordBytes, 0), recordBytes, batchBytes(limits));
  // Hint: the stream is known only once started; its pages are matched to it by identity.
  const box: { stream: FrameStream | null } = { stream: null };
  const stream = log.readFramesAhead(from, context.filter, asked, pageWindow(limits), (page) => {
    if (box.stream !== null) listener(box.stream, page);
  });
  if (stream === null) return null;
  box.stream = stream;
  return { stream, filter: context.filter, pages: [], ended: false };
}

/** A page read ahead that can be written now, and the offset to read from after it. */
export interface UsablePage {
  readonly page: ReplayFrame;
  readonly next: number;
}

/**
 * The page read ahead, if it is the one due at `from`, came whole, and fits the socket's `room` (one record always
 * fits); null: read the page inline.
 */
export function usableAhead(
  context: SubscriberContext,
  ahead: AheadFrame,
  from: number,
  room: number,
): UsablePage | null {
  const page = ahead.frame;
  if (page === null || ahead.from !== from) return null;
  const limit = Math.min(batchBytes(context.io.limits), Math.max(1, room));
  if (page.frame.length > limit && page.count !== 1) return null;
  return { page, next: page.count === ahead.asked ? page.lastOffset! + 1 : ahead.upTo + 1 };
}

/** Write a frame (read ahead or inline) and count its records delivered. */
export function sendFrame(context: SubscriberContext, page: ReplayFrame): void {
  if (page.count === 0) return;
  context.io.socket.sendFrame!(page.frame);
  context.io.delivered(page.count);
}

/**
 * The read-ahead after a page (or the end, null) of `stream` came: the page queued for writing, or the stream marked
 * ended. Pages of a stream the subscriber has stopped since (a filter update, a lag, the head reached) are dropped.
 */
export function withArrival(ahead: ReadAhead | null, stream: FrameStream, page: AheadFrame | null): ReadAhead | null {
  if (ahead === null || ahead.stream !== stream) return ahead;
  return page === null ? { ...ahead, ended: true } : { ...ahead, pages: [...ahead.pages, page] };
}

/** Stop reading ahead (the stream may have ended already). */
export function stopAhead(ahead: ReadAhead | null): null {
  if (ahead !== null && !ahead.ended) ahead.stream.cancel();
  return null;
}
