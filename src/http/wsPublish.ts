import type { WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import type { Logger } from '../actors/logger.js';
import type { PipelinePort, SubmitOutcome } from '../actors/pipelinePort.js';
import type { Config } from '../config.js';
import type { EventInput } from '../protocol/eventInput.js';
import { fastEventBatch, fastSingleEvent } from '../protocol/fastPublish.js';
import { formatIssues } from '../protocol/issue.js';
import { decodeJsonMessage } from '../protocol/jsonMessage.js';
import { NON_FINITE_MESSAGE, nulledValueIn } from '../protocol/nulledValues.js';
import {
  ignoredEnvelopeFields,
  ignoredEventFields,
  publishInputs,
  readPublishMessage,
} from '../protocol/publishMessage.js';
import { withRef, wsPublishAckText } from '../protocol/publishReply.js';
import { errorMessage, type ServerMessage } from '../protocol/serverMessages.js';
import type { AckSink } from './ackQueue.js';
import type { RateLimiter } from './rateLimiter.js';
import { guarded, handlerFailed } from './wsBoundary.js';
import { decodeUtf8, NOT_UTF8, tooLarge } from './wsText.js';
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
}

const INTERNAL_ERROR = JSON.stringify(errorMessage('internal error'));
/** A reply slot's ignored fields until the message names some. */
const NO_FIELDS: readonly string[] = [];

/** An error reply, rendered. */
function rendered(body: ServerMessage): string {
  return JSON.stringify(body);
}

/** Write a connection's ready acks; close a producer whose acks were dropped or whose backlog passed the bound. */
function flushAcks(ws: WebSocket<Connection>, data: Connection, deps: PublishDeps): void {
  const { logger } = deps;
  if (data.closed) return;
  const sink: AckSink = {
    buffered: () => ws.getBufferedAmount(),
    cork: (fn) => ws.cork(fn),
    send: (text) => ws.send(text, false, false),
  };
  const result = data.acks.flush(sink, ACK_HIGH_WATER_BYTES);
  if (result === 'dropped') {
    // Hint: the flush never sends past ACK_HIGH_WATER_BYTES, far below maxBackpressure; a drop is a bug. Tell the producer.
    logger.error({ ip: data.ip, buffered: ws.getBufferedAmount() }, 'uWS dropped an ack; closing the producer');
    ws.end(1011, `ack dropped; acked through offset ${data.acks.ackedOffset}`);
  } else if (result === 'blocked' && data.acks.backlogBytes > deps.ackBacklogBytes) {
    logger.warn({ ip: data.ip, backlog: data.acks.backlogBytes }, 'producer not reading its acks; closing');
    ws.end(
      CLOSE_ACK_BACKLOG,
      `ack backlog full; acked through offset ${data.acks.ackedOffset}; committed through ${data.acks.committedOffset}`,
    );
  }
}

/** Connections with new acks, each flushed once per microtask: a group commit acks many messages per connection. */
class AckFlusher {
  private readonly pending = new Map<WebSocket<Connection>, Connection>();
  private readonly flushPending = () => {
    for (const [ws, data] of this.pending)
      guarded(this.deps.logger, 'ws publish flush', () => flushAcks(ws, data, this.deps));
    this.pending.clear();
  };

  constructor(readonly deps: PublishDeps) {}

  mark(ws: WebSocket<Connection>, data: Connection): void {
    if (this.pending.size === 0) queueMicrotask(this.flushPending);
    this.pending.set(ws, data);
  }

  forget(ws: WebSocket<Connection>): void {
    this.pending.delete(ws);
  }
}

/**
 * One /ws/publish message's reply slot in its connection's AckQueue, and what its ack needs (`isBatch`, `ref`).
 * Hint: one object per message, handed to the group commit as its token: no closure per message or per ack.
 */
class ReplySlot {
  isBatch = false;
  ref: unknown = undefined;
  ignored: readonly string[] = NO_FIELDS;

  constructor(
    private readonly ws: WebSocket<Connection>,
    private readonly data: Connection,
    private readonly seq: number,
    private readonly flusher: AckFlusher,
  ) {}

  /** Fill the slot with a reply text and the highest offset it acknowledges (0 for an error). */
  reply(text: string, offset: number): void {
    this.data.acks.fill(this.seq, text, offset);
    this.flusher.mark(this.ws, this.data);
  }

  /** `where` threw: log it and answer an internal error (a slot left empty would hold back every later ack). */
  failed(where: string, error: unknown): void {
    handlerFailed(this.flusher.deps.logger, where, error, () => this.reply(INTERNAL_ERROR, 0));
  }
}

/** The group commit's answer to one message: its ack (or refusal) fills the message's reply slot. */
function settled(outcome: SubmitOutcome, slot: ReplySlot): void {
  try {
    const ack = wsPublishAckText(outcome, slot.isBatch, slot.ref, slot.ignored);
    slot.reply(ack.text, ack.offset);
  } catch (error) {
    slot.failed('ws publish ack', error);
  }
}

