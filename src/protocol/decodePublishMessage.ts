import type { PayloadLimits } from './eventInput.js';
import { formatIssues } from './issue.js';
import { tooDeepAt } from './jsonDepth.js';
import { decodeJsonMessage, type JsonMessage } from './jsonMessage.js';
import { publishInputs, readPublishMessage } from './publishMessage.js';

/** Levels a `/ws/publish` message may put around an event: the envelope object and its `events` array. */
export const PUBLISH_WRAPPER_LEVELS = 2;

/**
 * A `/ws/publish` message parsed as JSON, or why not. MAX_JSON_DEPTH is an event's rule, counted from the event in
 * every form (one event, an array, the envelope) as over REST, and publishInputs checks it per event; here the
 * message as a whole is bounded by MAX_JSON_DEPTH + PUBLISH_WRAPPER_LEVELS, so nothing recursive (the `ref` echoed,
 * the checks of its fields) meets a hostile depth. Hint: bounding the whole message by MAX_JSON_DEPTH refused an
 * event of the deepest allowed nesting in an array or the envelope, which is how the SDK and CLI send every event.
 */
export function decodePublishMessage(text: string, limits: PayloadLimits): JsonMessage {
  const bound = limits.maxJsonDepth + PUBLISH_WRAPPER_LEVELS;
  return decodeJsonMessage(text, bound, (value) => tooDeepRefusal(value, limits, bound));
}

/**
 * Why a message nesting deeper than `bound` is refused: its events' issues, as REST words them (every event too deep
 * is named, `[0].payload.n…` and `[2].payload.n…`), or else the envelope field that nests too deep (its `ref`).
 * Hint: safe at any depth: publishInputs recurses into an event only to MAX_JSON_DEPTH, and tooDeepAt is iterative.
 */
function tooDeepRefusal(value: unknown, limits: PayloadLimits, bound: number): string {
  const parsed = publishInputs(readPublishMessage(value, 'message'), limits, 'message');
  if (!parsed.ok) return formatIssues(parsed.issues.summarized());
  const field = tooDeepAt(value, bound) ?? 'message';
  return `${field}: nests deeper than ${bound} levels, the most a message may (MAX_JSON_DEPTH + ${PUBLISH_WRAPPER_LEVELS} for the envelope and its events)`;
}
