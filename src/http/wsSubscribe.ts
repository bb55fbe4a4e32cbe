import type { WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import type { Logger } from '../actors/logger.js';
import type { PipelinePort, SubscriberSocket } from '../actors/pipelinePort.js';
import type { Config } from '../config.js';
import { errorMessage } from '../protocol/serverMessages.js';
import { decodeUtf8 } from '../protocol/utf8Text.js';
import { type BudgetedSocket, connectionBudgets } from './messageBudget.js';
import { closeIfNotReading, subscriberHolds, unreadLimit } from './unreadAnswers.js';
import { type UwsTopicPublisher, uwsTopicSocket } from './uwsTopicPublisher.js';
import { guarded } from './wsBoundary.js';
import { notUtf8, tooLarge } from './wsText.js';
import type { Connection } from './wsUpgrade.js';

/** Close code and text for a subscriber refused because MAX_SUBSCRIBERS are connected. */
export const CLOSE_AT_CAPACITY = 1013;
const AT_CAPACITY = 'Server at subscriber capacity';
const AT_CAPACITY_REPLY = JSON.stringify(errorMessage(AT_CAPACITY));
const INTERNAL_ERROR_REPLY = JSON.stringify(errorMessage('internal error'));
/** A refused subscriber that never sends its subscribe message is closed after this long (as an unconfigured one). */
const REFUSED_SILENCE_MS = 10_000;
/** Messages a subscriber may send per window: a subscription, pings and filter changes need few. */
export const SUBSCRIBER_MESSAGES = 1_000;
export const SUBSCRIBER_MESSAGES_WINDOW_MS = 10_000;
/** Close code for a connection past its message budget (RFC 6455 policy violation). */
export const CLOSE_TOO_MANY_MESSAGES = 1008;
const SUBSCRIBER_BUDGET = {
  max: SUBSCRIBER_MESSAGES,
  windowMs: SUBSCRIBER_MESSAGES_WINDOW_MS,
  message: `too many messages: at most ${SUBSCRIBER_MESSAGES} per ${SUBSCRIBER_MESSAGES_WINDOW_MS / 1000} s`,
  closeCode: CLOSE_TOO_MANY_MESSAGES,
};

/** What /ws/subscribe needs. */
export interface SubscribeDeps {
  readonly config: Config;
  readonly pipeline: PipelinePort;
  readonly logger: Logger;
  /** Native fan-out: live subscribers get records through their filter's uWS topic. */
  readonly topics?: UwsTopicPublisher;
  /** The monotonic clock (ms) of the message budget (performance.now by default). */
  readonly monotonic?: () => number;
}

function adapt(ws: WebSocket<Connection>, data: Connection, topics: UwsTopicPublisher | undefined): SubscriberSocket {
  const socket: SubscriberSocket = {
    send: (text) => {
      if (!data.closed) ws.send(text, false, false);
    },
    sendFrame: (frame) => {
      if (!data.closed) ws.send(frame, false, false);
    },
    bufferedAmount: () => (data.closed ? 0 : ws.getBufferedAmount()),
    cork: (fn) => {
      if (!data.closed) ws.cork(fn);
    },
    end: (code, reason) => {
      if (!data.closed) ws.end(code, reason);
    },
  };
  return topics === undefined ? socket : { ...socket, topics: uwsTopicSocket(ws, data, topics) };
}

/** The socket a message budget tells and closes. */
export function socketOf(ws: WebSocket<Connection>): BudgetedSocket {
  return { send: (text) => ws.send(text, false, false), end: (code, reason) => ws.end(code, reason) };
}

/** The /ws/subscribe handlers (open, message, drain, close). */
export function subscribeHandlers(
  deps: SubscribeDeps,
  opened: (ws: WebSocket<Connection>) => void,
  closed: (ws: WebSocket<Connection>) => void,
): Pick<WebSocketBehavior<Connection>, 'open' | 'message' | 'drain' | 'close'> {
  const { config, pipeline, logger } = deps;
  const withinBudget = connectionBudgets<Connection>(SUBSCRIBER_BUDGET, deps.monotonic ?? (() => performance.now()));
  // Hint: a message is answered only while its peer reads what it is sent (see closeIfNotReading).
  const unread = unreadLimit(subscriberHolds(config));
  const refuse = (ws: WebSocket<Connection>, data: Connection) => {
    if (data.closed) return;
    ws.send(AT_CAPACITY_REPLY, false, false);
    ws.end(CLOSE_AT_CAPACITY, AT_CAPACITY);
  };
  const fail = (ws: WebSocket<Connection>) => {
    const data = ws.getUserData();
    if (!data.closed) ws.send(INTERNAL_ERROR_REPLY, false, false);
  };

  return {
    open: (ws) =>
      guarded(
        logger,
        'ws subscribe open',
        () => {
          opened(ws);
          const data = ws.getUserData();
          data.subscriber = pipeline.openSubscriber(adapt(ws, data, deps.topics));
          if (data.subscriber !== null) return;
          if (pipeline.stopping) return ws.end(1001, 'server shutting down');
          // Hint: the old service accepts the socket and refuses in answer to the subscribe message; clients wait for it.
          data.atCapacity = true;
          data.timer = setTimeout(
            () => guarded(logger, 'ws subscribe refusal', () => refuse(ws, data)),
            REFUSED_SILENCE_MS,
          );
        },
        () => ws.end(1011, 'internal error'),
      ),
    message: (ws, message) =>
      guarded(
        logger,
        'ws subscribe message',
        () => {
          const data = ws.getUserData();
          if (closeIfNotReading(ws, unread, logger, 'sends messages')) return;
          if (!withinBudget(data, socketOf(ws))) return;
          if (data.atCapacity) return refuse(ws, data);
          const subscriber = data.subscriber;
          if (subscriber === null) return;
          if (message.byteLength > config.maxWsMessageBytes)
            return pipeline.subscriberReply(subscriber, tooLarge(message, config));
          const text = decodeUtf8(message);
          if (text === null) return pipeline.subscriberReply(subscriber, notUtf8(message));
          pipeline.subscriberMessage(subscriber, text, config.maxJsonDepth);
        },
        () => fail(ws),
      ),
    drain: (ws) =>
      guarded(logger, 'ws subscribe drain', () => {
        const subscriber = ws.getUserData().subscriber;
        if (subscriber !== null) pipeline.subscriberDrained(subscriber);
      }),
    close: (ws) =>
      guarded(logger, 'ws subscribe close', () => {
        closed(ws);
        const data = ws.getUserData();
        if (data.timer !== null) clearTimeout(data.timer);
        if (data.subscriber !== null) pipeline.subscriberGone(data.subscriber);
      }),
  };
}
