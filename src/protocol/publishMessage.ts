import * as v from 'valibot';
import { type EventInput, EventInputSchema, isPlainObject, type PayloadLimits, parseEventInput } from './eventInput.js';
import { ignoredNamesHeader } from './ignoredNames.js';
import { type Issue, IssueList } from './issue.js';

/** A publish message unwrapped: its events, whether it was a batch (array or envelope), and the `ref` to echo. */
export interface PublishMessage {
  readonly items: readonly unknown[];
  readonly isBatch: boolean;
  /** The producer's correlation value, echoed in the reply; undefined when it sent none. */
  readonly ref: unknown;
}

/** Why an empty batch (array or envelope) is refused: a publish holds at least one event. */
const NO_EVENTS = 'must contain at least one event';

/**
 * A batch as the API documents state it: one event or more, each as EventInputSchema takes it. Hint: the server
 * reads a batch item by item (publishInputs), refusing an empty one with this schema's own message.
 */
export const EventInputBatchSchema = v.pipe(v.array(EventInputSchema), v.minLength(1, NO_EVENTS));

const BatchSchema = v.pipe(
  v.array(v.unknown()),
  v.transform((items): PublishMessage => ({ items, isBatch: true, ref: undefined })),
);

const EnvelopeSchema = v.pipe(
  v.object({ ref: v.optional(v.unknown()), events: v.array(v.unknown()) }),
  v.transform(({ ref, events }): PublishMessage => ({ items: events, isBatch: true, ref })),
);

// Hint: anything else is one event; the event schema then says what is wrong with it ("event must be a JSON object").
const SingleSchema = v.pipe(
  v.unknown(),
  v.transform(
    (value): PublishMessage => ({
      items: [value],
      isBatch: false,
      ref: isPlainObject(value) ? value.ref : undefined,
    }),
  ),
);

/** `POST /events`: one event, or an all-or-nothing array. Never fails: the last option takes any value. */
export const PublishBodySchema = v.union([BatchSchema, SingleSchema]);

/** A `/ws/publish` message: one event, an array, or `{ref, events:[…]}`. Never fails, as PublishBodySchema. */
export const PublishMessageSchema = v.union([BatchSchema, EnvelopeSchema, SingleSchema]);

/** Which publish shapes a transport accepts: REST takes no envelope. */
export type PublishShapes = 'body' | 'message';

/**
 * A parsed publish body or message, unwrapped. The two shapes producers send nearly always (an array, an event) are
 * recognized in plain code first: the union's failed attempts cost ~0.7 µs a message (measured), ~2% of a REST
 * request. A property test holds this equal to the schemas.
 */
export function readPublishMessage(value: unknown, shapes: PublishShapes): PublishMessage {
  if (Array.isArray(value)) return { items: value, isBatch: true, ref: undefined };
  if (isPlainObject(value) && value.events === undefined) return { items: [value], isBatch: false, ref: value.ref };
  return v.parse(shapes === 'message' ? PublishMessageSchema : PublishBodySchema, value);
}

/**
 * The parts of a parsed publish that are stored or echoed: each event's `payload` and `ref`, and an envelope's
 * `ref`, shaped as sent so a field found in them is named as the producer wrote it (`[1].payload.id`,
 * `events[0].payload.id`). Hint: any other field is a string the event schema checks, or ignored and never stored.
 */
export function storedParts(value: unknown, message: PublishMessage): unknown {
  const events = message.items.map((item) => (isPlainObject(item) ? { payload: item.payload, ref: item.ref } : item));
  if (Array.isArray(value)) return events;
  return message.isBatch ? { ref: message.ref, events } : events[0];
}

/**
 * The one issue of a single object that holds `events` and no event field (`event_type`, `source`): a batch's
 * envelope, which /ws/publish takes with `events` an array and POST /events does not take at all. Null for anything
 * else. Hint: read as an event too, it got "event_type: field required; source: field required" beside the envelope
 * hint, two readings of one message; an object with an event field and `events` is an event with an extra field.
 */
