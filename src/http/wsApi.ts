import type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, us_socket_context_t } from 'uWebSockets.js';
import type { Pipeline, SubmitOutcome } from '../actors/pipeline.js';
import type { Subscriber, SubscriberSocket } from '../actors/subscriber.js';
import type { Config } from '../config.js';
import { parseEventInput, type EventInput } from '../protocol/eventInput.js';
import { formatIssues, prefixIssues, type Issue } from '../protocol/issue.js';
import { statusLine } from './httpError.js';
import { keyMatches } from './restApi.js';

/** Per-connection state kept in uWS user data. */
interface Connection {
  readonly ip: string;
  closed: boolean;
  /** Publish: replies in message order; a null slot waits for its commit. */
  replies: (string | null)[];
  /** Replies already sent: a message's slot in `replies` is its sequence number minus this. */
  repliesSent: number;
  subscriber: Subscriber | null;
}

/** What the WebSocket endpoints need. */
export interface WsDeps {
  readonly config: Config;
  readonly pipeline: Pipeline;
}

/** Every open socket, so shutdown can close them with 1001. */
export type SocketSet = Set<WebSocket<Connection>>;

const MAX_BACKPRESSURE = 64 * 1024 * 1024;
/** uWS's own limit, as a multiple of MAX_WS_MESSAGE_BYTES. */
const HARD_CAP_FACTOR = 4;

function tooLarge(message: ArrayBuffer, config: Config): object {
  return { status: 'error', message: `message: is ${message.byteLength} bytes; at most ${config.maxWsMessageBytes} allowed (MAX_WS_MESSAGE_BYTES)` };
}

/** Register /ws/publish and /ws/subscribe (also under /api/v1). */
export function registerWsApi(app: TemplatedApp, deps: WsDeps, sockets: SocketSet): void {
  const { config, pipeline } = deps;
  const perIp = new Map<string, number>();
  const pendingFlush = new Map<WebSocket<Connection>, Connection>();
  const flushPending = () => {
    for (const [ws, data] of pendingFlush) flushReplies(ws, data);
    pendingFlush.clear();
  };
  const decoder = new TextDecoder();

  const upgrade = (res: HttpResponse, req: HttpRequest, context: us_socket_context_t) => {
    const ip = Buffer.from(res.getRemoteAddressAsText()).toString();
    const key = req.getHeader('sec-websocket-key');
    const protocol = req.getHeader('sec-websocket-protocol');
    const extensions = req.getHeader('sec-websocket-extensions');
    const apiKey = req.getHeader('x-api-key') || new URLSearchParams(req.getQuery() ?? '').get('api_key') || '';
    const refuse = (status: number, detail: string) =>
      res.cork(() => res.writeStatus(statusLine(status)).writeHeader('Content-Type', 'application/json').end(JSON.stringify({ detail })));
    if (config.requireAuth && !keyMatches(apiKey, config.apiKey)) {
      refuse(401, 'Invalid or missing API key');
      return;
    }
    if ((perIp.get(ip) ?? 0) >= config.maxWsConnectionsPerIp) {
      refuse(429, `too many WebSocket connections from this address (max ${config.maxWsConnectionsPerIp})`);
      return;
    }
    const data: Connection = { ip, closed: false, replies: [], repliesSent: 0, subscriber: null };
    res.upgrade(data, key, protocol, extensions, context);
  };

  const opened = (ws: WebSocket<Connection>) => {
    const data = ws.getUserData();
    perIp.set(data.ip, (perIp.get(data.ip) ?? 0) + 1);
    sockets.add(ws);
  };

  const closed = (ws: WebSocket<Connection>) => {
    const data = ws.getUserData();
    data.closed = true;
    sockets.delete(ws);
    const count = (perIp.get(data.ip) ?? 1) - 1;
    if (count <= 0) perIp.delete(data.ip);
    else perIp.set(data.ip, count);
  };

  const common = {
    // Hint: uWS drops a connection (no close frame) past maxPayloadLength, so the hard cap sits above the
    // configured limit and messages between the two get a clear error instead.
    maxPayloadLength: config.maxWsMessageBytes * HARD_CAP_FACTOR,
    // Hint: uWS pings idle peers and drops dead ones; application keepalives come from the supervisor's sweep.
    idleTimeout: 120,
    sendPingsAutomatically: true,
    maxBackpressure: MAX_BACKPRESSURE,
    closeOnBackpressureLimit: 0,
    upgrade,
  };

  const publishBehavior = {
    ...common,
    open: (ws: WebSocket<Connection>) => {
      opened(ws);
      pipeline.publishers++;
    },
    message: (ws: WebSocket<Connection>, message: ArrayBuffer) => {
      const data = ws.getUserData();
      // Hint: flushReplies shifts sent replies off the front, so remember the sequence number, not the index.
      const seq = data.repliesSent + data.replies.length;
      data.replies.push(null);
      const reply = (body: object) => {
        data.replies[seq - data.repliesSent] = JSON.stringify(body);
        // Hint: a group commit acks many messages per connection; flush each connection once, after all of them.
        if (pendingFlush.size === 0) queueMicrotask(flushPending);
        pendingFlush.set(ws, data);
      };
      if (message.byteLength > config.maxWsMessageBytes) reply(tooLarge(message, config));
      else handlePublish(decoder.decode(message), config, pipeline, reply);
    },
    close: (ws: WebSocket<Connection>) => {
      closed(ws);
      pipeline.publishers--;
    },
  };

  const subscribeBehavior = {
    ...common,
    open: (ws: WebSocket<Connection>) => {
      opened(ws);
      const data = ws.getUserData();
      const socket: SubscriberSocket = {
        send: (text) => {
          if (!data.closed) ws.send(text, false, false);
        },
        bufferedAmount: () => (data.closed ? 0 : ws.getBufferedAmount()),
        cork: (fn) => {
          if (!data.closed) ws.cork(fn);
        },
        end: (code, reason) => {
          if (!data.closed) ws.end(code, reason);
        },
      };
      data.subscriber = pipeline.openSubscriber(socket);
      if (data.subscriber === null) {
        if (pipeline.stopping) ws.end(1001, 'server shutting down');
        else ws.end(1013, `subscriber limit reached (max ${config.maxSubscribers})`);
      }
    },
    message: (ws: WebSocket<Connection>, message: ArrayBuffer) => {
      const subscriber = ws.getUserData().subscriber;
      if (subscriber === null) return;
      if (message.byteLength > config.maxWsMessageBytes) subscriber.sendControl(tooLarge(message, config));
      else pipeline.onSubscriberMessage(subscriber, decoder.decode(message));
    },
    drain: (ws: WebSocket<Connection>) => ws.getUserData().subscriber?.onDrain(),
    close: (ws: WebSocket<Connection>) => {
      closed(ws);
      const subscriber = ws.getUserData().subscriber;
      if (subscriber !== null) pipeline.subscriberGone(subscriber);
    },
  };

  for (const prefix of ['', '/api/v1']) {
    app.ws<Connection>(`${prefix}/ws/publish`, publishBehavior);
    app.ws<Connection>(`${prefix}/ws/subscribe`, subscribeBehavior);
  }
}

