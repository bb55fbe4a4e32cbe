import { type JsonSchema, toJsonSchemaDefs } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { EventInputSchema } from './eventInput.js';
import type { SchemaName } from './openApiRoutes.js';
import * as s from './openApiSchemas.js';
import { EventInputBatchSchema } from './publishMessage.js';

/** Every schema a document names, by name: the server's own request schemas and the reply schemas. */
export const OPENAPI_SCHEMAS = {
  EventInput: EventInputSchema,
  PublishBody: v.union([EventInputSchema, EventInputBatchSchema]),
  EventRecord: s.EventRecordSchema,
  Published: v.union([s.EventRecordSchema, v.array(s.EventRecordSchema)]),
  EventRecords: v.array(s.EventRecordSchema),
  RouterStats: s.RouterStatsSchema,
  Stats: s.StatsSchema,
  Health: s.HealthSchema,
  Readiness: s.ReadinessSchema,
  SessionView: s.SessionViewSchema,
  SessionViews: v.array(s.SessionViewSchema),
  EventTypes: s.EventTypesSchema,
  Deleted: s.DeletedSchema,
  SubscriberListing: s.SubscriberListingSchema,
  Error: s.ErrorSchema,
  ValidationError: s.ValidationErrorSchema,
} satisfies Record<SchemaName | 'EventInput' | 'RouterStats' | 'Error' | 'ValidationError', v.GenericSchema>;

/** Names usable in a document. */
export type ComponentName = keyof typeof OPENAPI_SCHEMAS;

/**
 * JSON Schema (2020-12 for OpenAPI 3.1, draft-07 for AsyncAPI) for a set of valibot schemas, shared ones as `$ref`s under `refBase`. Checks valibot cannot
 * express (custom, transform) fall back to their JSON type: a `payload` is any JSON object.
 */
export function jsonSchemas<K extends string>(
  schemas: Readonly<Record<K, v.GenericSchema>>,
  refBase: string,
  target: 'draft-2020-12' | 'draft-07' = 'draft-2020-12',
): Record<K, JsonSchema> {
  const converted = toJsonSchemaDefs(schemas, {
    target,
    typeMode: 'input',
    errorMode: 'ignore',
    overrideSchema: ({ valibotSchema }) => (valibotSchema.type === 'custom' ? { type: 'object' } : undefined),
    overrideRef: ({ referenceId }) => `${refBase}${referenceId}`,
  });
  const out = {} as Record<K, JsonSchema>;
  for (const name of Object.keys(converted) as K[]) {
    const { $schema: _dialect, ...schema } = converted[name];
    out[name] = schema;
  }
  return out;
}

/** The OpenAPI `components.schemas` section. */
export function openApiSchemaComponents(): Record<ComponentName, JsonSchema> {
  return jsonSchemas(OPENAPI_SCHEMAS, '#/components/schemas/');
}
