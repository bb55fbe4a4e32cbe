import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import { offsetIds } from '../src/protocol/offsetIds.js';
import { type ChildServer, killServer, runMain, spawnServer } from './support/childServer.js';
import { eventsLeafOf, writeAt } from './support/corruptPage.js';
import { type EventRecord, event, getJson, publish } from './support/httpCall.js';

const EVENTS = 30_000;
const SESSIONS = 50;

/**
 * A stopped log of EVENTS events (SESSIONS sessions, statuses never folded: written without a server) with three pages
 * in its middle overwritten with random bytes, as a bad disk or the operator probe's `dd` would. `keepIndex`: its
 * index covers every offset (the open reads none of the damage); else the index is gone and the open rebuilds it
 * from the log. `dropTypeStatsMark`: the by-type counters' high-water is lost, so they are counted again at open.
 */
function damagedLog(dir: string, keepIndex: boolean, dropTypeStatsMark: boolean): { path: string; damaged: number } {
  const path = join(dir, 'events.db');
  const log = new SqliteEventLog({ path, newId: offsetIds('evt_'), newEpoch: () => 'e1', indexer: 'inline' });
  for (let from = 0; from < EVENTS; from += 1_000) {
    const group = Array.from({ length: 1_000 }, (_, i) => ({
      id: null,
      event_type: 'quiz_started' as const,
      source: 's',
      session_id: `s${(from + i) % SESSIONS}`,
      user_id: null,
      payloadJson: JSON.stringify({ n: from + i, pad: 'x'.repeat(100) }),
    }));
    log.appendGroups([group]);
  }
  log.indexTail();
  log.close();
  if (!keepIndex)
    for (const suffix of ['.index', '.index-wal', '.index-shm']) rmSync(`${path}${suffix}`, { force: true });
  if (dropTypeStatsMark) {
    const db = new Database(path);
    db.prepare("DELETE FROM meta WHERE key = 'type_stats_upto'").run();
    db.close();
  }
  const leaf = eventsLeafOf(path, EVENTS / 2);
  for (let page = 0; page < 3; page++)
    writeAt(path, { ...leaf, page: leaf.page + page }, 0, randomBytes(leaf.pageSize));
  return { path, damaged: EVENTS / 2 };
}

describe('INTEGRITY_CHECK=off on a log whose damage lies where the open reads', () => {
  let dir = '';
  const servers: ChildServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await killServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('rebuilds the index past the damage, names the range, and serves the rest; reads of the range answer 500', async () => {
    dir = mkdtempSync(join(tmpdir(), 'damaged-tail-'));
    const { path, damaged } = damagedLog(dir, false, true);
    // By default the check refuses it, as before.
    const refused = await runMain({ DATABASE_PATH: path, PORT: '0', HOST: '127.0.0.1' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('the database file is corrupt (PRAGMA integrity_check:');

    // Before, this start exited 2 too: `the database file is corrupt; restore a backup`, naming no page or offset.
    const server = await spawnServer(path, { INTEGRITY_CHECK: 'off', LOG_LEVEL: 'info' });
    servers.push(server);
    const named = new RegExp(
      `the log ${path} is corrupt: offsets (\\d+)-(\\d+) cannot be read \\(a damaged page\\); stop the server and ` +
        'restore a backup \\(.*\\); serving the rest',
    ).exec(server.output());
    expect(named).not.toBeNull();
    const [from, to] = [Number(named![1]), Number(named![2])];
    expect(from).toBeLessThanOrEqual(damaged);
    expect(to).toBeGreaterThanOrEqual(damaged);
    expect(to).toBeLessThan(EVENTS);
    // Named once, though two scans at open (the tail, the by-type counters) passed it.
    expect(server.output().split(`offsets ${from}-${to} cannot be read`)).toHaveLength(2);
    expect(server.output()).toContain('type_stats could not be caught up');

    const ready = await getJson<{ reason: string }>(server.base, '/readiness');
    expect([ready.status, ready.body.reason]).toEqual([
      503,
      `the log ${path} is corrupt: offsets ${from}-${to} cannot be read (a damaged page); stop the server and restore a backup`,
    ]);
    // A read across the damage answers 500 naming where it read from; reads on either side are served.
    const across = await getJson<{ detail: string }>(
      server.base,
      `/events?order=asc&after_offset=${from - 10}&limit=100`,
    );
    expect(across.status).toBe(500);
    expect(across.body.detail).toBe(
      `the log ${path} is corrupt: a read from offset ${from - 9} met a damaged page; stop the server and restore a backup`,
    );
    const before = await getJson<EventRecord[]>(server.base, `/events?order=asc&after_offset=${from - 10}&limit=5`);
    expect(before.body.map((record) => record.offset)).toEqual([from - 9, from - 8, from - 7, from - 6, from - 5]);
    const after = await getJson<EventRecord[]>(server.base, `/events?order=asc&after_offset=${to}&limit=2`);
    expect(after.body.map((record) => record.offset)).toEqual([to + 1, to + 2]);
    // Keyed reads (through the index rebuilt at open) find a session's records on both sides.
    const session = await getJson<EventRecord[]>(server.base, `/events?session_id=s7&order=asc&limit=1000`);
    expect(session.status).toBe(200);
    const offsets = session.body.map((record) => record.offset);
    expect(offsets.some((offset) => offset < from)).toBe(true);
    expect(offsets.some((offset) => offset > to)).toBe(true);
    expect(offsets.filter((offset) => offset >= from && offset <= to)).toEqual([]);
    // Appends write only the end of the log: a publish is acked with the next offset.
    const acked = await publish(server.base, JSON.stringify(event({ session_id: 's7' })));
    expect([acked.status, acked.body.offset]).toEqual([201, EVENTS + 1]);
  });

  it('folds session statuses past the damage at start (the index covering it), instead of giving up on all of them', async () => {
    dir = mkdtempSync(join(tmpdir(), 'damaged-tail-'));
    const { path } = damagedLog(dir, true, false);
    const server = await spawnServer(path, { INTEGRITY_CHECK: 'off', LOG_LEVEL: 'info' });
    servers.push(server);
    // Before: `session_status catch-up failed; it is retried at the next start`, and no session had a status.
    expect(server.output()).not.toContain('catch-up failed');
    expect(server.output()).toContain(`"sessions":${SESSIONS},"msg":"session_status caught up from the log"`);
    // One saved row per session.
    server.proc.kill('SIGTERM');
    await server.exited;
    const db = new Database(path, { readonly: true });
    const rows = db.prepare('SELECT count(*) FROM session_status').pluck().get();
    db.close();
    expect(rows).toBe(SESSIONS);
  });
});
