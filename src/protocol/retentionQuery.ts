import type { Issue, ParseResult } from './issue.js';
import { invalidTimestamp, parseIsoTimestamp } from './timestamp.js';

/** What DELETE /events deletes: events older than `before` (ms since the epoch), or every event when undefined. */
export interface RetentionQuery {
  readonly before: number | undefined;
}

/**
 * DELETE /events's query string, strictly. Hint: unlike GET /events (whose unknown parameters are ignored, as the old
 * service did), this request deletes every event when `before` is absent, so a misspelt name (`befor=`, `before_offset=`)
 * or an empty value (`before=$UNSET`) is refused rather than read as "no cutoff".
 */
export function parseRetentionQuery(query: string): ParseResult<RetentionQuery> {
  const issues: Issue[] = [];
  const values: string[] = [];
  for (const [name, value] of new URLSearchParams(query)) {
    if (name === 'before') values.push(value);
    else issues.push({ field: name, message: 'unknown parameter; DELETE /events takes only `before`' });
  }
  if (values.length > 1) issues.push({ field: 'before', message: 'given more than once' });
  const text = values[0];
  let before: number | undefined;
  if (text === '') issues.push({ field: 'before', message: 'must not be empty (omit it to delete every event)' });
  else if (text !== undefined) {
    // Hint: `before` excludes its own instant: an event at …058 ms is not older than …058.5 ms's next whole ms.
    const ms = parseIsoTimestamp(text, 'up');
    if (ms === null) {
      issues.push({
        field: 'before',
        message: invalidTimestamp(text),
      });
    } else before = ms;
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: { before } };
}
