import type * as v from 'valibot';
import type { IssueKind } from './issue.js';
import { KEY_MAX_CHARS, tooManyChars } from './optionalKey.js';

/** The old model's `source` pattern as pydantic echoes it in `ctx.pattern` (Python's raw string, escapes kept). */
export const LEGACY_SOURCE_PATTERN = '^[a-zA-Z0-9_\\-\\.]+$';

/** The fields of the old service's `Event` model; `id` (a producer id) is ours alone. */
const LEGACY_FIELDS: ReadonlySet<string> = new Set(['event_type', 'source', 'session_id', 'user_id', 'payload']);

/** A length or pattern rule's kind, for the `source` and key fields whose rules the old model had. */
function ruleKind(field: string, issue: v.BaseIssue<unknown>): IssueKind | undefined {
  const { input } = issue;
  if (field === 'source') {
    if (issue.type === 'min_length') return { rule: 'too_short', min: 1, input };
    if (issue.type === 'max_length') return { rule: 'too_long', max: 100, input };
    // Hint: source's checks are the lone-surrogate check (ours) and the pattern, which stays quiet on such a string;
    // pydantic reports only the first failing constraint, so a pattern past a length failure is ours alone.
    const fits = typeof input === 'string' && input.length >= 1 && input.length <= 100;
    if (issue.type === 'check' && fits && input.isWellFormed())
      return { rule: 'pattern', pattern: LEGACY_SOURCE_PATTERN, input };
    return undefined;
  }
  // Hint: session_id and user_id: the length check's message is tooManyChars' text; an empty key (which the old
  // model took) and a lone surrogate are our rules.
  const tooLong = typeof input === 'string' ? tooManyChars(input, KEY_MAX_CHARS) : null;
  if (field !== 'payload' && issue.type === 'check' && tooLong !== null && issue.message === tooLong)
    return { rule: 'too_long', max: KEY_MAX_CHARS, input };
  return undefined;
}

/**
 * The kind of a valibot issue from EventInputSchema, as pydantic 2.12 would report the old `Event` model's rule, or
 * undefined for a rule of ours (a producer id, an empty key, a lone surrogate).
 */
export function legacyEventKind(issue: v.BaseIssue<unknown>): IssueKind | undefined {
  const path = issue.path ?? [];
  const { input } = issue;
  if (path.length === 0) return issue.type === 'object' ? { rule: 'type', expected: 'model', input } : undefined;
  const last = path[path.length - 1];
  const field = path.length === 1 && last !== undefined ? String(last.key) : '';
  if (!LEGACY_FIELDS.has(field) || last === undefined) return undefined;
  // Hint: pydantic echoes the object that lacks the field.
  if (input === undefined) return { rule: 'missing', input: last.input };
  if (field === 'event_type') {
    return typeof input === 'string' ? { rule: 'validator', input } : { rule: 'type', expected: 'string', input };
  }
  if (issue.kind === 'schema') return { rule: 'type', expected: field === 'payload' ? 'dict' : 'string', input };
  return ruleKind(field, issue);
}
