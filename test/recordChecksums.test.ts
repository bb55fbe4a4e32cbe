import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { CapturingLogger } from './support/capturingLogger.js';
import { alterText, eventsLeafOf } from './support/corruptPage.js';
import { type EventRecord, event, getJson, publish, queryEvents } from './support/httpCall.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { WsClient } from './support/wsClient.js';

const EVENTS = 1000;
const ALTERED = 500;

/** The payload text of the event at `offset` (offsets from 1, as published below): unique in the file. */
const answer = (offset: number) => `answer-${String(offset).padStart(5, '0')}`;

/** Offsets a replay from offset 1 received (records one by one, or batches), and how it was closed. */
async function replay(t: TestServer, batch: boolean) {
  const client = await WsClient.open(`${t.wsBase}/ws/subscribe`);
  const offsets: number[] = [];
  client.stream((text) => {
    const message = JSON.parse(text) as { offset?: number } | { offset: number }[];
    for (const record of Array.isArray(message) ? message : [message])
      if (record.offset !== undefined) offsets.push(record.offset);
  });
  client.send({ from_offset: 1, batch });
  return { offsets, closed: await client.closed };
}

describe('a record altered on disk (a changed byte inside its payload)', () => {
  let t: TestServer;
  afterEach(async () => {
    await t.stop();
  });

  /** A stopped server's log of EVENTS records, the one at ALTERED with one letter of its payload changed. */
  const alteredLog = async (): Promise<string> => {
    t = await startTestServer();
    // Hint: large batches and single events, so both the writer thread and the I/O thread write checksums.
    for (let offset = 1; offset <= EVENTS; ) {
      const size = offset <= ALTERED ? 250 : 1;
      const batch = Array.from({ length: size }, (_, i) =>
        event({ id: `p-${offset + i}`, payload: { answer: answer(offset + i) } }),
      );
      expect((await publish(t.base, size === 1 ? batch[0] : batch)).status).toBe(201);
      offset += size;
    }
    await t.close();
    const path = join(t.dir, 'events.db');
    alterText(path, eventsLeafOf(path, ALTERED), answer(ALTERED), answer(ALTERED).replace('answer', 'answar'));
    return path;
  };

  it('refuses to start with INTEGRITY_CHECK=full, naming the file and the record', async () => {
    const path = await alteredLog();
    const closed = t;
    await expect(startTestServer({ INTEGRITY_CHECK: 'full' }, {}, t.dir)).rejects.toThrow(
      `${path}: the database file is corrupt (the record at offset ${ALTERED} does not match its checksum); restore a backup, or start with INTEGRITY_CHECK=on to serve what can still be read`,
    );
    t = closed;
  });

  it('never serves it: REST 500 naming the record, /readiness 503, replays closed 1011 before it', async () => {
    const path = await alteredLog();
    const logger = new CapturingLogger();
    // Hint: the default check of every page passes (the page still parses); only the record's checksum tells.
    t = await startTestServer({}, { logger }, t.dir);
    const altered = `the log ${path} is corrupt: a read from offset (\\d+) found the record at offset ${ALTERED} does not match its checksum; stop the server and restore a backup`;

    const single = await getJson<{ detail: string }>(t.base, `/events?order=asc&after_offset=${ALTERED - 1}&limit=1`);
    expect(single.status).toBe(500);
    expect(single.body.detail).toMatch(new RegExp(`^${altered}$`));
    const byId = await getJson<{ detail: string }>(t.base, `/events/p-${ALTERED}`);
    expect(byId.status).toBe(500);
    expect(byId.body.detail).toMatch(new RegExp(`^${altered.replace('(\\d+)', String(ALTERED))}$`));
    expect((await getJson<EventRecord>(t.base, `/events/p-${ALTERED + 1}`)).body.offset).toBe(ALTERED + 1);
    const page = await getJson<{ detail: string }>(t.base, '/events?order=asc&after_offset=400&limit=200');
    expect(page.body.detail).toMatch(new RegExp(`^${altered.replace('(\\d+)', '401')}$`));
    // Records around it are served as written.
    const after = await queryEvents(t.base, { order: 'asc', after_offset: ALTERED, limit: 10 });
    expect(after.map((r) => r.payload)).toEqual(
      Array.from({ length: 10 }, (_, i) => ({ answer: answer(ALTERED + i + 1) })),
    );
    const before = await queryEvents(t.base, { order: 'desc', before_offset: ALTERED, limit: 10 });
    expect(before[0]).toMatchObject({ offset: ALTERED - 1, payload: { answer: answer(ALTERED - 1) } });

    const ready = await getJson<{ reason: string }>(t.base, '/readiness');
    expect(ready.status).toBe(503);
    expect(ready.body.reason).toMatch(new RegExp(altered));
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.obj.msg ?? l.msg)).toEqual([
      expect.stringMatching(new RegExp(altered)),
    ]);

    // Both replay paths (one frame per page built by SQLite, one string per record) stop before it, saying where.
    for (const batch of [true, false]) {
      const { offsets, closed } = await replay(t, batch);
      expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => i + 1));
      expect(offsets.length).toBeLessThan(ALTERED);
      expect(closed).toEqual({
        code: 1011,
        reason: `log corrupt: reading from offset ${offsets.length + 1} failed; restore a backup`,
      });
    }
  });
});

