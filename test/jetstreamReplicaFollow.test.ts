import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeEvent } from '../src/persistence/jetstream/eventMessage.js';
import { ReplicaFeed } from '../src/persistence/jetstream/replicaFeed.js';
import { StreamRetention } from '../src/persistence/jetstream/streamRetention.js';
import { SqliteReplicaLog } from '../src/persistence/sqliteReplicaLog.js';
import type { EventInput } from '../src/protocol/eventInput.js';

const encoder = new TextEncoder();
const message = (ts: number, fields: Partial<EventInput> & { id: string }, producer = false) =>
  encoder.encode(
    encodeEvent({
      ts,
      producer,
      input: {
        event_type: 'quiz_started',
        source: 'svc',
        session_id: null,
        user_id: null,
        payloadJson: '{}',
        ...fields,
      },
    }),
  );

/** A replica and its feed whose later follow steps wait in `queue` (run by the test), or run on setImmediate. */
function open(dir: string, stepOffsets: number, queued = true) {
  const replica = new SqliteReplicaLog({
    path: join(dir, 'events.db'),
    now: () => 0,
    newId: () => 'unused',
    newEpoch: () => 'e1',
    indexer: 'inline',
  });
  const queue: (() => void)[] = [];
  const feed = new ReplicaFeed(replica, {
    onNotice: () => {},
    onFailure: () => {},
    stepOffsets,
    ...(queued ? { immediate: (fn: () => void) => void queue.push(fn) } : {}),
  });
  return { replica, feed, queue };
}

/** 25 events over 5 sessions, a producer id stored twice (offset 8 is a recorded no-op), and 2 more after. */
function fill(feed: ReplicaFeed) {
  for (let seq = 1; seq <= 27; seq++) {
    const id = seq === 8 ? 'p3' : seq === 3 ? 'p3' : `g${seq}`;
    const type = seq % 3 === 0 ? 'quiz_completed' : 'answer_submitted';
    feed.apply(
      seq,
      null,
      message(seq * 10, { id, session_id: `s${seq % 5}`, event_type: type }, seq === 3 || seq === 8),
    );
  }
  feed.flush();
}

/** Every table's rows, for comparing end states. */
function dump(path: string): Record<string, unknown[]> {
  const db = new Database(path, { readonly: true });
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
  const out: Record<string, unknown[]> = {};
  for (const name of tables as string[]) out[name] = db.prepare(`SELECT * FROM "${name}" ORDER BY 1`).raw().all();
  db.close();
  return out;
}

describe('a replica follows a purge in bounded steps (ReplicaFollow)', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'replica-follow-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('deletes in steps of at most stepOffsets, one per turn, to the same end state as one transaction', () => {
    const stepped = open(tempDir(), 10);
    const whole = open(tempDir(), 1_000_000);
    fill(stepped.feed);
    fill(whole.feed);
    const told: number[] = [];
    stepped.feed.onDeleted((count) => told.push(count));
    // Follow 26: offsets 1-25 go (offset 8 a no-op), 26 and 27 stay.
    expect(stepped.feed.follow(26)).toBe(9);
    const firsts = [stepped.replica.firstOffset()];
    while (stepped.queue.length > 0) {
      stepped.queue.shift()?.();
      firsts.push(stepped.replica.firstOffset());
    }
    expect(firsts).toEqual([11, 21, 26]);
    expect(told).toEqual([24]);
    expect(whole.feed.follow(26)).toBe(24);
    expect(whole.queue).toEqual([]);
    expect(stepped.replica.stats(0)).toEqual(whole.replica.stats(0));
    expect(stepped.replica.readFrom(1, {}, 100)).toEqual(whole.replica.readFrom(1, {}, 100));
    stepped.replica.close();
    whole.replica.close();
    expect(dump(join(dirs[0] ?? '', 'events.db'))).toEqual(dump(join(dirs[1] ?? '', 'events.db')));
  });

  it('answers those waiting on a purged sequence, and applies later messages only once below their floor is gone', () => {
    const { replica, feed, queue } = open(tempDir(), 10);
    fill(feed);
    const routed: number[] = [];
    feed.onApplied((records) => routed.push(...records.map((r) => r.offset)));
    // The stream was purged below 40: this replica is behind (head 27) and follows it.
    const waiting = feed.expect(33);
    feed.follow(40);
    expect(feed.nextSeq()).toBe(40);
    // Message 40 (its floor 40) waits for the steps; a redelivered 30 is accepted no more.
    feed.apply(30, null, message(300, { id: 'late' }));
    feed.apply(40, null, message(400, { id: 'g40' }), 40);
    feed.flush();
    expect(routed).toEqual([]);
    while (queue.length > 0) queue.shift()?.();
    feed.flush();
    expect(routed).toEqual([40]);
    expect([replica.firstOffset(), replica.headOffset()]).toEqual([40, 40]);
    replica.close();
    return expect(waiting).resolves.toEqual({ offset: 33, record: null, reason: 'deleted by retention' });
  });

  it('resumes after a crash mid-way: the first offset rose step by step, and following again finishes the job', () => {
    const dir = tempDir();
    const first = open(dir, 10);
    fill(first.feed);
    first.feed.follow(26);
    first.queue.shift()?.();
    first.replica.close();
    const again = open(dir, 10);
    expect([again.replica.firstOffset(), again.replica.headOffset()]).toEqual([21, 27]);
    again.feed.follow(26);
    while (again.queue.length > 0) again.queue.shift()?.();
    expect(again.replica.readFrom(1, {}, 100).map((r) => r.offset)).toEqual([26, 27]);
    expect(again.replica.stats(0)).toMatchObject({ total_events: 2, first_offset: 26, head_offset: 27 });
    again.replica.close();
  });

  it('serves other work between steps on the real event loop, and a DELETE answers after the last step', async () => {
    const { replica, feed } = open(tempDir(), 10, false);
    fill(feed);
    const seen: number[] = [];
    const streams = { purge: async () => ({ success: true, purged: 25 }) };
    const retention = new StreamRetention({ streams }, 'S', replica, feed);
    const purged = retention.purge(260);
    setImmediate(() => seen.push(replica.firstOffset()));
    await purged;
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeGreaterThan(1);
    expect(seen[0]).toBeLessThan(26);
    expect(replica.firstOffset()).toBe(26);
    expect(retention.deleteBefore(260)).toBe(24);
    replica.close();
  });
});
