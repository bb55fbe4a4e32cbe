import * as v from 'valibot';
import { type EventFilter, FILTER_KEYS } from './eventFilter.js';
import { SOURCE_FILTER_BOUNDS, sourceFilterProblem } from './eventSource.js';
import { EVENT_TYPES, type EventType, unknownEventType } from './eventTypes.js';
import { type ParseResult, prefixIssues } from './issue.js';
import { issuesFromValibot } from './issuesFromValibot.js';
import { KEY_MAX_CHARS, optionalKey } from './optionalKey.js';

const FilterEntries = {
  // Hint: the first unknown name ends the check, so a hostile megabyte of them costs one issue, not one per entry
  // (100,000 unknown names took 0.4 s of the I/O thread and got a 30 MB error reply).
  event_types: v.optional(
    v.nullable(
      v.config(
        v.array(
          v.picklist(EVENT_TYPES, (issue) => unknownEventType(issue.input)),
          'must be an array of event type names',
        ),
        { abortEarly: true },
      ),
    ),
  ),
  session_id: optionalKey(KEY_MAX_CHARS, 'filter'),
  user_id: optionalKey(KEY_MAX_CHARS, 'filter'),
  source: v.optional(
    v.nullable(
      v.pipe(
        v.string('must be a string'),
        v.check<string, (issue: v.CheckIssue<string>) => string>(
          (text) => sourceFilterProblem(text) === null,
          (issue) => sourceFilterProblem(issue.input) ?? '',
        ),
        // Hint: the check's rule as the AsyncAPI document states it (a check has no JSON Schema of its own).
        v.metadata(SOURCE_FILTER_BOUNDS),
      ),
    ),
  ),
} satisfies Record<(typeof FILTER_KEYS)[number], v.GenericSchema>; // one entry per filter key, no other

/** The subscription's own keys (besides the filter). */
export const SubscribeEntries = {
  ...FilterEntries,
  from_offset: v.optional(
    v.nullable(v.pipe(v.number('must be an integer'), v.integer('must be an integer'), v.minValue(0, 'must be ≥ 0'))),
  ),
  batch: v.optional(v.boolean('must be true or false'), false),
  checkpoints: v.optional(v.boolean('must be true or false'), false),
};

/** Why a subscribe message that is not an object is refused. */
export const SUBSCRIBE_NOT_OBJECT = 'subscribe message must be a JSON object';

/** The first message on /ws/subscribe. */
export const SubscribeSchema = v.object(SubscribeEntries, SUBSCRIBE_NOT_OBJECT);

/** Keys the subscribe message understands; others are accepted and listed as `ignored` in the ack. */
const SUBSCRIBE_KEYS = new Set([...Object.keys(FilterEntries), 'from_offset', 'batch', 'checkpoints', 'type']);
const FILTER_KEY_SET: ReadonlySet<string> = new Set(FILTER_KEYS);
const UPDATE_KEYS = new Set(['type', 'filters']);

/** The filters of an update_filters message. */
export const FilterSchema = v.object(FilterEntries, 'filters must be a JSON object');

/** A validated subscription request. */
export interface SubscribeRequest {
  readonly filter: EventFilter;
  readonly from_offset: number | null;
  readonly batch: boolean;
  readonly checkpoints: boolean;
}

// Hint: v.object accepts arrays (typeof [] is 'object'), which would subscribe `[]` to everything.
const notAnObject = (field: string, message: string): ParseResult<never> => ({
  ok: false,
  issues: [{ field, message }],
});

/**
 * The parsed filter fields as an EventFilter: null and empty fields are absent, event types deduplicated. Hint: no
 * stored event has an empty session, user or source, so `""` could only ever match nothing; it means no filter, as
 * `GET /events?session_id=` does and as the old service read it.
 */
export function toFilter(raw: v.InferOutput<typeof FilterSchema>): EventFilter {
  const filter: { -readonly [K in keyof EventFilter]: EventFilter[K] } = {};
  if (raw.event_types !== undefined && raw.event_types !== null && raw.event_types.length > 0) {
    filter.event_types = [...new Set(raw.event_types)] as EventType[];
  }
  if (raw.session_id) filter.session_id = raw.session_id;
  if (raw.user_id) filter.user_id = raw.user_id;
  if (raw.source) filter.source = raw.source;
  return filter;
}

/** Validate the first /ws/subscribe message. */
export function parseSubscribe(raw: unknown): ParseResult<SubscribeRequest> {
  if (Array.isArray(raw)) return notAnObject('message', SUBSCRIBE_NOT_OBJECT);
  const result = v.safeParse(SubscribeSchema, raw);
  if (!result.success) return { ok: false, issues: issuesFromValibot(result.issues, 'message') };
  return { ok: true, value: toSubscribeRequest(result.output) };
}

/** The parsed subscribe message as a request. */
export function toSubscribeRequest(raw: v.InferOutput<typeof SubscribeSchema>): SubscribeRequest {
  return {
    filter: toFilter(raw),
    from_offset: raw.from_offset ?? null,
    batch: raw.batch,
    checkpoints: raw.checkpoints,
  };
}

/** Validate the `filters` of an update_filters message. */
export function parseFilters(raw: unknown): ParseResult<EventFilter> {
  if (Array.isArray(raw)) return notAnObject('filters', 'filters must be a JSON object');
  const result = v.safeParse(FilterSchema, raw);
  if (!result.success) return { ok: false, issues: prefixIssues('filters', issuesFromValibot(result.issues, '')) };
  return { ok: true, value: toFilter(result.output) };
}

export { describeFilter } from './serverMessages.js';

function unknownKeys(raw: unknown, known: ReadonlySet<string>): string[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [];
  return Object.keys(raw).filter((key) => !known.has(key));
}

/**
 * Keys of a subscribe message that are not part of the protocol (old clients send extras; a typo shows up here),
 * and `type` when it is not "subscribe": the message was read as the subscription whatever `type` said.
 */
export function ignoredSubscribeKeys(raw: unknown): string[] {
  const ignored = unknownKeys(raw, SUBSCRIBE_KEYS);
  const type = typeof raw === 'object' && raw !== null && 'type' in raw ? raw.type : 'subscribe';
  return type === 'subscribe' ? ignored : ['type', ...ignored];
}

/** Keys of an update_filters message, top level and inside `filters`, that are not part of the protocol. */
export function ignoredFilterKeys(raw: unknown): string[] {
  const filters = typeof raw === 'object' && raw !== null ? (raw as { filters?: unknown }).filters : undefined;
  return [...unknownKeys(raw, UPDATE_KEYS), ...unknownKeys(filters, FILTER_KEY_SET)];
}

/**
 * Filter keys an update_filters message has at its top level, where the subscribe message has them, instead of in
 * `filters`. Hint: ignored, they would leave `filters` absent, which means "every event": a subscriber that meant to
 * narrow its filter would silently get the firehose.
 */
export function misplacedFilterKeys(raw: unknown): string[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [];
  return Object.keys(raw).filter((key) => FILTER_KEY_SET.has(key));
}
