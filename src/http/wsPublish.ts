import type { WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import type { Logger } from '../actors/logger.js';
import type { PipelinePort, SubmitOutcome } from '../actors/pipelinePort.js';
import type { Config } from '../config.js';
import { parseEventInput, type EventInput } from '../protocol/eventInput.js';
import { formatIssues, prefixIssues, type Issue } from '../protocol/issue.js';
import { tooDeepAt } from '../protocol/jsonDepth.js';
import { nestsDeeperThan } from '../protocol/textDepth.js';
import type { AckSink } from './ackQueue.js';
import type { RateLimiter } from './rateLimiter.js';
import { guarded } from './wsBoundary.js';
import type { Connection } from './wsUpgrade.js';
import { decodeUtf8, tooLarge, NOT_UTF8 } from './wsText.js';

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

type Reply = (body: object, offset: number) => void;

/** The /ws/publish handlers (open, message, drain, close); `opened`/`closed` keep the shared socket bookkeeping. */
export function publishHandlers(
  deps: PublishDeps,
  opened: (ws: WebSocket<Connection>) => void,
  closed: (ws: WebSocket<Connection>) => void,
): Pick<WebSocketBehavior<Connection>, 'open' | 'message' | 'drain' | 'close'> {
  const { config, pipeline, logger } = deps;
  const pendingFlush = new Map<WebSocket<Connection>, Connection>();
  const flush = (ws: WebSocket<Connection>, data: Connection) => {
    if (data.closed) return;
    const sink: AckSink = { buffered: () => ws.getBufferedAmount(), cork: (fn) => ws.cork(fn), send: (text) => ws.send(text, false, false) };
    const result = data.acks.flush(sink, ACK_HIGH_WATER_BYTES);
    if (result === 'dropped') {
      // Hint: the flush never sends past ACK_HIGH_WATER_BYTES, far below maxBackpressure; a drop is a bug. Tell the producer.
      logger.error({ ip: data.ip, buffered: ws.getBufferedAmount() }, 'uWS dropped an ack; closing the producer');
      ws.end(1011, `ack dropped; acked through offset ${data.acks.ackedOffset}`);
    } else if (result === 'blocked' && data.acks.backlogBytes > deps.ackBacklogBytes) {
      logger.warn({ ip: data.ip, backlog: data.acks.backlogBytes }, 'producer not reading its acks; closing');
      ws.end(CLOSE_ACK_BACKLOG, `ack backlog full; acked through offset ${data.acks.ackedOffset}; committed through ${data.acks.committedOffset}`);
    }
  };
  const flushPending = () => {
    for (const [ws, data] of pendingFlush) guarded(logger, 'ws publish flush', () => flush(ws, data));
    pendingFlush.clear();
  };

  return {
    open: (ws) =>
      guarded(logger, 'ws publish open', () => {
        opened(ws);
        pipeline.publisherOpened();
      }),
    message: (ws, message) => {
      const data = ws.getUserData();
      const seq = data.acks.reserve();
      const reply: Reply = (body, offset) => {
        data.acks.fill(seq, JSON.stringify(body), offset);
        // Hint: a group commit acks many messages per connection; flush each connection once, after all of them.
        if (pendingFlush.size === 0) queueMicrotask(flushPending);
        pendingFlush.set(ws, data);
      };
      guarded(
        logger,
        'ws publish message',
        () => {
          if (message.byteLength > config.maxWsMessageBytes) return reply(tooLarge(message, config), 0);
          const text = decodeUtf8(message);
          if (text === null) return reply({ status: 'error', message: NOT_UTF8 }, 0);
          handlePublish(text, data.ip, deps, reply);
        },
        () => reply({ status: 'error', message: 'internal error' }, 0),
      );
    },
    drain: (ws) => guarded(logger, 'ws publish drain', () => flush(ws, ws.getUserData())),
    close: (ws) =>
      guarded(logger, 'ws publish close', () => {
        closed(ws);
        pipeline.publisherClosed();
        pendingFlush.delete(ws);
      }),
  };
}

/** The events of a publish message: an event, an array of events, or `{ref, events:[…]}`. */
function unwrap(message: unknown): { ref: unknown; items: unknown[]; isBatch: boolean } {
  if (Array.isArray(message)) return { ref: undefined, items: message, isBatch: true };
  if (typeof message === 'object' && message !== null) {
    const { ref, events } = message as { ref?: unknown; events?: unknown };
    if (Array.isArray(events)) return { ref, items: events, isBatch: true };
    return { ref, items: [message], isBatch: false };
  }
  return { ref: undefined, items: [message], isBatch: false };
}

/** Parse one /ws/publish message and submit it; `ref` is echoed in the reply. */
function handlePublish(text: string, ip: string, deps: PublishDeps, reply: Reply): void {
  const { config, pipeline } = deps;
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch (error) {
    return reply({ status: 'error', message: `Invalid JSON: ${(error as Error).message}` }, 0);
  }
  // Hint: bound nesting before anything recursive (valibot, JSON.stringify of an echoed ref) touches the value.
  if (nestsDeeperThan(text, config.maxJsonDepth)) {
    const field = tooDeepAt(message, config.maxJsonDepth) ?? 'message';
    return reply({ status: 'error', message: `${field === 'body' ? 'message' : field}: nested deeper than ${config.maxJsonDepth} levels (MAX_JSON_DEPTH)` }, 0);
  }
  const { ref, items, isBatch } = unwrap(message);
  const withRef = (body: Record<string, unknown>) => (ref === undefined ? body : { ...body, ref });
  const wait = deps.limiter.take(ip);
  if (wait > 0) return reply(withRef({ status: 'error', message: `rate limit exceeded; retry in ${wait} s`, retryable: true, code: 429 }), 0);
  if (items.length === 0) return reply(withRef({ status: 'error', message: 'events: must contain at least one event' }), 0);
  const inputs: EventInput[] = [];
  const issues: Issue[] = [];
  for (let i = 0; i < items.length; i++) {
    const result = parseEventInput(items[i], config);
    if (result.ok) inputs.push(result.value);
    else issues.push(...(isBatch ? prefixIssues(`[${i}]`, result.issues) : result.issues));
  }
  if (issues.length > 0) return reply(withRef({ status: 'error', message: formatIssues(issues) }), 0);
  // Hint: a reply slot left empty would hold back every later ack on this connection, so a failing reply still answers.
  const accepted = pipeline.submit(inputs, (outcome) =>
    guarded(deps.logger, 'ws publish ack', () => reply(...outcomeReply(outcome, isBatch, withRef)), () => reply({ status: 'error', message: 'internal error' }, 0)),
  );
  if (!accepted) {
    const message = pipeline.stopping ? 'server shutting down; retry against the next instance' : 'pipeline is over its pending bound; retry shortly';
    reply(withRef({ status: 'error', message, retryable: true }), 0);
  }
}

/** The reply to a committed (or failed) submit, with the highest offset it acknowledges. */
function outcomeReply(outcome: SubmitOutcome, isBatch: boolean, withRef: (body: Record<string, unknown>) => object): [object, number] {
  if (!outcome.ok) {
    if ('conflict' in outcome) {
      return [withRef({ status: 'error', message: `id: event id ${JSON.stringify(outcome.conflict.id)} already exists with different content`, code: 409 }), 0];
    }
    return [withRef({ status: 'error', message: outcome.message, retryable: true }), 0];
  }
  const records = outcome.records;
  const last = records[records.length - 1]!.offset;
  if (!isBatch) {
    return [withRef({ status: 'ok', event_id: records[0]!.id, offset: records[0]!.offset, duplicate: outcome.appended.length === 0 }), last];
  }
  const body = {
    status: 'ok',
    count: records.length,
    event_ids: records.map((r) => r.id),
    first_offset: records[0]!.offset,
    last_offset: last,
    duplicates: records.length - outcome.appended.length,
  };
  return [withRef(body), last];
}
