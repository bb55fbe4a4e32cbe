import { SOURCE_FILTER_BOUNDS } from './eventSource.js';
import { EVENT_TYPES } from './eventTypes.js';

/** One query or path parameter. Query parameters are parsed by hand (eventQuery.ts); the docs test feeds each example to that parser. */
export interface ParameterDoc {
  readonly name: string;
  readonly in: 'query' | 'path';
  readonly description: string;
  readonly schema: Readonly<Record<string, unknown>>;
  readonly example: string | number;
}

const text = (maxLength: number) => ({ type: 'string', maxLength });
const filterParameters: ParameterDoc[] = [
  {
    name: 'event_type',
    in: 'query',
    description: `Comma-separated event types (${EVENT_TYPES.length} known; see /event-types)`,
    schema: { type: 'string' },
    example: 'quiz_started,quiz_completed',
  },
  { name: 'session_id', in: 'query', description: 'Only this session', schema: text(200), example: 'sess_42' },
  { name: 'user_id', in: 'query', description: 'Only this user', schema: text(200), example: 'user_7' },
  {
    name: 'source',
    in: 'query',
    description: 'Only this producer (a source no event can have is refused: 1-100 of [A-Za-z0-9_.-])',
    schema: { type: 'string', ...SOURCE_FILTER_BOUNDS },
    example: 'quiz-service',
  },
];
/** A timestamp query parameter. */
export const isoParameter = (name: string, description: string): ParameterDoc => ({
  name,
  in: 'query',
  description: `${description} (ISO 8601; a bad timestamp is a 400)`,
  schema: { type: 'string', format: 'date-time' },
  example: '2026-01-31T12:00:00Z',
});
const offsetParameter = (name: string, description: string): ParameterDoc => ({
  name,
  in: 'query',
  description,
  schema: { type: 'integer', minimum: 0 },
  example: 0,
});

/** GET /events's parameters: exactly the ones its parser reads (EVENT_QUERY_PARAMS). */
export const QUERY_PARAMETERS: ParameterDoc[] = [
  ...filterParameters,
  isoParameter(
    'since',
    'Only events after this time (exclusive, as in the old service; to read on without gaps or repeats, use after_offset)',
  ),
  isoParameter('until', 'Only events at or before this time'),
  { name: 'limit', in: 'query', description: 'At most this many', schema: limitSchema(1000, 100), example: 100 },
  {
    name: 'order',
    in: 'query',
    description: 'By offset, newest first by default',
    schema: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
    example: 'asc',
  },
  offsetParameter('after_offset', 'Only offsets greater than this (page forward with order=asc)'),
  offsetParameter('before_offset', 'Only offsets less than this (page backward)'),
];

/** A `limit` from 1 to `maximum`, `fallback` when absent. */
export function limitSchema(maximum: number, fallback: number) {
  return { type: 'integer', minimum: 1, maximum, default: fallback };
}

/** A path parameter. */
export const pathId = (name: string, description: string, example: string): ParameterDoc => ({
  name,
  in: 'path',
  description,
  schema: { type: 'string' },
  example,
});
