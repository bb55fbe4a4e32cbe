import type { WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import type { Logger } from '../actors/logger.js';
import type { PipelinePort } from '../actors/pipelinePort.js';
import type { Config } from '../config.js';
import type { EventInput } from '../protocol/eventInput.js';
import { errorMessage } from '../protocol/serverMessages.js';
import { INVALID_MESSAGES, TOO_MANY_INVALID_MESSAGES } from '../protocol/wsPublishLimits.js';
import { AckBacklogTotal } from './ackBacklogTotal.js';
import type { AckQueue, AckSink } from './ackQueue.js';
import { type BudgetedSocket, connectionBudgets } from './messageBudget.js';
import type { ServerMetrics } from './metrics.js';
import type { RateLimiter } from './rateLimiter.js';
import { guarded, handlerFailed } from './wsBoundary.js';
import { type PublishSlot, readMessage } from './wsPublishMessage.js';
import { CLOSE_TOO_MANY_MESSAGES } from './wsSubscribe.js';
import type { Connection } from './wsUpgrade.js';

/** Socket buffer above which acks wait in the connection's AckQueue instead of going to uWS. */
export const ACK_HIGH_WATER_BYTES = 1024 * 1024;
/** Close code for a producer whose unread acks passed the backlog bound. */
export const CLOSE_ACK_BACKLOG = 4009;

/** What /ws/publish needs. */
export interface PublishDeps {
  readonly config: Config;
  readonly pipeline: PipelinePort;
  readonly logger: Logger;
  readonly limiter: RateLimiter;
  readonly ackBacklogBytes: number;
  /** MAX_ACK_BACKLOG_TOTAL_BYTES: every producer's unread acks together. */
  readonly ackBacklogTotalBytes: number;
  /** Counts closes at the ack bounds and reads the unread acks' total (absent: no /metrics). */
  readonly metrics?: ServerMetrics | null;
  /** The clock (ms) of the invalid-message budget. */
  readonly now?: () => number;
}

/** Invalid messages a producer may send per window before it is closed (a buggy producer sends few; a flood of
 * one-byte frames, each answered with an error, held the thread that serves every client for over a second). */
export { INVALID_MESSAGES };

const INVALID_BUDGET = {
  max: INVALID_MESSAGES,
  windowMs: 10_000,
  message: `${TOO_MANY_INVALID_MESSAGES}: at most ${INVALID_MESSAGES} per 10 s`,
  closeCode: CLOSE_TOO_MANY_MESSAGES,
};

const INTERNAL_ERROR = JSON.stringify(errorMessage('internal error'));
/** A reply slot's ignored fields until the message names some. */
const NO_FIELDS: readonly string[] = [];
const NO_INPUTS: readonly EventInput[] = [];

/**
 * Writes connections' ready acks, each connection once per microtask (a group commit acks many messages per
 * connection), and closes a producer whose acks uWS dropped or whose unread acks passed a bound: its own
 * (MAX_ACK_BACKLOG_BYTES), or all producers' together (MAX_ACK_BACKLOG_TOTAL_BYTES), which closes the one holding most.
 */
class AckFlusher {
  private readonly pending = new Map<WebSocket<Connection>, Connection>();
  private readonly total: AckBacklogTotal<AckQueue>;
  private readonly sockets = new Map<AckQueue, WebSocket<Connection>>();
  /** Producers past their invalid-message budget: told and closed once every message read before it is answered. */
  private readonly ending = new Map<WebSocket<Connection>, { text: string; code: number; reason: string }>();
  private readonly flushPending = () => {
    for (const [ws, data] of this.pending) guarded(this.deps.logger, 'ws publish flush', () => this.flush(ws, data));
    this.pending.clear();
  };

  constructor(readonly deps: PublishDeps) {
    this.total = new AckBacklogTotal(deps.ackBacklogTotalBytes);
    deps.metrics?.holding('acks', () => this.total.bytes);
  }

  opened(ws: WebSocket<Connection>, data: Connection): void {
    this.total.opened(data.acks, data.ip);
    this.sockets.set(data.acks, ws);
  }

  /** Set the reply of message `seq`, counted in the total, and flush it with the others of this turn. */
  fill(ws: WebSocket<Connection>, data: Connection, seq: number, text: string, offset: number): void {
    const before = data.acks.backlogBytes;
    data.acks.fill(seq, text, offset);
    this.total.changed(data.acks, before);
    if (this.pending.size === 0) queueMicrotask(this.flushPending);
    this.pending.set(ws, data);
  }

  /**
   * Send `text`, then close (the reason saying what was acked), once all read before is answered. Hint: closing at
   * once dropped the acks of messages still in the group commit (a probe's: 900 events stored, none acked).
   */
  endWhenAnswered(ws: WebSocket<Connection>, data: Connection, text: string, code: number, reason: string): void {
    this.ending.set(ws, { text, code, reason });
    this.flush(ws, data);
  }

  /** Write the connection's ready acks as far as its socket takes them; close it past a bound. */
  flush(ws: WebSocket<Connection>, data: Connection): void {
    const { logger } = this.deps;
    if (data.closed && !this.ending.has(ws)) return;
    const sink: AckSink = {
      buffered: () => ws.getBufferedAmount(),
      cork: (fn) => ws.cork(fn),
      send: (text) => ws.send(text, false, false),
    };
    const before = data.acks.backlogBytes;
    const result = data.acks.flush(sink, ACK_HIGH_WATER_BYTES);
    this.total.changed(data.acks, before);
    if (result === 'dropped') {
      // Hint: the flush never sends past ACK_HIGH_WATER_BYTES, far below maxBackpressure; a drop is a bug. Tell the producer.
      logger.error({ ip: data.ip, buffered: ws.getBufferedAmount() }, 'uWS dropped an ack; closing the producer');
      ws.end(1011, `ack dropped; acked through offset ${data.acks.ackedOffset}`);
    } else if (result === 'blocked' && data.acks.backlogBytes > this.deps.ackBacklogBytes) {
      logger.warn({ ip: data.ip, backlog: data.acks.backlogBytes }, 'producer not reading its acks; closing');
      this.deps.metrics?.refusedAtBound('MAX_ACK_BACKLOG_BYTES');
      ws.end(CLOSE_ACK_BACKLOG, `ack backlog full${ackedThrough(data)}`);
    } else if (result === 'blocked') this.closeLargest();
    else if (result === 'done') this.endIfAnswered(ws, data);
  }

  private endIfAnswered(ws: WebSocket<Connection>, data: Connection): void {
    const end = this.ending.get(ws);
    if (end === undefined || data.acks.size > 0) return;
    this.ending.delete(ws);
    ws.send(end.text, false, false);
    ws.end(end.code, `${end.reason}${ackedThrough(data)}`);
  }

  /** Past the total bound, close the largest producer of the address holding the most (each holder is blocked). */
  private closeLargest(): void {
    const largest = this.total.overBound();
    const ws = largest === null ? undefined : this.sockets.get(largest);
    if (ws === undefined) return;
    const data = ws.getUserData();
    const fields = { ip: data.ip, backlog: data.acks.backlogBytes, total: this.total.bytes };
    this.deps.logger.warn(fields, "producers' unread acks passed MAX_ACK_BACKLOG_TOTAL_BYTES; closing the largest");
    this.deps.metrics?.refusedAtBound('MAX_ACK_BACKLOG_TOTAL_BYTES');
    ws.end(CLOSE_ACK_BACKLOG, `ack backlog full (server total)${ackedThrough(data)}`);
  }

  closed(ws: WebSocket<Connection>, data: Connection): void {
    this.pending.delete(ws);
    this.ending.delete(ws);
    this.total.closed(data.acks);
    this.sockets.delete(data.acks);
  }
}

/**
 * One /ws/publish message's reply slot in its connection's AckQueue, and what its ack needs (`isBatch`, `ref`).
 * Hint: one object per message, handed to the group commit as its token: no closure per message or per ack.
 */
class ReplySlot implements PublishSlot {
  isBatch = false;
  ref: unknown = undefined;
  /** Refused as invalid (not as retryable): counted against the connection's INVALID_BUDGET. */
  invalid = false;
  ignored: readonly string[] = NO_FIELDS;
  submitted: readonly EventInput[] = NO_INPUTS;

  constructor(
    private readonly ws: WebSocket<Connection>,
    private readonly data: Connection,
    private readonly seq: number,
    private readonly flusher: AckFlusher,
  ) {}

  /** Fill the slot with a reply text and the highest offset it acknowledges (0 for an error). */
  reply(text: string, offset: number): void {
    this.flusher.fill(this.ws, this.data, this.seq, text, offset);
  }

  /** Answer the message with the error `text`: it was not valid (too large, not UTF-8, not JSON, not an event). */
  refuse(text: string): void {
    this.invalid = true;
    this.reply(text, 0);
  }

  /** `where` threw: log it and answer an internal error (a slot left empty would hold back every later ack). */
  failed(where: string, error: unknown): void {
    handlerFailed(this.flusher.deps.logger, where, error, () => this.reply(INTERNAL_ERROR, 0));
  }
}

/** The /ws/publish handlers (open, message, drain, close); `opened`/`closed` keep the shared socket bookkeeping. */
export function publishHandlers(
  deps: PublishDeps,
  opened: (ws: WebSocket<Connection>) => void,
  closed: (ws: WebSocket<Connection>) => void,
): Pick<WebSocketBehavior<Connection>, 'open' | 'message' | 'drain' | 'close'> {
  const { pipeline, logger } = deps;
  const flusher = new AckFlusher(deps);
  const withinBudget = connectionBudgets<Connection>(INVALID_BUDGET, deps.now ?? Date.now);

  return {
    open: (ws) =>
      guarded(logger, 'ws publish open', () => {
        opened(ws);
        flusher.opened(ws, ws.getUserData());
        pipeline.publisherOpened();
      }),
    message: (ws, message) => {
      const data = ws.getUserData();
      if (data.closed) return;
      const slot = new ReplySlot(ws, data, data.acks.reserve(), flusher);
      try {
        readMessage(message, data.ip, deps, slot);
      } catch (error) {
        slot.failed('ws publish message', error);
      }
      if (slot.invalid) withinBudget(data, budgetSocket(ws, data, flusher));
    },
    drain: (ws) => guarded(logger, 'ws publish drain', () => flusher.flush(ws, ws.getUserData())),
    close: (ws) =>
      guarded(logger, 'ws publish close', () => {
        closed(ws);
        pipeline.publisherClosed();
        flusher.closed(ws, ws.getUserData());
      }),
  };
}

/**
 * The 1001 reason at shutdown: a producer's names what it can trust was stored, as 4009's does; after the drain
 * nothing more commits, so a message unanswered by then was not stored.
 */
export function shutdownReason(data: Connection): string {
  return data.request.path.endsWith('/ws/publish')
    ? `server shutting down${ackedThrough(data)}`
    : 'server shutting down';
}

/** The reason's tail for a producer closed with messages unanswered: what it can trust was stored. */
function ackedThrough(data: Connection): string {
  return `; acked through offset ${data.acks.ackedOffset}; committed through ${data.acks.committedOffset}`;
}

/** The socket the invalid-message budget tells and closes: both once every earlier message is answered. */
function budgetSocket(ws: WebSocket<Connection>, data: Connection, flusher: AckFlusher): BudgetedSocket {
  let told = '';
  return {
    send: (text) => {
      told = text;
    },
    end: (code, reason) => {
      if (!data.closed) flusher.endWhenAnswered(ws, data, told, code, reason);
    },
  };
}
