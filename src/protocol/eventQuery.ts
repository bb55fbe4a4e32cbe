import type { EventFilter } from './eventFilter.js';
import { sourceFilterProblem } from './eventSource.js';
import { type EventType, isEventType, unknownEventType } from './eventTypes.js';
import { type Issue, preview } from './issue.js';
import { KEY_MAX_CHARS, tooManyChars } from './optionalKey.js';
import { parseLimit } from './queryParams.js';
import { invalidTimestamp, parseIsoTimestamp } from './timestamp.js';

/** A validated GET /events query. */
export interface EventQuery {
  readonly filter: EventFilter;
  /** Inclusive lower time bound, epoch ms: one past the `since` parameter's millisecond, which is exclusive. */
  readonly since?: number;
  /** Inclusive upper time bound, epoch ms. */
  readonly until?: number;
  readonly limit: number;
  readonly order: 'asc' | 'desc';
  /** Only offsets strictly greater than this. */
  readonly after_offset?: number;
  /** Only offsets strictly less than this. */
  readonly before_offset?: number;
}

/** Query parsing fails with the HTTP status the contract gives: 400 for timestamps, 422 otherwise. */
export type QueryParseResult =
  | { readonly ok: true; readonly value: EventQuery }
  | { readonly ok: false; readonly status: 400 | 422; readonly issues: readonly Issue[] };

/** Every query parameter GET /events reads; others are ignored (as the old service did) and named in a header. */
export const EVENT_QUERY_PARAMS: ReadonlySet<string> = new Set([
  'event_type',
  'session_id',
  'user_id',
  'source',
  'since',
  'until',
  'limit',
  'order',
  'after_offset',
  'before_offset',
]);

const INTEGER_PATTERN = /^-?\d+$/;

function parseOffset(name: string, text: string | undefined, issues: Issue[]): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!INTEGER_PATTERN.test(text) || Number(text) < 0) {
    issues.push({ field: name, message: `must be a non-negative integer (got ${preview(text)})` });
    return undefined;
  }
  if (!Number.isSafeInteger(Number(text))) {
    issues.push({
      field: name,
      message: `must be a non-negative integer at most ${Number.MAX_SAFE_INTEGER} (got ${preview(text)})`,
    });
    return undefined;
  }
  return Number(text);
}

/** Validate GET /events query parameters (a plain map of name → value, as readQuery makes it). */
export function parseEventQuery(params: ReadonlyMap<string, string>): QueryParseResult {
  const timestampIssues: Issue[] = [];
  const issues: Issue[] = [];

  let since: number | undefined;
  let until: number | undefined;
  for (const name of ['since', 'until'] as const) {
    const text = params.get(name);
    if (text === undefined || text === '') continue;
    // Hint: since is exclusive, as the old service's `timestamp > since`, and until inclusive, so windows that
    // follow each other (since=A&until=B, then since=B&until=C) neither repeat nor miss a record. Records are stamped
    // in whole milliseconds, so both round a finer time down: since=…05.058123Z takes …05.059 on, not …05.058.
    const ms = parseIsoTimestamp(text);
    if (ms === null) {
      timestampIssues.push({
        field: name,
        message: invalidTimestamp(text),
      });
    } else if (name === 'since') since = ms + 1;
    else until = ms;
  }
  if (timestampIssues.length > 0) return { ok: false, status: 400, issues: timestampIssues };

  const limit = parseLimit(params.get('limit'), issues);

  // Hint: empty means the default here too, as for every other parameter (`?order=` was refused, `?limit=` not).
  const orderText = params.get('order') || 'desc';
  if (orderText !== 'asc' && orderText !== 'desc') {
    issues.push({ field: 'order', message: `must be "asc" or "desc" (got ${preview(orderText)})` });
  }

  const after_offset = parseOffset('after_offset', params.get('after_offset'), issues);
  const before_offset = parseOffset('before_offset', params.get('before_offset'), issues);

  let event_types: EventType[] | undefined;
  const typesText = params.get('event_type');
  if (typesText !== undefined && typesText !== '') {
    event_types = [];
    for (const part of typesText.split(',')) {
      const name = part.trim();
      if (name === '') continue;
      if (!isEventType(name)) issues.push({ field: 'event_type', message: unknownEventType(name) });
      // Hint: each type once: the log keeps a prepared statement per length of this list (`IN (?, …)`).
      else if (!event_types.includes(name)) event_types.push(name);
    }
  }
  const source = params.get('source');
  const sourceProblem = source === undefined ? null : sourceFilterProblem(source);
  if (sourceProblem !== null) issues.push({ field: 'source', message: sourceProblem });
  // Hint: as a subscription's filter: no stored id is longer, so such a query could only ever answer nothing.
  for (const name of ['session_id', 'user_id'] as const) {
    const text = params.get(name) ?? '';
    const problem = tooManyChars(text, KEY_MAX_CHARS);
    const kind = { rule: 'too_long', max: KEY_MAX_CHARS, input: text } as const;
    if (problem !== null) issues.push({ field: name, message: problem, kind });
  }
  if (issues.length > 0) return { ok: false, status: 422, issues };

  const filter: { -readonly [K in keyof EventFilter]: EventFilter[K] } = {};
  if (event_types !== undefined && event_types.length > 0) filter.event_types = event_types;
  for (const name of ['session_id', 'user_id', 'source'] as const) {
    const value = params.get(name);
    if (value !== undefined && value !== '') filter[name] = value;
  }
  const query: { -readonly [K in keyof EventQuery]: EventQuery[K] } = {
    filter,
    limit,
    order: orderText === 'asc' ? 'asc' : 'desc',
  };
  if (since !== undefined) query.since = since;
  if (until !== undefined) query.until = until;
  if (after_offset !== undefined) query.after_offset = after_offset;
  if (before_offset !== undefined) query.before_offset = before_offset;
  return { ok: true, value: query };
}

/** Names the lowest offset still stored when retention deleted part of what a query asks for. */
export const FIRST_AVAILABLE_HEADER = 'X-First-Available-Offset';

/**
 * The header for a query whose range starts below the first stored offset (records there were deleted by retention),
 * so a client paging forward with `after_offset` sees the gap instead of silently skipping it; empty otherwise.
 */
export function retentionHeader(query: Pick<EventQuery, 'after_offset'>, firstOffset: number): Record<string, string> {
  return (query.after_offset ?? 0) + 1 < firstOffset ? { [FIRST_AVAILABLE_HEADER]: String(firstOffset) } : {};
}
