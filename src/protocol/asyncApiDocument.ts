import { ASYNCAPI_MESSAGES, CLOSE_CODES, type MessageName } from './asyncApiMessages.js';
import { jsonSchemas } from './openApiComponents.js';

const PUBLISH_TEXT = `High-frequency publishing. Every message gets exactly one reply, in message order; an ack means the events are
committed to the log. Errors leave the connection open. Acks wait in a per-connection queue while the socket is backed
up; past MAX_ACK_BACKLOG_BYTES of unread acks (or, for the producer holding the most, past MAX_ACK_BACKLOG_TOTAL_BYTES
for all producers together) the server closes with 4009. A message whose ack never came may or may not
be committed: resend it with a producer \`id\` on every event and a committed one answers \`duplicate: true\`.`;

const SUBSCRIBE_TEXT = `Filtered live events, optionally replayed from an offset first.

**Replay.** With \`from_offset\`, every matching record with offset ≥ from_offset is sent from the log, then live, in
offset order with no gap and no duplicate across the handoff. Deleted offsets are reported in the ack's \`retention\`;
a from_offset beyond the head starts at head + 1 (\`beyond_head\`), except on a cluster node still applying the stream,
where one up to the stream's last sequence + 1 starts where asked. A cluster node asks the stream about a from_offset
beyond what it has seen before it answers; when the stream cannot answer, it sends an error with \`retryable: true\`
and closes with 1013 (nothing subscribed: retry with the same from_offset). The ack's \`epoch\` names the log: a
different epoch means the log was replaced and stored offsets no longer apply.

**Checkpoints.** With \`checkpoints: true\`, a periodic \`{"type":"checkpoint","offset":N}\` says every record up to N was
considered, so a sparse filter can save progress and resume with from_offset = N + 1. Checkpoints never go backwards.

**Slow consumers.** Past SUBSCRIBER_BUFFER_BYTES buffered, live pushes stop and the subscriber catches up from the log
when it drains; stuck past SLOW_CONSUMER_TIMEOUT_MS it is closed with 4008 and the offset to resume from.`;

function closeCodeTable(endpoint: 'publish' | 'subscribe'): string {
  const rows = CLOSE_CODES.filter((c) => c.endpoint === 'both' || c.endpoint === endpoint);
  return ['| Close code | Meaning |', '|---|---|', ...rows.map((c) => `| ${c.code} | ${c.meaning} |`)].join('\n');
}

function channel(
  address: string,
  title: string,
  text: string,
  endpoint: 'publish' | 'subscribe',
  names: MessageName[],
) {
  const messages: Record<string, unknown> = {};
  for (const name of names) messages[name] = { $ref: `#/components/messages/${name}` };
  return {
    address,
    title,
    description: `${text}\n\nAlso served under \`/api/v1${address}\`. With REQUIRE_AUTH=true the upgrade needs \`X-API-Key\`, \`?api_key=\`, or the protocols \`pipeline\` and \`pipeline.api-key.<base64url of the key>\` in \`Sec-WebSocket-Protocol\` (answered \`pipeline\`; else HTTP 401). A plain GET of the address (no upgrade) answers the refusal its upgrade would get (401, 403, 429, 503), else 426: a browser WebSocket cannot read a refused upgrade's status.\n\n${closeCodeTable(endpoint)}`,
    messages,
    'x-close-codes': CLOSE_CODES.filter((c) => c.endpoint === 'both' || c.endpoint === endpoint),
    bindings: {
      ws: {
        bindingVersion: '0.1.0',
        query: { type: 'object', properties: { api_key: { type: 'string', description: 'The API key' } } },
        headers: {
          type: 'object',
          properties: {
            'X-API-Key': { type: 'string', description: 'The API key' },
            'Sec-WebSocket-Protocol': {
              type: 'string',
              description:
                'pipeline, pipeline.api-key.<base64url of the key> (for browsers: keeps the key out of URLs)',
            },
          },
        },
      },
    },
  };
}

const ref = (channelName: string, message: MessageName) => ({ $ref: `#/channels/${channelName}/messages/${message}` });

function operation(action: 'send' | 'receive', channelName: string, summary: string, messages: MessageName[]) {
  return {
    action,
    channel: { $ref: `#/channels/${channelName}` },
    summary,
    messages: messages.map((name) => ref(channelName, name)),
  };
}

