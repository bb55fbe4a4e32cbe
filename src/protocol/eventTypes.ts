import { preview } from './issue.js';

/**
 * The 15 learning event types the platform publishes, with their descriptions: the old service's (its models.py
 * EVENT_TYPES, word for word), since GET /event-types answers with them and a client may show them.
 */
export const EVENT_TYPE_DESCRIPTIONS = {
  quiz_started: 'Student started a quiz session',
  quiz_completed: 'Student completed/submitted quiz',
  quiz_timeout: 'Quiz timer expired',
  answer_submitted: 'Student submitted an answer',
  answer_changed: 'Student changed their answer',
  question_viewed: 'Student viewed a question',
  question_skipped: 'Student skipped a question',
  timer_started: 'Session timer started',
  timer_tick: 'Timer tick (usually every second)',
  timer_warning: 'Timer warning threshold reached',
  mastery_updated: 'Student mastery level changed',
  learning_gap_detected: 'Learning gap identified',
  session_created: 'New session created',
  session_ended: 'Session ended',
  error_occurred: 'Error in system',
} as const satisfies Record<string, string>;

/** One of the supported event type names. */
export type EventType = keyof typeof EVENT_TYPE_DESCRIPTIONS;

/** Every supported event type, in registry order. */
export const EVENT_TYPES = Object.keys(EVENT_TYPE_DESCRIPTIONS) as EventType[];

const EVENT_TYPE_BY_NAME: ReadonlyMap<string, EventType> = new Map(EVENT_TYPES.map((type) => [type, type]));

/** True when `value` names a supported event type. */
export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && EVENT_TYPE_BY_NAME.has(value);
}

/**
 * The registry's own string for the event type `value` names, or undefined. Hint: a type read out of a message is a
 * fresh string; the first time V8 uses a fresh string as a property key it internalizes it (measured ~0.35 µs), and
 * the hot path keys objects by type (session counts, lifecycle); the registry's strings are internalized already.
 */
export function eventTypeNamed(value: unknown): EventType | undefined {
  return typeof value === 'string' ? EVENT_TYPE_BY_NAME.get(value) : undefined;
}

/**
 * Why `input` is not an event type, naming the allowed ones: a string is echoed cut short; any other value must be
 * a string first, as every text field says (`5` and `null` are no unknown type names).
 */
export function unknownEventType(input: unknown): string {
  const why = typeof input === 'string' ? `unknown event type ${preview(input)}` : 'must be a string';
  return `${why}; allowed: ${EVENT_TYPES.join(', ')}`;
}