describe('a session whose history holds an altered record', () => {
  let t: TestServer;
  afterEach(async () => {
    await t.stop();
  });

  it('starts, and its view and its events answer 500 naming the record while other sessions are served', async () => {
    t = await startTestServer();
    const events = Array.from({ length: 40 }, (_, i) =>
      event({ session_id: i % 2 === 0 ? 'even' : 'odd', user_id: `u${i}`, payload: { answer: answer(i + 1) } }),
    );
    expect((await publish(t.base, events)).status).toBe(201);
    await t.close();
    const path = join(t.dir, 'events.db');
    alterText(path, eventsLeafOf(path, 21), answer(21), answer(21).replace('answer', 'answar'));

    t = await startTestServer({}, {}, t.dir);
    const altered = new RegExp(
      `the log ${path} is corrupt: .* found the record at offset 21 does not match its checksum`,
    );
    const view = await getJson<{ detail: string }>(t.base, '/sessions/even');
    expect(view.status).toBe(500);
    expect(view.body.detail).toMatch(altered);
    const history = await getJson<{ detail: string }>(t.base, '/events?session_id=even&order=asc');
    expect(history.status).toBe(500);
    expect(history.body.detail).toMatch(altered);
    expect((await getJson<{ event_count: number }>(t.base, '/sessions/odd')).body.event_count).toBe(20);
    expect((await queryEvents(t.base, { session_id: 'odd', order: 'asc' })).length).toBe(20);
  });
});

describe('a log made before record checksums', () => {
  let t: TestServer;
  afterEach(async () => {
    await t.stop();
  });

  it('is served as it was and checks every record appended from then on', async () => {
    t = await startTestServer();
    expect((await publish(t.base, [event({ payload: { n: 1 } }), event({ payload: { n: 2 } })])).status).toBe(201);
    await t.close();
    const path = join(t.dir, 'events.db');
    const db = new Database(path);
    db.exec('ALTER TABLE events DROP COLUMN crc');
    db.close();

    t = await startTestServer({}, {}, t.dir);
    expect((await publish(t.base, event({ payload: { n: 3 } }))).status).toBe(201);
    const records = await queryEvents(t.base, { order: 'asc' });
    expect(records.map((r: EventRecord) => [r.offset, r.payload])).toEqual([
      [1, { n: 1 }],
      [2, { n: 2 }],
      [3, { n: 3 }],
    ]);
    await t.close();
    const reopened = new Database(path, { readonly: true });
    const crcs = reopened.prepare('SELECT offset, crc IS NOT NULL FROM events ORDER BY offset').raw().all();
    reopened.close();
    expect(crcs).toEqual([
      [1, 0],
      [2, 0],
      [3, 1],
    ]);
  });
});
