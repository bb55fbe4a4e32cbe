import * as v from 'valibot';
import { codePoints } from './issue.js';

declare global {
  interface String {
    /** ES2024: false when the string holds a lone surrogate (Node 20 has it; TypeScript's ES2023 lib does not). */
    isWellFormed(): boolean;
  }
}

/** "contains a lone surrogate (\\ud800); …" for a string that is not well-formed UTF-16, and why that matters. */
function loneSurrogateMessage(text: string, why: string): string {
  const at = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.exec(text);
  const unit = at === null ? '' : ` (\\u${at[0].charCodeAt(0).toString(16)})`;
  return `contains a lone surrogate${unit}; ${why}`;
}

/** Refuses a string holding a lone surrogate, naming the code unit. */
// Hint: SQLite stores UTF-8, which turns a lone surrogate into U+FFFD: the event would not be stored as sent.
export const wellFormed = v.check<string, (issue: v.CheckIssue<string>) => string>(
  (text) => text.isWellFormed(),
  (issue) => loneSurrogateMessage(issue.input, 'cannot be stored as sent'),
);

/** Refuses a filter value holding a lone surrogate: no stored event has one (publishing refuses them). */
const matchable = v.check<string, (issue: v.CheckIssue<string>) => string>(
  (text) => text.isWellFormed(),
  (issue) => loneSurrogateMessage(issue.input, 'no stored event can match it'),
);

/** A pattern check that stays quiet about a string the lone-surrogate check already refused (one reason each). */
export const pattern = (regex: RegExp, message: string) =>
  v.check<string, string>((text) => !text.isWellFormed() || regex.test(text), message);

/** The most characters (code points) a `session_id` or `user_id` holds, stored or as a filter. */
export const KEY_MAX_CHARS = 200;

/**
 * "must be at most 200 characters (got 250)" when `text` has more than `max` code points, else null. Hint: string
 * length counts UTF-16 units, so 101 emoji read as 202 and were refused with a count the client never sent; only a
 * long string is counted.
 */
export function tooManyChars(text: string, max: number): string | null {
  if (text.length <= max) return null;
  const count = codePoints(text);
  return count <= max ? null : `must be at most ${max} characters (got ${count})`;
}

const atMost = (max: number) =>
  v.check<string, (issue: v.CheckIssue<string>) => string>(
    (text) => tooManyChars(text, max) === null,
    (issue) => tooManyChars(issue.input, max) ?? '',
  );

/** atMost's bound for the API documents (JSON Schema's maxLength counts code points, as atMost does). */
const maxChars = (max: number) => v.metadata<string, { readonly maxLength: number }>({ maxLength: max });

/**
 * An optional, nullable string key. `stored` values (event fields) must also be non-empty and well-formed, since
 * they are stored and echoed; `filter` values are only compared, so any well-formed string up to `max` is a valid
 * filter (an empty one means no filter: see toFilter). Hint: a lone surrogate was taken as a filter that could never
 * match, and the subscriber waited for nothing.
 */
export function optionalKey(max: number, use: 'stored' | 'filter') {
  // Hint: the message names no field: every issue is shown after its field's path (`user_id: must be a string`).
  const text = v.string('must be a string');
  if (use === 'filter') return v.optional(v.nullable(v.pipe(text, atMost(max), maxChars(max), matchable)));
  return v.optional(
    v.nullable(
      v.pipe(
        text,
        v.minLength(1, 'must not be empty (omit it or send null for no value)'),
        atMost(max),
        maxChars(max),
        wellFormed,
      ),
    ),
  );
}
