/** An event's `source`: 1-100 of these characters. */
export const SOURCE_PATTERN = /^[A-Za-z0-9_.-]+$/;
/** Why a `source` with another character is refused. */
export const SOURCE_CHARACTERS = 'may contain only letters, digits, "_", "." and "-"';
/** The most characters an event's `source` holds. */
export const SOURCE_MAX_CHARS = 100;

/** A `source` filter that can match: empty (no filter) or an event's source. */
const SOURCE_FILTER_PATTERN = /^[A-Za-z0-9_.-]*$/;

/**
 * sourceFilterProblem's rule as JSON Schema keywords, for the API documents (GET /events's `source`, a subscription's
 * filter). Hint: the characters are ASCII, so JSON Schema's code points and JavaScript's UTF-16 units count alike.
 */
export const SOURCE_FILTER_BOUNDS = { maxLength: SOURCE_MAX_CHARS, pattern: SOURCE_FILTER_PATTERN.source } as const;

/**
 * Why a `source` filter can never match, or null when it can (empty: no filter). Hint: a subscription or query on a
 * source no event can have would wait or page forever for nothing; it is refused naming the rule instead.
 */
export function sourceFilterProblem(source: string): string | null {
  if (source.length > SOURCE_MAX_CHARS)
    return `must be at most ${SOURCE_MAX_CHARS} characters, as an event's source is`;
  return SOURCE_FILTER_PATTERN.test(source) ? null : `${SOURCE_CHARACTERS}, as an event's source does`;
}
