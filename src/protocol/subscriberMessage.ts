import * as v from 'valibot';
import type { EventFilter } from './eventFilter.js';
import { listedNames } from './ignoredNames.js';
import { formatIssues } from './issue.js';
import { issuesFromValibot } from './issuesFromValibot.js';
import { decodeJsonMessage } from './jsonMessage.js';
import {
  FilterSchema,
  ignoredFilterKeys,
  ignoredSubscribeKeys,
  misplacedFilterKeys,
  SUBSCRIBE_NOT_OBJECT,
  SubscribeEntries,
  type SubscribeRequest,
  toFilter,
  toSubscribeRequest,
} from './subscribeMessage.js';

/** What a subscriber may send: its subscription first, then ping and update_filters. */
export type SubscriberMessage =
  | { readonly type: 'subscribe'; readonly request: SubscribeRequest; readonly ignored: readonly string[] }
  | { readonly type: 'ping' }
  | { readonly type: 'update_filters'; readonly filters: EventFilter; readonly ignored: readonly string[] };

/** A parsed subscriber message, or the error text to send back (`ignore`: send nothing). */
export type SubscriberMessageResult =
  | SubscriberMessage
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'ignore' };

/**
 * Where the connection is: before its subscription every message but a ping is the subscribe message (any `type` but
 * "update_filters" is read as it, as the old service did, and listed as ignored unless it is "subscribe"); after it,
 * messages are told apart by `type`.
 */
export type SubscriberPhase = 'subscribe' | 'live';

const PingSchema = v.pipe(
  v.looseObject({ type: v.literal('ping') }),
  v.transform((): SubscriberMessage => ({ type: 'ping' })),
);

// Hint: `type` is optional and unchecked here, so in the subscribe phase every object that is not a ping lands here.
const SubscribeMessageSchema = v.pipe(
  v.object({ ...SubscribeEntries, type: v.optional(v.unknown()) }, SUBSCRIBE_NOT_OBJECT),
  v.transform((raw): SubscriberMessage => ({ type: 'subscribe', request: toSubscribeRequest(raw), ignored: [] })),
);

// Hint: v.object accepts arrays (typeof [] is 'object'); `filters: []` must be refused, not read as "no filter".
const FiltersObject = v.pipe(
  v.custom<Record<string, unknown>>(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    'filters must be a JSON object',
  ),
  FilterSchema,
);

const UpdateFiltersSchema = v.pipe(
  v.looseObject({ type: v.literal('update_filters'), filters: v.optional(v.nullable(FiltersObject)) }),
  v.transform(
    (raw): SubscriberMessage => ({ type: 'update_filters', filters: toFilter(raw.filters ?? {}), ignored: [] }),
  ),
);

/** The first message: a ping, or the subscription. */
export const SubscribePhaseSchema = v.variant('type', [PingSchema, SubscribeMessageSchema], SUBSCRIBE_NOT_OBJECT);

const LIVE_TYPES = 'expected "ping" or "update_filters"';
const LIVE_NOT_OBJECT = `message: must be a JSON object with a "type"; ${LIVE_TYPES}`;
const SUBSCRIBED_ALREADY = 'this connection is already subscribed: change its filter with update_filters';

/** Messages after the subscription, told apart by `type`. */
export const LivePhaseSchema = v.variant('type', [PingSchema, UpdateFiltersSchema], (issue) => {
  // Hint: with a path the issue's input is the `type` value; without, the message was not an object.
  if (issue.path === undefined) return LIVE_NOT_OBJECT;
  const type = issue.input;
  if (type === undefined || type === null) return `type: is required; ${LIVE_TYPES} (${SUBSCRIBED_ALREADY})`;
  const again = type === 'subscribe' ? ` (${SUBSCRIBED_ALREADY})` : '';
  return `unknown message type ${JSON.stringify(type)}; ${LIVE_TYPES}${again}`;
});

/**
 * The refusal of update_filters as the first message. Hint: read as the subscription, its `filters` would be an
 * unknown key and the connection would get every event, which is not what a client sending a filter means.
 */
