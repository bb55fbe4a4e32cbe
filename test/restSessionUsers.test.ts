import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIEW_USER_IDS } from '../src/actors/sessionView.js';
import { ROUTE_DOCS } from '../src/protocol/openApiRoutes.js';
import { IGNORED_PARAMS_HEADER } from '../src/protocol/queryParams.js';
import { event, getJson, publish } from './support/httpCall.js';
import { startTestServer, type TestServer } from './support/testServer.js';

interface SessionView {
  session_id: string;
  user_ids: string[];
  user_count: number;
  event_count: number;
}

/** 3,000 distinct user ids of 190 characters, in the order they first appear. */
const USERS = Array.from({ length: 3 * VIEW_USER_IDS }, (_, i) =>
  `user-${String(i).padStart(5, '0')}-`.padEnd(190, 'x'),
);

describe('GET /api/v1/sessions/{session_id} of a session with many users', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    for (let i = 0; i < USERS.length; i += 1000) {
      const batch = USERS.slice(i, i + 1000).map((user_id) =>
        event({ event_type: 'answer_submitted', session_id: 'manyusers', user_id }),
      );
      expect((await publish(t.base, batch)).status).toBe(201);
    }
  });
  afterAll(async () => {
    await t.stop();
  });

  const view = (query = '') => getJson<SessionView>(t.base, `/api/v1/sessions/manyusers${query}`);

  it('holds the first 1,000 users and counts them all: the view stays bounded however many there are', async () => {
    const res = await view();
    expect(res.status).toBe(200);
    expect(res.body.user_ids).toEqual(USERS.slice(0, VIEW_USER_IDS));
    expect(res.body.user_count).toBe(USERS.length);
    expect(res.body.event_count).toBe(USERS.length);
    // Hint: every user listed was 3,000 × 193 bytes (579 KB); 50,000 such users made 9.65 MB.
    expect(res.text.length).toBeLessThan(VIEW_USER_IDS * 193 + 1000);
  });

  it('pages through the users with user_skip and user_limit, in order of their first event', async () => {
    const pages: string[] = [];
    for (let skip = 0; ; skip += 700) {
      const res = await view(`?user_skip=${skip}&user_limit=700`);
      expect(res.body.user_count).toBe(USERS.length);
      if (res.body.user_ids.length === 0) break;
      pages.push(...res.body.user_ids);
    }
    expect(pages).toEqual(USERS);
    expect((await view('?user_skip=2990')).body.user_ids).toEqual(USERS.slice(2990));
  });

  it('answers the rest of the view alone with user_limit=0 (a poll of a few hundred bytes)', async () => {
    const whole = (await view()).body;
    const bare = await view('?user_limit=0');
    expect(bare.body).toEqual({ ...whole, user_ids: [] });
    expect(bare.text.length).toBeLessThan(600);
  });

  it.each([
    ['?user_limit=1001', 'user_limit'],
    ['?user_limit=-1', 'user_limit'],
    ['?user_limit=1e3', 'user_limit'],
    ['?user_skip=ten', 'user_skip'],
  ])('refuses %s with 422 naming %s', async (query, field) => {
    const res = await view(query);
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      detail: [expect.objectContaining({ loc: ['query', field], msg: expect.stringContaining('must be an integer') })],
    });
  });

  it('names a query parameter it does not read', async () => {
    const res = await view('?users_limit=5');
    expect(res.status).toBe(200);
    expect(res.headers.get(IGNORED_PARAMS_HEADER)).toBe('users_limit');
    expect(res.body.user_ids).toHaveLength(VIEW_USER_IDS);
  });

  it('documents the most user_limit takes as the server reads it', () => {
    const limit = ROUTE_DOCS['GET /sessions/:session_id']!.parameters!.find((p) => p.name === 'user_limit');
    expect(limit?.schema).toMatchObject({ maximum: VIEW_USER_IDS, default: VIEW_USER_IDS });
  });
});
