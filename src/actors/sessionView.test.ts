import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LISTED_USER_IDS, listedView, type SessionView } from './sessionView.js';

const view = (user_ids: string[]): SessionView => ({
  session_id: 's1',
  status: 'in_progress',
  user_ids,
  user_count: user_ids.length,
  event_count: user_ids.length,
  counts: {},
  first_offset: 1,
  last_offset: user_ids.length,
  started_at: null,
  completed_at: null,
  quiz_id: null,
});

describe('listedView', () => {
  it('keeps the first LISTED_USER_IDS users in order and counts them all', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string(), { maxLength: 3 * LISTED_USER_IDS }), (ids) => {
        const listed = listedView(view(ids));
        expect(listed.user_ids).toEqual(ids.slice(0, LISTED_USER_IDS));
        expect(listed.user_count).toBe(ids.length);
        expect({ ...listed, user_ids: ids }).toEqual(view(ids));
      }),
    );
  });
});
