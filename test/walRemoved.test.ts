import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogWriteError } from '../src/persistence/eventLog.js';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import type { EventInput } from '../src/protocol/eventInput.js';
import { type ChildServer, killServer, spawnServer } from './support/childServer.js';
import { type EventRecord, event, getJson, publish } from './support/httpCall.js';
import { waitFor } from './support/pipelineRest.js';

const deps = { now: () => 1_000, newId: () => `gen-${Math.random()}`, newEpoch: () => 'e' };
const input = (n: number): EventInput => ({
  id: `id-${n}`,
  event_type: 'quiz_started',
  source: 's',
  session_id: null,
  user_id: null,
  payloadJson: `{"n":${n}}`,
});

/**
 * The log's `-wal` file removed while the server runs. SQLite keeps writing to its open handle of the deleted file, so
 * before this was watched every commit was acknowledged and a kill -9 then lost all of them since the last checkpoint
 * (a probe: 8 acked events, an empty log under a new epoch after the restart).
 */
describe('a WAL file removed under a running log', () => {
  let dir = '';
  const servers: ChildServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await killServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('is noticed at the next keep: the acked commits are copied into the database file and commits are refused', () => {
    dir = mkdtempSync(join(tmpdir(), 'wal-removed-'));
    const path = join(dir, 'events.db');
    const notices: string[] = [];
    const log = new SqliteEventLog({ path, ...deps, onNotice: (message) => notices.push(message) });
    try {
      for (let n = 1; n <= 5; n++) log.appendGroups([[input(n)]]);
      rmSync(`${path}-wal`);
      log.keepLock();
      const reason = `${path}-wal was removed or replaced while the server runs: commits are refused until a restart`;
      expect(log.health()).toEqual({ writable: false, reason: expect.stringContaining(reason) });
      expect(notices).toContain(`the commits acknowledged before ${path}-wal was removed are in the database file`);
      expect(() => log.appendGroups([[input(6)]])).toThrow(LogWriteError);
      expect(log.headOffset()).toBe(5);
      // What a kill -9 leaves: the database file alone (the deleted WAL's space is freed with the process).
      copyFileSync(path, join(dir, 'survivor.db'));
    } finally {
      log.close();
    }
    const survivor = new SqliteEventLog({ path: join(dir, 'survivor.db'), ...deps, newEpoch: () => 'other' });
    try {
      expect(survivor.readFrom(1, {}, 10).map((e) => e.id)).toEqual(['id-1', 'id-2', 'id-3', 'id-4', 'id-5']);
      expect(survivor.epoch).toBe('e');
    } finally {
      survivor.close();
    }
  });

  it('a running server says so on /readiness, answers publishes 503, and loses no acked event to a kill -9', async () => {
    dir = mkdtempSync(join(tmpdir(), 'wal-removed-'));
    const path = join(dir, 'events.db');
    const first = await spawnServer(path);
    servers.push(first);
    const acked: string[] = [];
    for (let n = 0; n < 5; n++) {
      const res = await publish<EventRecord>(first.base, JSON.stringify(event({ payload: { n } })));
      expect(res.status).toBe(201);
      acked.push(res.body.id);
    }
    const epoch = (await getJson<{ epoch: string }>(first.base, '/health')).body.epoch;
    rmSync(`${path}-wal`);
    const readiness = await waitFor(async () => {
      const res = await fetch(`${first.base}/readiness`);
      return res.status === 503 ? ((await res.json()) as { reason: string }) : null;
    }, 'readiness to report the removed WAL');
    expect(readiness.reason).toContain(`${path}-wal was removed or replaced`);
    const refused = await publish<{ detail: string }>(first.base, JSON.stringify(event()));
    expect(refused.status).toBe(503);
    expect(refused.body.detail).toBe(
      `storage unavailable; not committed, retry (${path}-wal was removed or replaced while the server runs: commits ` +
        'are refused until a restart (stop it with SIGTERM, not kill -9, then start it again))',
    );
    await waitFor(() => first.output().includes('are in the database file'), 'the acked commits copied');
    first.proc.kill('SIGKILL');
    await first.exited;

    const second = await spawnServer(path);
    servers.push(second);
    const stored = await getJson<EventRecord[]>(second.base, '/events?order=asc&limit=100');
    expect(stored.body.map((r) => r.id)).toEqual(acked);
    expect((await getJson<{ epoch: string }>(second.base, '/health')).body.epoch).toBe(epoch);
  });
});
