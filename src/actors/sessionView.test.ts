import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptySessionContext } from './sessionMachine.js';
import { LISTED_USER_IDS, LISTED_USERS, toView } from './sessionView.js';
import { UserList } from './userList.js';

const context = (ids: readonly string[]) => ({
  ...emptySessionContext('s1'),
  user_ids: UserList.of(ids),
  event_count: ids.length,
  first_offset: 1,
  last_offset: Math.max(1, ids.length),
});

describe('toView', () => {
  it('lists every user in order by default, and counts them all', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string(), { maxLength: 3 * LISTED_USER_IDS }), (ids) => {
        const view = toView('in_progress', context(ids));
        expect(view.user_ids).toEqual(ids);
        expect(view.user_count).toBe(ids.length);
      }),
    );
  });

  it('keeps the first LISTED_USER_IDS users in order for a listing, and counts them all', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string(), { maxLength: 3 * LISTED_USER_IDS }), (ids) => {
        const listed = toView('in_progress', context(ids), LISTED_USERS);
        expect(listed.user_ids).toEqual(ids.slice(0, LISTED_USER_IDS));
        expect(listed.user_count).toBe(ids.length);
        expect({ ...listed, user_ids: ids }).toEqual(toView('in_progress', context(ids)));
      }),
    );
  });

  it('keeps the users of any window in order, and counts them all', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string(), { maxLength: 30 }), fc.nat(40), fc.nat(40), (ids, skip, limit) => {
        const view = toView('in_progress', context(ids), { skip, limit });
        expect(view.user_ids).toEqual(ids.slice(skip, skip + limit));
        expect(view.user_count).toBe(ids.length);
      }),
    );
  });
});