/** Send every reply that is ready, in message order, stopping at the first still waiting for its commit. */
function flushReplies(ws: WebSocket<Connection>, data: Connection): void {
  let sent = 0;
  while (sent < data.replies.length && data.replies[sent] !== null) sent++;
  if (sent === 0) return;
  const ready = data.replies.splice(0, sent) as string[];
  data.repliesSent += sent;
  if (data.closed) return;
  ws.cork(() => {
    for (const text of ready) ws.send(text, false, false);
  });
}

/** Parse one /ws/publish message: an event, an array of events, or `{ref, events:[…]}`; `ref` is echoed. */
function handlePublish(text: string, config: Config, pipeline: Pipeline, reply: (body: object) => void): void {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch (error) {
    reply({ status: 'error', message: `message is not valid JSON: ${(error as Error).message}` });
    return;
  }
  let ref: unknown;
  let items: unknown[];
  let isBatch: boolean;
  if (Array.isArray(message)) {
    items = message;
    isBatch = true;
  } else if (typeof message === 'object' && message !== null && Array.isArray((message as { events?: unknown }).events)) {
    ref = (message as { ref?: unknown }).ref;
    items = (message as { events: unknown[] }).events;
    isBatch = true;
  } else {
    ref = typeof message === 'object' && message !== null ? (message as { ref?: unknown }).ref : undefined;
    items = [message];
    isBatch = false;
  }
  const withRef = (body: Record<string, unknown>) => (ref === undefined ? body : { ...body, ref });
  if (items.length === 0) {
    reply(withRef({ status: 'error', message: 'events: must contain at least one event' }));
    return;
  }
  const inputs: EventInput[] = [];
  const issues: Issue[] = [];
  for (let i = 0; i < items.length; i++) {
    const result = parseEventInput(items[i], config);
    if (result.ok) inputs.push(result.value);
    else issues.push(...(isBatch ? prefixIssues(`[${i}]`, result.issues) : result.issues));
  }
  if (issues.length > 0) {
    reply(withRef({ status: 'error', message: formatIssues(issues) }));
    return;
  }
  const accepted = pipeline.submit(inputs, (outcome: SubmitOutcome) => {
    if (!outcome.ok) {
      if ('conflict' in outcome) {
        reply(withRef({ status: 'error', message: `id: event id ${JSON.stringify(outcome.conflict.id)} already exists with different content`, code: 409 }));
      } else reply(withRef({ status: 'error', message: outcome.message, retryable: true }));
      return;
    }
    const records = outcome.records;
    if (!isBatch) {
      reply(withRef({ status: 'ok', event_id: records[0]!.id, offset: records[0]!.offset, duplicate: outcome.appended.length === 0 }));
      return;
    }
    reply(
      withRef({
        status: 'ok',
        count: records.length,
        event_ids: records.map((r) => r.id),
        first_offset: records[0]!.offset,
        last_offset: records[records.length - 1]!.offset,
        duplicates: records.length - outcome.appended.length,
      }),
    );
  });
  if (!accepted) {
    const message = pipeline.stopping ? 'server shutting down; retry against the next instance' : 'pipeline is over its pending bound; retry shortly';
    reply(withRef({ status: 'error', message, retryable: true }));
  }
}
