import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import { offsetIds } from '../src/protocol/offsetIds.js';
import { CapturingLogger } from './support/capturingLogger.js';
import {
  eventsLeafOf,
  garbleFirstOffset,
  garbleIndexKey,
  leafOf,
  producerIdLeafOf,
  writeAt,
} from './support/corruptPage.js';
import { type EventRecord, event, getJson, publish } from './support/httpCall.js';
import { someEvents } from './support/logOracle.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { WsClient } from './support/wsClient.js';

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
  /** Start again on the same log, without the check at open (INTEGRITY_CHECK=off), so reads meet the damage. */
  const restart = async (logger?: CapturingLogger) => {
    t = await startTestServer({ INTEGRITY_CHECK: 'off' }, logger === undefined ? {} : { logger }, t.dir);
  };
  /** Index every offset (chunks of 100), so the open reads none of the pages in the middle of `events`. */
  const indexAll = (path: string) => {
    const log = new SqliteEventLog({ path, newId: offsetIds('evt_'), newEpoch: () => 'unused', indexChunk: 100 });
    log.indexTail();
    log.close();
  };

  it('refuses to start by default when a page holds damage that still parses, naming the file and the page', async () => {
    const path = await stoppedLog();
    const leaf = eventsLeafOf(path, EVENTS / 2);
    garbleFirstOffset(path, leaf);
    const closed = t;
    await expect(startTestServer({}, {}, t.dir)).rejects.toThrow(
      new RegExp(
        `^${path}: the database file is corrupt \\(PRAGMA integrity_check: .*page ${leaf.page}.*out of order.*INTEGRITY_CHECK=off`,
      ),
    );
    t = closed;
  });

  it('refuses to start by default when a page cannot be parsed at all, naming the page and saying how to start anyway', async () => {
    const path = await stoppedLog();
    const leaf = eventsLeafOf(path, EVENTS / 2);
    writeAt(path, leaf, 0, new Uint8Array([0]));
    const closed = t;
    // Before, the rows naming the page were dropped with the error that ended the check: `(PRAGMA integrity_check:
    // database disk image is malformed)` only, where the sqlite3 shell prints the page first.
    await expect(startTestServer({}, {}, t.dir)).rejects.toThrow(
      `${path}: the database file is corrupt (PRAGMA integrity_check: Tree 3 page ${leaf.page}: btreeInitPage() returns error code 11; database disk image is malformed); restore a backup, or start with INTEGRITY_CHECK=off to serve what can still be read`,
    );
    t = closed;
  });

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

  it('names the file and the offset when a read meets a damaged page: REST 500, /readiness 503, a replay closed 1011', async () => {
    const path = await stoppedLog();
    indexAll(path);
    const leaf = eventsLeafOf(path, EVENTS / 2);
    writeAt(path, leaf, 0, new Uint8Array([0])); // no b-tree page has type 0: SQLite reads it as corrupt
    const logger = new CapturingLogger();
    await restart(logger);
    const corrupt = new RegExp(`the log ${path} is corrupt: a read from offset ${leaf.from} met a damaged page`);

    const page = await getJson<{ detail: string }>(t.base, `/events?order=asc&after_offset=${leaf.from - 1}`);
    expect(page.status).toBe(500);
    expect(page.body.detail).toMatch(corrupt);
    const ready = await getJson<{ ready: boolean; reason: string }>(t.base, '/readiness');
    expect(ready.status).toBe(503);
    expect(ready.body.reason).toMatch(corrupt);
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.obj.msg ?? l.msg)).toEqual([
      expect.stringMatching(corrupt),
    ]);

    // A replay stops where the damage is, and says so: the reader knows from which offset it missed records.
    const client = await WsClient.open(`${t.wsBase}/ws/subscribe`);
    const offsets: number[] = [];
    client.stream((text) => {
      const message = JSON.parse(text) as { offset?: number };
      if (message.offset !== undefined) offsets.push(message.offset);
    });
    client.send({ from_offset: 1 });
    const closed = await client.closed;
    expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => i + 1));
    expect(closed).toEqual({
      code: 1011,
      reason: `log corrupt: reading from offset ${offsets.length + 1} failed; restore a backup`,
    });
    expect(offsets.length).toBeLessThan(leaf.from);

    // A batch:true replay too, whose pages after its first are read ahead on the reader thread: the thread's read that
    // meets the damage sends the replay back to inline reads, the one that meets it names where it stopped.
    const batched = await WsClient.open(`${t.wsBase}/ws/subscribe`);
    const inBatches: number[] = [];
    batched.stream((text) => {
      const message = JSON.parse(text) as { offset?: number }[] | { offset?: number };
      for (const record of Array.isArray(message) ? message : [])
        if (record.offset !== undefined) inBatches.push(record.offset);
    });
    batched.send({ from_offset: 1, batch: true });
    const batchedClose = await batched.closed;
    // Its first page (64 records) is read inline, well before the damage; the thread's first page reaches it.
    expect(inBatches.length).toBeGreaterThanOrEqual(64);
    expect(batchedClose).toEqual({
      code: 1011,
      reason: `log corrupt: reading from offset ${inBatches.length + 1} failed; restore a backup`,
    });
    expect(inBatches).toEqual(Array.from({ length: inBatches.length }, (_, i) => i + 1));
    expect(inBatches.length).toBeLessThan(leaf.from);

    // A keyed read across the damage blames the log, not the derived index.
    expect((await getJson(t.base, '/events?session_id=s1&order=asc&limit=1000')).status).toBe(500);
    expect(logger.lines.some((l) => String(l.msg).includes('index unreadable'))).toBe(false);

    // Publishes are still acked, and kept.
    const next = await publish(t.base, event({ id: 'after-damage' }));
    expect(next.body.offset).toBe(EVENTS + 1);
    await t.close();
    await restart();
    expect((await getJson<EventRecord>(t.base, '/events/after-damage')).body.offset).toBe(EVENTS + 1);
  });

  it('names the file on /readiness when a commit meets a damaged page (a producer id lookup), and keeps naming it', async () => {
    t = await startTestServer();
    const ids = Array.from({ length: EVENTS }, (_, i) => `producer-${i}`);
    expect(
      (
        await publish(
          t.base,
          ids.map((id) => event({ id })),
        )
      ).status,
    ).toBe(201);
    await t.close();
    const path = join(t.dir, 'events.db');
    indexAll(path); // else the in-memory tail answers the id lookup
    writeAt(path, producerIdLeafOf(path, 'producer-500'), 0, new Uint8Array([0]));
    await restart();

    const resent = await publish(t.base, event({ id: 'producer-500' }));
    expect(resent.status).toBe(503);
    expect(resent.body).toEqual({ detail: 'storage unavailable; not committed, retry (the database file is corrupt)' });
    const fresh = await publish(t.base, event({ id: 'fresh' }));
    expect(fresh.status).toBe(201);
    const ready = await getJson<{ reason: string }>(t.base, '/readiness');
    expect(ready.status).toBe(503);
    expect(ready.body.reason).toBe(
      `the log ${path} is corrupt: a commit met a damaged page; stop the server and restore a backup`,
    );
  });

  it('rebuilds an index whose keys are out of order at start, so keyed reads miss nothing', async () => {
    const path = await stoppedLog();
    indexAll(path);
    const session = garbleIndexKey(`${path}.index`, leafOf(`${path}.index`, 'ix_session', EVENTS / 2, true));
    const logger = new CapturingLogger();
    t = await startTestServer({}, { logger }, t.dir);
    const all = await getJson<EventRecord[]>(t.base, '/events?order=asc&limit=1000');
    const expected = all.body.filter((record) => record.session_id === session);
    expect(expected.length).toBeGreaterThan(100);
    const keyed = await getJson<EventRecord[]>(t.base, `/events?session_id=${session}&order=asc&limit=1000`);
    expect(keyed.body).toEqual(expected);
    expect(logger.lines.map((l) => l.obj.msg ?? l.msg)).toContainEqual(
      expect.stringMatching(/index .*discarded and rebuilt from the log: it failed its integrity check \(.*ix_session/),
    );
  });

  it('refuses to start when a damaged WAL frame would drop acknowledged commits, and with INTEGRITY_CHECK=off starts with a new epoch', async () => {
    const path = await stoppedLog();
    const log = new SqliteEventLog({ path, newId: offsetIds('evt_'), newEpoch: () => 'unused', indexer: 'inline' });
    for (let i = 0; i < 4; i++) log.appendGroups([[{ ...someEvents(1, 'w')[0]!, id: `wal-${i}` }]]);
    // The files as a kill -9 leaves them: the commits are only in the WAL.
    const crashed = join(t.dir, 'crashed');
    mkdirSync(crashed);
    for (const suffix of ['', '-wal']) copyFileSync(`${path}${suffix}`, join(crashed, `events.db${suffix}`));
    const epoch = log.epoch;
    log.close();
    const wal = openSync(join(crashed, 'events.db-wal'), 'r+');
    const byte = Buffer.alloc(1);
    readSync(wal, byte, 0, 1, 32 + 24 + 100); // frame 1's page
    writeSync(wal, Buffer.from([byte[0]! ^ 0xff]), 0, 1, 32 + 24 + 100);
    closeSync(wal);

    const walBefore = readFileSync(join(crashed, 'events.db-wal'));
    const refusal = startTestServer({}, {}, crashed);
    await expect(refusal).rejects.toThrow(
      /the log would lose acknowledged commits: frame 1 of .*events\.db-wal is damaged, and \d+ commits? after it cannot be read \(a copy of it is kept as .*events\.db-wal\.damaged\); the log and its WAL were left as they are: restore a backup, or start once with INTEGRITY_CHECK=off to serve what is left \(the log then gets a new epoch\)/,
    );
    expect(readFileSync(join(crashed, 'events.db-wal')).equals(walBefore)).toBe(true);

    const logger = new CapturingLogger();
    const server = await startTestServer({ INTEGRITY_CHECK: 'off' }, { logger }, crashed);
    const health = await getJson<{ epoch: string }>(server.base, '/health');
    const head = (await getJson<{ head_offset: number }>(server.base, '/stats')).body.head_offset;
    await server.close();
    expect(head).toBeLessThan(EVENTS + 4);
    expect(existsSync(join(crashed, 'events.db-wal.damaged'))).toBe(true);
    expect(health.body.epoch).not.toBe(epoch);
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.obj.msg ?? l.msg)).toEqual([
      expect.stringMatching(
        /the log lost commits: frame 1 of .*events\.db-wal is damaged, and \d+ commits? after it cannot be read \(a copy of it is kept as .*events\.db-wal\.damaged\); the log went backwards, so it gets a new epoch/,
      ),
    ]);
  });

  it('names the file when a read of session statuses meets a damaged page, and /readiness says so', async () => {
    const path = await stoppedLog();
    writeAt(path, leafOf(path, 'session_status_by_status', 1), 0, new Uint8Array([0]));
    await restart();
    const listed = await getJson<{ detail: string }>(t.base, '/sessions?status=active');
    expect(listed.status).toBe(500);
    const corrupt = `the log ${path} is corrupt: a read of session statuses met a damaged page; stop the server and restore a backup`;
    expect(listed.body.detail).toBe(corrupt);
    const ready = await getJson<{ reason: string }>(t.base, '/readiness');
    expect([ready.status, ready.body.reason]).toEqual([503, corrupt]);
  });
});