function envelopeIssue(item: unknown, shapes: PublishShapes): Issue | null {
  if (!isPlainObject(item) || item.events === undefined || 'event_type' in item || 'source' in item) return null;
  if (shapes === 'message')
    return { field: 'events', message: 'must be a JSON array of events, as in {"ref": …, "events": [{…}, …]}' };
  return {
    field: 'body',
    message: 'must be one event or a JSON array of events; the {"ref": …, "events": […]} envelope is for /ws/publish',
  };
}

/**
 * The validated events of a publish, or its issues: the first 100 listed, the events after the one that filled the
 * list left unchecked.
 */
export type PublishInputs =
  | { readonly ok: true; readonly value: EventInput[] }
  | { readonly ok: false; readonly issues: IssueList };

/**
 * Validate every event of a publish, all or nothing: a batch's issues name the item (`[3].source`, `[3]` for the
 * item as a whole), a single event's the field or, as a whole, the body (REST) or the message (WebSocket). An empty
 * batch is an issue on `body` (REST) or `events` (WebSocket).
 */
export function publishInputs(message: PublishMessage, limits: PayloadLimits, shapes: PublishShapes): PublishInputs {
  const { items, isBatch } = message;
  const issues = new IssueList();
  const whole = isBatch ? null : envelopeIssue(items[0], shapes);
  if (items.length === 0 || whole !== null) {
    const field = shapes === 'body' ? 'body' : 'events';
    issues.add([whole ?? { field, message: NO_EVENTS }]);
    return { ok: false, issues };
  }
  const inputs: EventInput[] = [];
  for (let i = 0; i < items.length; i++) {
    // Hint: one invalid event refuses the whole publish, so once 100 reasons are listed the rest go unchecked: a
    // 10 MiB body of 3.5 million `{}` took 5.5 s of the I/O thread to count 7 million issues (0.3 s for valid events).
    if (issues.full) {
      issues.notChecked = items.length - i;
      break;
    }
    const result = parseEventInput(items[i], limits);
    if (result.ok) inputs.push(result.value);
    else if (isBatch) issues.add(result.issues, `[${i}]`);
    else issues.add(result.issues.map((issue) => (issue.field === '' ? { ...issue, field: shapes } : issue)));
  }
  return issues.empty ? { ok: true, value: inputs } : { ok: false, issues };
}

/** The response header naming fields the events of a REST publish carried that no rule reads (nothing stores them). */
export const IGNORED_FIELDS_HEADER = 'X-Ignored-Fields';

const EVENT_FIELDS: ReadonlySet<string> = new Set(Object.keys(EventInputSchema.entries));

/**
 * The X-Ignored-Fields header for a publish's events: each field name no event rule reads, once (a `sessionId` or a
 * producer's own `timestamp`, which the server's stamp replaces), so a misspelt field is visible. Extras stay
 * accepted, as the old service accepted them.
 */
export function ignoredFieldsHeader(items: readonly unknown[]): Record<string, string> {
  // Hint: REST echoes no `ref`, so it is as ignored as any other extra field.
  return ignoredNamesHeader(IGNORED_FIELDS_HEADER, ignoredEventFields(items, false));
}

/**
 * The field names of a publish's events that no event rule reads, once each, in order; `ref` is read when
 * `readsRef` (a single event's on /ws/publish, echoed in its ack).
 */
export function ignoredEventFields(items: readonly unknown[], readsRef: boolean): string[] {
  const ignored = new Set<string>();
  for (const item of items) {
    if (!isPlainObject(item)) continue;
    for (const key in item) if (!EVENT_FIELDS.has(key) && !(readsRef && key === 'ref')) ignored.add(key);
  }
  return [...ignored];
}

/**
 * The names an envelope (`{"ref":…,"events":[…],…}`) carries beside `ref` and `events`: read by nothing, so named in
 * the ack like an event's extra fields (event fields put beside `events` would otherwise vanish without a word).
 */
export function ignoredEnvelopeFields(value: unknown, message: PublishMessage): string[] {
  if (!message.isBatch || !isPlainObject(value)) return [];
  return Object.keys(value).filter((key) => key !== 'ref' && key !== 'events');
}
