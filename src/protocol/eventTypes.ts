import { preview } from './issue.js';

/** The 15 learning event types the platform publishes, with their descriptions. */
export const EVENT_TYPE_DESCRIPTIONS = {
  quiz_started: 'Student started a quiz',
  quiz_completed: 'Quiz submitted/finished',
  quiz_timeout: 'Quiz ended because its time ran out',
  answer_submitted: 'Answer recorded',
  answer_changed: 'Student changed a previously given answer',
  question_viewed: 'Question displayed',
  question_skipped: 'Student skipped a question',
  timer_started: 'Quiz or question timer started',
  timer_tick: 'Timer update',
  timer_warning: 'Timer is close to running out',
  mastery_updated: 'Mastery level changed',
  learning_gap_detected: "A gap in the learner's knowledge was detected",
  session_created: 'Learning session created',
  session_ended: 'Learning session ended',
  error_occurred: 'A client or service reported an error',
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
