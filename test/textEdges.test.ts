import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventRecord, event, getJson, publish } from './support/httpCall.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { closeAll, type WsClient } from './support/wsClient.js';

/**
 * Text edges of the wire: what a client sends comes back as acked, or is refused naming why, the same way on every
 * path (REST, /ws/publish, lookups by path and by query).
 */
describe('text and URL edges', () => {
  let t: TestServer;
  const clients: WsClient[] = [];
  beforeAll(async () => {
    t = await startTestServer({ LOG_REQUESTS: 'false' });
  });
  afterAll(async () => {
    await closeAll(clients);
    await t.stop();
  });

  it('stores an event whose ignored field name holds a lone surrogate, naming it in X-Ignored-Fields', async () => {
    // Before: encodeURIComponent threw on the name, and the valid event got 500 Internal server error.
    const sent = JSON.stringify(event({ session_id: 'lone-key' })).replace('{', '{"a\\ud800":1,');
    const res = await publish<EventRecord>(t.base, sent);
    expect(res.status).toBe(201);
    expect(res.headers.get('x-ignored-fields')).toBe('a%5Cud800');
    expect((await getJson<EventRecord>(t.base, `/events/${res.body.id}`)).body.session_id).toBe('lone-key');
  });
});
