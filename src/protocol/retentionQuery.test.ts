import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRetentionQuery } from './retentionQuery.js';

describe('parseRetentionQuery', () => {
  it('reads no parameters as "delete every event"', () => {
    expect(parseRetentionQuery('')).toEqual({ ok: true, value: { before: undefined } });
  });

  it('reads before as an ISO 8601 cutoff', () => {
    expect(parseRetentionQuery('before=2026-01-31T12%3A00%3A00Z')).toEqual({
      ok: true,
      value: { before: Date.UTC(2026, 0, 31, 12) },
    });
  });

  it('deletes an event of …00.000 ms before …00.000123 (older), and none of the next whole millisecond', () => {
    // Records are stamped in whole ms and deleted when ts < before: a finer cutoff rounds up.
    expect(parseRetentionQuery('before=2026-01-31T12%3A00%3A00.000123Z')).toEqual({
      ok: true,
      value: { before: Date.UTC(2026, 0, 31, 12) + 1 },
    });
  });

  it('refuses an empty before instead of deleting everything', () => {
    expect(parseRetentionQuery('before=')).toEqual({
      ok: false,
      issues: [{ field: 'before', message: 'must not be empty (omit it to delete every event)' }],
    });
  });

  it('refuses a repeated before and an invalid timestamp, naming the field', () => {
    const repeated = parseRetentionQuery('before=2026-01-01T00:00:00Z&before=2026-02-01T00:00:00Z');
    expect(repeated).toEqual({ ok: false, issues: [{ field: 'before', message: 'given more than once' }] });
    const invalid = parseRetentionQuery('before=last-week');
    expect(invalid.ok).toBe(false);
    if (!invalid.ok) expect(invalid.issues[0]!.message).toContain('invalid timestamp "last-week"');
  });

  it('refuses any parameter but before, naming it, whatever else the query holds', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((name) => name !== 'before'),
        fc.string(),
        (name, value) => {
          const query = new URLSearchParams([
            ['before', '2026-01-01T00:00:00Z'],
            [name, value],
          ]).toString();
          const parsed = parseRetentionQuery(query);
          expect(parsed.ok).toBe(false);
          if (!parsed.ok) expect(parsed.issues.map((issue) => issue.field)).toEqual([name]);
        },
      ),
    );
  });
});