const UPDATE_BEFORE_SUBSCRIBE =
  'type: "update_filters" changes a subscription, and this connection has none yet: the first message is the ' +
  'subscription itself, e.g. {"session_id":"…","event_types":[…]}; nothing was subscribed';

/** The parse failure as the reply text: an unknown `type` alone (live phase), else every field and its reason. */
function errorOf(issues: readonly v.BaseIssue<unknown>[], phase: SubscriberPhase): { type: 'error'; message: string } {
  const first = issues[0];
  if (phase === 'live' && first !== undefined && first.type === 'variant')
    return { type: 'error', message: first.message };
  return { type: 'error', message: formatIssues(issuesFromValibot(issues, 'message')) };
}

/** Validate one parsed subscriber message for the connection's phase. */
export function parseSubscriberMessage(value: unknown, phase: SubscriberPhase): SubscriberMessageResult {
  if (phase === 'subscribe') {
    // Hint: v.variant and v.object accept arrays, which would subscribe `[]` to everything.
    if (Array.isArray(value)) return { type: 'error', message: `message: ${SUBSCRIBE_NOT_OBJECT}` };
    if (typeOf(value) === 'update_filters') return { type: 'error', message: UPDATE_BEFORE_SUBSCRIBE };
    const result = v.safeParse(SubscribePhaseSchema, value);
    if (!result.success) return errorOf(result.issues, phase);
    return withIgnored(result.output, ignoredSubscribeKeys(value));
  }
  if (Array.isArray(value)) return { type: 'error', message: LIVE_NOT_OBJECT };
  const result = v.safeParse(LivePhaseSchema, value);
  if (!result.success) {
    const refused = errorOf(result.issues, phase);
    // Hint (probe): only some refusals said so, though none of them changes the filter.
    return typeOf(value) === 'update_filters' ? { ...refused, message: `${refused.message}${UNCHANGED}` } : refused;
  }
  const misplaced = result.output.type === 'update_filters' ? misplacedFilterKeys(value) : [];
  if (misplaced.length > 0) return { type: 'error', message: misplacedMessage(misplaced) };
  if (result.output.type === 'update_filters' && !Object.hasOwn(value as object, 'filters'))
    return { type: 'error', message: NO_FILTERS };
  return withIgnored(result.output, ignoredFilterKeys(value));
}

/** How every refusal of an update_filters message ends: the subscription goes on with the filter it had. */
const UNCHANGED = '; the filter was not changed';

/** The `type` of a message that is an object, else undefined. */
function typeOf(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
}

/**
 * The refusal of an update_filters message without `filters`. Hint: read as "no filter", a typo (`"filter":{…}`) or a
 * forgotten key widened a narrow subscription to every event; `{}` or null still asks for that on purpose.
 */
const NO_FILTERS =
  'filters: is required in update_filters, e.g. {"type":"update_filters","filters":{"session_id":…}} ' +
  `({} or null for every event)${UNCHANGED}`;

/** The refusal of an update_filters message with filter keys beside `filters` (the filter is left as it was). */
function misplacedMessage(keys: readonly string[]): string {
  const example = `{"type":"update_filters","filters":{"${keys[0]}":…}}`;
  return `${keys.join(', ')}: in update_filters, filters go inside "filters", e.g. ${example}${UNCHANGED}`;
}

/** The message with the keys it carried that the protocol does not know (pings list none). */
function withIgnored(message: SubscriberMessage, ignored: readonly string[]): SubscriberMessage {
  return message.type === 'ping' ? message : { ...message, ignored: listedNames(ignored) };
}

/**
 * One text message from a subscriber, from JSON to a typed message. Unparseable JSON is answered before the
 * subscription and ignored after it (as the old service does); too deep a message is answered in both phases.
 */
export function readSubscriberMessage(
  text: string,
  phase: SubscriberPhase,
  maxJsonDepth: number,
): SubscriberMessageResult {
  const decoded = decodeJsonMessage(text, maxJsonDepth);
  if (!decoded.ok) {
    if (decoded.reason === 'json' && phase === 'live') return { type: 'ignore' };
    return { type: 'error', message: decoded.message };
  }
  return parseSubscriberMessage(decoded.value, phase);
}
