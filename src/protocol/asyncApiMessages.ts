import type * as v from 'valibot';
import * as s from './asyncApiSchemas.js';
import { EVENT_INPUT_EXAMPLE, EVENT_RECORD_EXAMPLE } from './openApiExamples.js';
import { retentionGap } from './serverMessages.js';

/** One message of the WebSocket protocol: the schema the server parses it with (or sends it by), and examples. */
export interface MessageDoc {
  readonly title: string;
  readonly summary: string;
  readonly schema: v.GenericSchema;
  readonly examples: readonly unknown[];
}

const FILTERS = { event_types: ['quiz_started'], session_id: null, user_id: null, source: null };
const EPOCH = 'k3v9x0c2m7q1w8zt';

/** Every message, by the name the document gives it. */
export const ASYNCAPI_MESSAGES = {
  publish: {
    title: 'Publish',
    summary: 'One event, an all-or-nothing array, or `{ref, events}`; a `ref` is echoed in the ack',
    schema: s.PublishMessageDocSchema,
    examples: [EVENT_INPUT_EXAMPLE, [EVENT_INPUT_EXAMPLE], { ref: 'batch-1', events: [EVENT_INPUT_EXAMPLE] }],
  },
  publishAck: {
    title: 'Publish ack',
    summary: 'One event committed (`duplicate` when its producer id was already stored with the same content)',
    schema: s.PublishAckSchema,
    examples: [{ status: 'ok', event_id: 'quiz-42-start', offset: 1, duplicate: false }],
  },
  batchPublishAck: {
    title: 'Batch publish ack',
    summary:
      "An array or envelope committed, all or nothing. Event i is at `offsets[i]` when present (some event was a duplicate, at its original offset, or other producers' events landed between them in cluster mode), else at `first_offset + i`",
    schema: s.BatchPublishAckSchema,
    examples: [
      {
        status: 'ok',
        count: 1,
        event_ids: ['quiz-42-start'],
        first_offset: 1,
        last_offset: 1,
        duplicates: 0,
        ref: 'batch-1',
      },
      {
        status: 'ok',
        count: 3,
        event_ids: ['quiz-42-answer-3', 'quiz-42-start', 'quiz-42-answer-4'],
        first_offset: 7,
        last_offset: 8,
        duplicates: 1,
        offsets: [7, 1, 8],
      },
    ],
  },
  error: {
    title: 'Error',
    summary:
      'A refused message; the connection stays open, except a refused subscription (closed next: 1008, or 1013 when `retryable`). `retryable`: resend later; `code`: 409 or 429',
    schema: s.ErrorMessageSchema,
    examples: [
      { status: 'error', message: 'source: field required' },
      {
        status: 'error',
        message: 'rate limit exceeded (RATE_LIMIT_PUBLISH: 100 per second per client); retry in 1 s',
        retryable: true,
        code: 429,
        ref: 'batch-1',
      },
      {
        status: 'error',
        message:
          'cannot confirm from_offset 5012 with the stream (the NATS cluster is unreachable); this node knows offsets up to 4800, and starting there could send records twice: nothing was subscribed, retry (here or on another node)',
        retryable: true,
      },
    ],
  },
  subscribe: {
    title: 'Subscribe',
    summary:
      'The first message, within 10 s: filters, an optional `from_offset` to replay from, `batch`, `checkpoints`',
    schema: s.SubscribeSchema,
    examples: [{ event_types: ['quiz_started'], from_offset: 1, checkpoints: true }],
  },
  ping: { title: 'Ping', summary: 'Answered with a pong', schema: s.PingSchema, examples: [{ type: 'ping' }] },
  updateFilters: {
    title: 'Update filters',
    summary: 'Replaces the whole filter set; `event_types: []` or null means every type',
    schema: s.UpdateFiltersSchema,
    examples: [{ type: 'update_filters', filters: { session_id: 'sess_42' } }],
  },
  subscribed: {
    title: 'Subscribed',
    summary: 'The subscription ack: the filter as understood, the head offset and the log epoch',
    schema: s.SubscribedSchema,
    examples: [
      { status: 'subscribed', subscriber_id: 'sub_x1y2z3a4b5c6', filters: FILTERS, head_offset: 1, epoch: EPOCH },
      {
        status: 'subscribed',
        subscriber_id: 'sub_x1y2z3a4b5c6',
        filters: FILTERS,
        head_offset: 900,
        epoch: EPOCH,
        from_offset: 1,
        retention: { truncated: true, first_available_offset: 500, message: 'offsets 1–499 were deleted' },
        ignored: ['sessionId'],
      },
    ],
  },
  filtersUpdated: {
    title: 'Filters updated',
    summary: 'The update_filters ack',
    schema: s.FiltersUpdatedSchema,
    examples: [{ status: 'filters_updated', filters: { ...FILTERS, event_types: null, session_id: 'sess_42' } }],
  },
  record: {
    title: 'Event record',
    summary: 'One matching record (batch:false), in offset order',
    schema: s.EventRecordSchema,
    examples: [EVENT_RECORD_EXAMPLE],
  },
  recordBatch: {
    title: 'Event records',
    summary: 'The matching records of one commit or replay page (batch:true)',
    schema: s.EventBatchSchema,
    examples: [[EVENT_RECORD_EXAMPLE]],
  },
  checkpoint: {
    title: 'Checkpoint',
    summary: 'Everything up to `offset` was considered (checkpoints:true); never goes backwards',
    schema: s.CheckpointSchema,
    examples: [{ type: 'checkpoint', offset: 1 }],
  },
  retention: {
    title: 'Retention gap',
    summary:
      'Retention deleted offsets this subscriber had not been sent yet (it was replaying or lagging); delivery goes on at `first_available_offset`',
    schema: s.RetentionSchema,
    examples: [retentionGap(5012, 10_000)],
  },
  keepalive: {
    title: 'Keepalive',
    summary: 'Sent after KEEPALIVE_MS without traffic',
    schema: s.KeepaliveSchema,
    examples: [{ type: 'keepalive' }],
  },
  pong: { title: 'Pong', summary: 'The answer to a ping', schema: s.PongSchema, examples: [{ type: 'pong' }] },
} satisfies Record<string, MessageDoc>;

