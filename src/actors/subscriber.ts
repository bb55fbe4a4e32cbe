import type { EventLog } from '../persistence/eventLog.js';
import type { EventFilter } from '../protocol/eventFilter.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { ServerMessage } from '../protocol/serverMessages.js';
import type { ReadAhead } from './replayAhead.js';
import type { Scheduler } from './scheduler.js';
import { batchFrames } from './topicGroup.js';
import type { TopicMembership, TopicSocket } from './topicPort.js';

/** The socket operations a subscriber needs; src/http adapts a uWS WebSocket to it. */
export interface SubscriberSocket {
  send(text: string): void;
  /** Send UTF-8 bytes as one text message (a replay frame built by the log); absent, replay sends strings. */
  sendFrame?(frame: Uint8Array): void;
  bufferedAmount(): number;
  cork(fn: () => void): void;
  end(code: number, reason: string): void;
  /** Native fan-out for this socket; absent, the subscriber always takes the per-subscriber path. */
  readonly topics?: TopicSocket;
}

/** The largest batch:true message (replay page or live commit); larger sets of records go out as several. */
export const MAX_BATCH_MESSAGE_BYTES = 1024 * 1024;

/** Tuning shared by all subscribers. */
export interface SubscriberLimits {
  /** Socket buffer above which live pushes stop and the subscriber catches up from the log. */
  readonly bufferBytes: number;
  /** Rows per replay read. */
  readonly replayPage: number;
  /** Longest synchronous replay slice (ms) before yielding to the event loop. */
  readonly replaySliceMs: number;
  /** The sweep rules' thresholds (ms). */
  readonly keepaliveMs: number;
  readonly slowConsumerTimeoutMs: number;
  readonly subscribeTimeoutMs: number;
}

/** What a subscriber actor is given at spawn: its socket and the shared parts it reads. */
export interface SubscriberIo {
  readonly socket: SubscriberSocket;
  readonly log: Pick<EventLog, 'headOffset' | 'firstOffset' | 'readJsonFrom' | 'readFrameFrom' | 'readFramesAhead'>;
  readonly limits: SubscriberLimits;
  readonly scheduler: Scheduler;
  /** Count delivered events (for /stats). */
  delivered(count: number): void;
  /** The router's topic books, when the server has native fan-out. */
  readonly topics?: TopicMembership;
}

/** A subscriber actor's context: changed only by its own transitions. */
export interface SubscriberContext {
  readonly id: string;
  readonly io: SubscriberIo;
  readonly filter: EventFilter;
  readonly batch: boolean;
  readonly checkpoints: boolean;
  /** First offset not yet delivered; live deliveries below it are skipped (replay already sent them). */
  readonly nextOffset: number;
  /**
   * When the subscriber last stopped making progress (lagging, or replay blocked on a full socket). This and the two
   * below are the scheduler's monotonic readings, so the sweep's intervals survive a wall-clock step; GET /subscribers
   * shows the last two as wall-clock times (wallTimes).
   */
  readonly stalledSince: number | null;
  readonly lastActivity: number;
  readonly openedAt: number;
  /** Mean record size of the last replay page, so a page of large records stays near the socket bound. */
  readonly recordBytes: number;
  /** Live delivery is handed to its topic (joined, or joining once routing reaches `nextOffset`). */
  readonly onTopic: boolean;
  /** The replay pages being read ahead on the log's reader thread, if they are. */
  readonly ahead: ReadAhead | null;
}

/** Largest batch message: a batch:true message is cut here (or at one record, when a record is larger). */
export function batchBytes(limits: SubscriberLimits): number {
  return Math.min(MAX_BATCH_MESSAGE_BYTES, Math.max(1, Math.floor(limits.bufferBytes / 2)));
}

/** Write serialized records, one message each or as byte-bounded arrays (batch:true); returns the bytes written. */
export function writeRecordTexts(context: SubscriberContext, texts: readonly string[]): number {
  const { socket, limits } = context.io;
  let bytes = 0;
  for (const text of texts) bytes += text.length;
  const messages = context.batch ? batchFrames(texts, batchBytes(limits)) : texts;
  // Hint: one message is one write either way; the cork (a closure and a native call) pays off from two on.
  if (messages.length === 1) socket.send(messages[0]!);
  else
    socket.cork(() => {
      for (const message of messages) socket.send(message);
    });
  context.io.delivered(texts.length);
  return bytes;
}

/** What a live delivery did: the context changes to make, and whether the subscriber must catch up from the log. */
export interface LiveOutcome {
  readonly lastActivity: number;
  /** Set when the socket is over its bound: the offset to resume from, by replay. */
  readonly lagFrom: number | null;
}

/**
 * Write one commit's matches live, in pieces that fit under the socket bound with what it holds (one record at least
 * while it is within it); past the bound, stop and report where to resume from. Why: a commit is routed in chunks of
 * up to 256 KiB of payload (COMMITTED_CHUNK_BYTES), so a socket written whole chunks held its bound plus a chunk.
 */
export function writeLive(
  context: SubscriberContext,
  records: readonly StoredEvent[],
  json: (record: StoredEvent) => string,
): LiveOutcome | null {
  // Hint: a from_offset beyond the head goes live at once, and replay may have sent part of this commit already.
  let next = 0;
  while (next < records.length && records[next]!.offset < context.nextOffset) next++;
  if (next === records.length) return null;
  const { socket, limits, scheduler } = context.io;
  const texts = new Array<string>(records.length - next);
  for (let i = next; i < records.length; i++) texts[i - next] = json(records[i]!);
  let lastActivity = context.lastActivity;
  for (let at = 0; at < texts.length; ) {
    const buffered = socket.bufferedAmount();
    if (buffered > limits.bufferBytes) return { lastActivity, lagFrom: records[next + at]!.offset };
    const count = textsThatFit(texts, at, limits.bufferBytes - buffered, context.batch);
    writeRecordTexts(context, count === texts.length ? texts : texts.slice(at, at + count));
    at += count;
    lastActivity = scheduler.monotonic();
  }
  const over = socket.bufferedAmount() > limits.bufferBytes;
  return { lastActivity, lagFrom: over ? records[records.length - 1]!.offset + 1 : null };
}

/** How many of `texts` from `from` on fit in `room` bytes as sent (one at least, when there is one). */
export function textsThatFit(texts: readonly string[], from: number, room: number, batch: boolean): number {
  let left = room;
  let i = from;
  for (; i < texts.length; i++) {
    // Hint: in a batch:true frame a record costs one byte more (its `[` or `,`).
    const size = Buffer.byteLength(texts[i]!, 'utf8') + (batch ? 1 : 0);
    if (i > from && size > left) break;
    left -= size;
  }
  return i - from;
}

/** Send a control message (ack, pong, checkpoint, keepalive, error). */
export function writeControl(context: SubscriberContext, message: ServerMessage): void {
  context.io.socket.send(JSON.stringify(message));
}

/** Close the socket; it may already be closed, which leaves nothing to do. */
export function endSocket(socket: SubscriberSocket, code: number, reason: string): void {
  try {
    socket.end(code, reason);
  } catch {
    // already closed
  }
}
