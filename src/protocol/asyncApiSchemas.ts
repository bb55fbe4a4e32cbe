import * as v from 'valibot';
import { EventInputSchema } from './eventInput.js';
import type { Assert, Exactly } from './openApiSchemas.js';
import { EventRecordSchema } from './openApiSchemas.js';
import { EventInputBatchSchema } from './publishMessage.js';
import type * as m from './serverMessages.js';
import { FilterSchema, SubscribeSchema } from './subscribeMessage.js';
import { LivePhaseSchema } from './subscriberMessage.js';

// Hint: client messages reuse the server's parsing schemas; server messages are TypeScript interfaces, so their
// schemas are here, each held equal to its interface at compile time (as in openApiSchemas.ts).

const offset = v.pipe(v.number(), v.integer(), v.minValue(0));
const ref = v.exactOptional(v.unknown());

/** A /ws/publish message: one event, an array, or an envelope with a `ref` to echo (a batch holds one event or more). */
export const PublishMessageDocSchema = v.union([
  EventInputSchema,
  EventInputBatchSchema,
  v.object({ ref: v.optional(v.unknown()), events: EventInputBatchSchema }),
]);

/** `{"type":"ping"}`: the schema the subscriber parser uses. */
export const PingSchema = LivePhaseSchema.options[0];

/** `{"type":"update_filters","filters":{…}}` with the parser's filter schema; `filters` is required (null: none). */
export const UpdateFiltersSchema = v.object({
  type: v.literal('update_filters'),
  filters: v.nullable(FilterSchema),
});

export { SubscribeSchema };

const FilterDescriptionSchema = v.object({
  event_types: v.nullable(v.array(v.string())),
  session_id: v.nullable(v.string()),
  user_id: v.nullable(v.string()),
  source: v.nullable(v.string()),
});

export const PublishAckSchema = v.object({
  status: v.literal('ok'),
  event_id: v.string(),
  offset,
  duplicate: v.boolean(),
  ignored: v.exactOptional(v.array(v.string())),
  ref,
});
export type PublishAckMatches = Assert<Exactly<v.InferOutput<typeof PublishAckSchema>, m.PublishAck>>;

export const BatchPublishAckSchema = v.object({
  status: v.literal('ok'),
  count: offset,
  event_ids: v.array(v.string()),
  first_offset: offset,
  last_offset: offset,
  duplicates: offset,
  offsets: v.exactOptional(v.array(offset)),
  ignored: v.exactOptional(v.array(v.string())),
  ref,
});
export type BatchAckMatches = Assert<Exactly<v.InferOutput<typeof BatchPublishAckSchema>, m.BatchPublishAck>>;

export const ErrorMessageSchema = v.object({
  status: v.literal('error'),
  message: v.string(),
  retryable: v.exactOptional(v.literal(true)),
  code: v.exactOptional(v.picklist([409, 429] as const)),
  ref,
});
export type ErrorMatches = Assert<Exactly<v.InferOutput<typeof ErrorMessageSchema>, m.ErrorMessage>>;

export const SubscribedSchema = v.object({
  status: v.literal('subscribed'),
  subscriber_id: v.string(),
  filters: FilterDescriptionSchema,
  head_offset: offset,
  epoch: v.string(),
  from_offset: v.exactOptional(offset),
  retention: v.exactOptional(
    v.object({ truncated: v.literal(true), first_available_offset: offset, message: v.string() }),
  ),
  beyond_head: v.exactOptional(v.object({ requested_from_offset: offset, message: v.string() })),
  ignored: v.exactOptional(v.array(v.string())),
});
export type SubscribedMatches = Assert<Exactly<v.InferOutput<typeof SubscribedSchema>, m.SubscribedMessage>>;

export const FiltersUpdatedSchema = v.object({
  status: v.literal('filters_updated'),
  filters: FilterDescriptionSchema,
  ignored: v.exactOptional(v.array(v.string())),
});
export type FiltersUpdatedMatches = Assert<
  Exactly<v.InferOutput<typeof FiltersUpdatedSchema>, m.FiltersUpdatedMessage>
>;

export const CheckpointSchema = v.object({ type: v.literal('checkpoint'), offset });
export type CheckpointMatches = Assert<Exactly<v.InferOutput<typeof CheckpointSchema>, m.CheckpointMessage>>;

export const RetentionSchema = v.object({
  type: v.literal('retention'),
  truncated: v.literal(true),
  first_available_offset: offset,
  message: v.string(),
});
export type RetentionMatches = Assert<Exactly<v.InferOutput<typeof RetentionSchema>, m.RetentionMessage>>;

export const KeepaliveSchema = v.object({ type: v.literal('keepalive') });
export type KeepaliveMatches = Assert<Exactly<v.InferOutput<typeof KeepaliveSchema>, m.KeepaliveMessage>>;

export const PongSchema = v.object({ type: v.literal('pong') });
export type PongMatches = Assert<Exactly<v.InferOutput<typeof PongSchema>, m.PongMessage>>;

/** A batch:true delivery: the records of one commit or replay page. */
export const EventBatchSchema = v.array(EventRecordSchema);

export { EventRecordSchema };