/** The payload schemas, shared parts as `$ref`s between them. */
export function asyncApiSchemaComponents(): Record<string, unknown> {
  const schemas: Record<string, (typeof ASYNCAPI_MESSAGES)[MessageName]['schema']> = {};
  for (const [name, doc] of Object.entries(ASYNCAPI_MESSAGES)) schemas[name] = doc.schema;
  return jsonSchemas(schemas, '#/components/schemas/', 'draft-07');
}

/** One message component as the document states it. */
export interface AsyncApiMessage {
  readonly name: string;
  readonly title: string;
  readonly summary: string;
  readonly contentType: 'application/json';
  readonly payload: { readonly $ref: string };
  readonly examples: readonly { readonly name: string; readonly payload: unknown }[];
}

function messageComponents(): Record<string, AsyncApiMessage> {
  const out: Record<string, AsyncApiMessage> = {};
  for (const [name, doc] of Object.entries(ASYNCAPI_MESSAGES)) {
    out[name] = {
      name,
      title: doc.title,
      summary: doc.summary,
      contentType: 'application/json',
      payload: { $ref: `#/components/schemas/${name}` },
      examples: doc.examples.map((payload, i) => ({ name: `${name}${i + 1}`, payload })),
    };
  }
  return out;
}

const PUBLISH_IN: MessageName[] = ['publish'];
const PUBLISH_OUT: MessageName[] = ['publishAck', 'batchPublishAck', 'error'];
const SUBSCRIBE_IN: MessageName[] = ['subscribe', 'ping', 'updateFilters'];
const SUBSCRIBE_OUT: MessageName[] = [
  'subscribed',
  'filtersUpdated',
  'record',
  'recordBatch',
  'checkpoint',
  'retention',
  'keepalive',
  'pong',
  'error',
];

/** The server's host in the document as built; the served copy names the Host it was asked on instead. */
export const ASYNCAPI_DEFAULT_HOST = 'localhost:8001';

/** A Host header fit to stand in a document: a name or address, with an optional port, nothing else. */
const SERVED_HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/;

/**
 * `text` (the serialized document) with its server named as the client reached it: `host` (the request's Host) and
 * `wss` when the client came over https. A Host that is not a plain host[:port] leaves the default.
 */
export function servedAsyncApiText(text: string, host: string, https: boolean): string {
  const named = SERVED_HOST.test(host) ? text.replace(`"${ASYNCAPI_DEFAULT_HOST}"`, JSON.stringify(host)) : text;
  return https ? named.replace('"protocol":"ws"', '"protocol":"wss"') : named;
}

/** The AsyncAPI 3 document of the WebSocket endpoints, as seen from the server (it receives and sends). */
export function asyncApiDocument(version: string) {
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Realtime event pipeline: WebSocket protocol',
      version,
      description:
        'Messages are JSON text (binary frames are accepted when they hold UTF-8). Bad JSON, invalid events and oversize messages (MAX_WS_MESSAGE_BYTES) get an error reply and the connection stays open, except a refused subscribe message: its error is followed by close 1008, as the old service ended such a connection.',
    },
    servers: {
      // Hint: the served copy names the host it was asked on (servedAsyncApiText); this is npm start's address.
      local: { host: ASYNCAPI_DEFAULT_HOST, protocol: 'ws', description: 'This server' },
    },
    defaultContentType: 'application/json',
    channels: {
      publish: channel('/ws/publish', 'Publish', PUBLISH_TEXT, 'publish', [...PUBLISH_IN, ...PUBLISH_OUT]),
      subscribe: channel('/ws/subscribe', 'Subscribe', SUBSCRIBE_TEXT, 'subscribe', [
        ...SUBSCRIBE_IN,
        ...SUBSCRIBE_OUT,
      ]),
    },
    operations: {
      receivePublish: operation('receive', 'publish', 'Producers publish events', PUBLISH_IN),
      sendPublishReply: operation('send', 'publish', 'One ack or error per message, in message order', PUBLISH_OUT),
      receiveSubscriberMessage: operation(
        'receive',
        'subscribe',
        'Subscription, pings and filter updates',
        SUBSCRIBE_IN,
      ),
      sendToSubscriber: operation(
        'send',
        'subscribe',
        'Acks, records, checkpoints, retention gaps and keepalives',
        SUBSCRIBE_OUT,
      ),
    },
    components: { schemas: asyncApiSchemaComponents(), messages: messageComponents() },
  };
}