/** A message name. */
export type MessageName = keyof typeof ASYNCAPI_MESSAGES;

/** How a connection can be closed: code, endpoint and meaning (the close frame's reason says more). */
export const CLOSE_CODES: readonly { code: number; endpoint: 'both' | 'publish' | 'subscribe'; meaning: string }[] = [
  { code: 1001, endpoint: 'both', meaning: 'server shutting down (publishers: resend un-acked messages with an `id`)' },
  {
    code: 1006,
    endpoint: 'both',
    meaning:
      "no close frame (seen by the client): a message past uWS's per-message cap, a text frame that is not UTF-8, or the network",
  },
  {
    code: 1011,
    endpoint: 'both',
    meaning:
      'internal error (reason `ack dropped; acked through offset A` on publish; `log corrupt: reading from offset N failed; restore a backup` on subscribe (a cluster replica: `delete the replica (and its -wal, -shm) to rebuild it`): a replay met a damaged page of the log, everything before N was sent)',
  },
  {
    code: 1008,
    endpoint: 'both',
    meaning:
      'subscribe: its subscribe message refused, after the error saying why, reason `subscribe message refused; nothing was subscribed` (as the old service ended it); more than 1,000 messages within 10 s; publish: more than 1,000 invalid messages within 10 s, reason `too many invalid messages: at most 1000 per 10 s; acked through offset A; committed through C`; both: WebSocket pings from a peer that does not read, past what the endpoint queues for a reader and 256 KiB, reason `pings but does not read: N bytes unread` (subscribe: messages too, reason `sends messages but does not read: N bytes unread`)',
  },
  {
    code: 1013,
    endpoint: 'subscribe',
    meaning:
      'at MAX_SUBSCRIBERS, after answering the subscribe message; or (cluster mode) a from_offset the stream could not confirm, after a `retryable` error: retry',
  },
  { code: 4000, endpoint: 'subscribe', meaning: 'no subscribe message within 10 s' },
  { code: 4008, endpoint: 'subscribe', meaning: 'slow consumer; reason `slow consumer; resume with from_offset=N`' },
  {
    code: 4009,
    endpoint: 'publish',
    meaning:
      'ack backlog over MAX_ACK_BACKLOG_BYTES; reason `ack backlog full; acked through offset A; committed through C`' +
      ' (`ack backlog full (server total); …` for the producer holding the most once all producers pass ' +
      'MAX_ACK_BACKLOG_TOTAL_BYTES)',
  },
];
