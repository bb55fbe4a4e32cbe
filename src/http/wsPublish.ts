import type { WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import type { Logger } from '../actors/logger.js';
import type { PipelinePort } from '../actors/pipelinePort.js';
import type { Config } from '../config.js';
import type { EventInput } from '../protocol/eventInput.js';
import { errorMessage } from '../protocol/serverMessages.js';
import { INVALID_MESSAGES, TOO_MANY_INVALID_MESSAGES } from '../protocol/wsPublishLimits.js';
import { AckFlusher, ackedThrough } from './ackFlusher.js';
import { type BudgetedSocket, connectionBudgets } from './messageBudget.js';
import type { ServerMetrics } from './metrics.js';
import type { RateLimiter } from './rateLimiter.js';
import { guarded, handlerFailed } from './wsBoundary.js';
import { type PublishSlot, readMessage } from './wsPublishMessage.js';
import { CLOSE_TOO_MANY_MESSAGES } from './wsSubscribe.js';
import type { Connection } from './wsUpgrade.js';

export { ACK_HIGH_WATER_BYTES, CLOSE_ACK_BACKLOG } from './ackFlusher.js';

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
  /** The monotonic clock (ms) of the invalid-message budget (performance.now by default). */
  readonly monotonic?: () => number;
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
  const withinBudget = connectionBudgets<Connection>(INVALID_BUDGET, deps.monotonic ?? (() => performance.now()));

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
