import { describe, expect, it } from 'vitest';
import { type Outcome, summary } from './migrateLegacySummary.js';

const outcome = (skipped: number): Outcome => ({
  total: 10,
  migrated: 10 - skipped,
  skipped,
  emptied: 0,
  ahead: 0,
  latest: 0,
  first: null,
  last: null,
  sessions: 1,
  startedAt: 0,
});

describe('migrate-legacy summary', () => {
  it('counts skipped rows in words that agree with the count', () => {
    expect(summary('old.db', 'new.db', outcome(1))).toContain(
      '1 row skipped (named above); to keep it, correct it in a copy of old.db',
    );
    expect(summary('old.db', 'new.db', outcome(3))).toContain(
      '3 rows skipped (named above); to keep them, correct them in a copy of old.db',
    );
  });
});