/** The /ws/publish handlers (open, message, drain, close); `opened`/`closed` keep the shared socket bookkeeping. */
export function publishHandlers(
  deps: PublishDeps,
  opened: (ws: WebSocket<Connection>) => void,
  closed: (ws: WebSocket<Connection>) => void,
): Pick<WebSocketBehavior<Connection>, 'open' | 'message' | 'drain' | 'close'> {
  const { config, pipeline, logger } = deps;
  const flusher = new AckFlusher(deps);

  return {
    open: (ws) =>
      guarded(logger, 'ws publish open', () => {
        opened(ws);
        pipeline.publisherOpened();
      }),
    message: (ws, message) => {
      const data = ws.getUserData();
      const slot = new ReplySlot(ws, data, data.acks.reserve(), flusher);
      try {
        if (message.byteLength > config.maxWsMessageBytes) return slot.reply(rendered(tooLarge(message, config)), 0);
        const decoded = decodeUtf8(message);
        if (decoded === null) return slot.reply(rendered(errorMessage(NOT_UTF8)), 0);
        handlePublish(decoded, data.ip, deps, slot);
      } catch (error) {
        slot.failed('ws publish message', error);
      }
    },
    drain: (ws) => guarded(logger, 'ws publish drain', () => flushAcks(ws, ws.getUserData(), deps)),
    close: (ws) =>
      guarded(logger, 'ws publish close', () => {
        closed(ws);
        pipeline.publisherClosed();
        flusher.forget(ws);
      }),
  };
}

/** Parse one /ws/publish message and submit it; `ref` is echoed in the reply. */
function handlePublish(text: string, ip: string, deps: PublishDeps, slot: ReplySlot): void {
  const { config } = deps;
  // Hint: the common shapes (one event, an array, the SDK's envelope) skip JSON.parse and the payloads'
  // re-serialization (same inputs, same replies).
  const fast = fastSingleEvent(text, config);
  if (fast !== null) {
    if (!rateLimited(ip, undefined, deps, slot)) submit([fast], false, undefined, deps, slot);
    return;
  }
  const batch = fastEventBatch(text, config);
  if (batch !== null) {
    if (!rateLimited(ip, batch.ref, deps, slot)) submit(batch.inputs, true, batch.ref, deps, slot);
    return;
  }
  const decoded = decodeJsonMessage(text, config.maxJsonDepth);
  if (!decoded.ok) {
    slot.reply(rendered(errorMessage(decoded.message)), 0);
    return;
  }
  const message = readPublishMessage(decoded.value, 'message');
  const { ref, isBatch } = message;
  // Hint: checked before any reply echoes it: JSON would echo it as null.
  const badRef = nulledValueIn({ ref });
  if (badRef !== null) {
    slot.reply(rendered(errorMessage(`${badRef.path}: ${NON_FINITE_MESSAGE}`)), 0);
    return;
  }
  if (rateLimited(ip, ref, deps, slot)) return;
  const parsed = publishInputs(message, config, 'events');
  if (!parsed.ok) {
    slot.reply(rendered(withRef(errorMessage(formatIssues(parsed.issues.summarized())), ref)), 0);
    return;
  }
  // Hint: the fast paths above take only the known fields, so only this path can meet fields it ignores.
  const ignored = ignoredEventFields(message.items, !isBatch);
  const outer = ignoredEnvelopeFields(decoded.value, message);
  slot.ignored = outer.length === 0 ? ignored : [...new Set([...outer, ...ignored])];
  submit(parsed.value, isBatch, ref, deps, slot);
}

/** Take a token for `ip`; without one, reply the 429 and return true. */
function rateLimited(ip: string, ref: unknown, deps: PublishDeps, slot: ReplySlot): boolean {
  const wait = deps.limiter.take(ip);
  if (wait <= 0) return false;
  const refusal = errorMessage(`rate limit exceeded; retry in ${wait} s`, { retryable: true, code: 429 });
  slot.reply(rendered(withRef(refusal, ref)), 0);
  return true;
}

/** Hand validated inputs to the pipeline; the ack (or a refusal) fills this message's reply slot. */
function submit(inputs: EventInput[], isBatch: boolean, ref: unknown, deps: PublishDeps, slot: ReplySlot): void {
  const { pipeline } = deps;
  slot.isBatch = isBatch;
  slot.ref = ref;
  if (!pipeline.submit(inputs, settled, slot)) {
    const message = pipeline.stopping
      ? 'server shutting down; retry against the next instance'
      : 'pipeline is over its pending bound; retry shortly';
    slot.reply(rendered(withRef(errorMessage(message, { retryable: true }), ref)), 0);
  }
}
