import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventsLeafOf, garbleFirstOffset } from './support/corruptPage.js';
import { event, getJson, publish } from './support/httpCall.js';
import { startTestServer, type TestServer } from './support/testServer.js';

const EVENTS = 1000;

describe('a log with a damaged page', () => {
  let t: TestServer;
  afterEach(async () => {
    await t.stop();
  });

  /** A stopped server's log holding offsets 1..EVENTS (a few pages of `events`). */
  const stoppedLog = async (): Promise<string> => {
    t = await startTestServer();
    for (let from = 0; from < EVENTS; from += 500) {
      const batch = Array.from({ length: 500 }, (_, i) => event({ session_id: `s${(from + i) % 7}`, payload: { i } }));
      expect((await publish(t.base, batch)).status).toBe(201);
    }
    await t.close();
    return join(t.dir, 'events.db');
  };
  const restart = async () => {
    t = await startTestServer({}, {}, t.dir);
  };

  it('keeps its head when a page in the middle holds a garbled offset (the open reads only the ends)', async () => {
    const path = await stoppedLog();
    const leaf = eventsLeafOf(path, EVENTS / 2);
    garbleFirstOffset(path, leaf);
    await restart();
    const stats = await getJson<{ head_offset: number; total_events: number }>(t.base, '/stats');
    expect(stats.body).toMatchObject({ head_offset: EVENTS, total_events: EVENTS });
    const next = await publish(t.base, event());
    expect(next.status).toBe(201);
    expect(next.body.offset).toBe(EVENTS + 1);
  });
});
