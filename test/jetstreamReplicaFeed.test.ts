import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeCommit, encodeRetention } from '../src/persistence/jetstream/commitMessage.js';
import { ApplyClock, ReplicaFeed } from '../src/persistence/jetstream/replicaFeed.js';
import { readPosition } from '../src/persistence/jetstream/replicaPosition.js';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import type { EventInput } from '../src/protocol/eventInput.js';

const encoder = new TextEncoder();
const input = (fields: Partial<EventInput> = {}): EventInput => ({
  id: null,
  event_type: 'quiz_started',
  source: 'svc',
  session_id: null,
  user_id: null,
  payloadJson: '{}',
  ...fields,
});

/** A replica and its feed, as a node opens them, restartable from the saved position. */
function open(dir: string) {
  const path = join(dir, 'events.db');
  const clock = new ApplyClock();
  const replica = new SqliteEventLog({
    path,
    now: () => clock.ts ?? 0,
    newId: () => clock.nextId(),
    newEpoch: () => 'e1',
    indexer: 'inline',
  });
  const feed = new ReplicaFeed(replica, {
    databasePath: path,
    epoch: 'e1',
    appliedSeq: readPosition(path)?.seq ?? 0,
    clock,
    now: () => 0,
    onNotice: () => undefined,
  });
  return { replica, feed };
}

describe('ReplicaFeed', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'replica-feed-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('applies each commit at the publisher timestamp with its generated ids, and routes what it appended', () => {
    const { replica, feed } = open(tempDir());
    const routed: number[] = [];
    feed.onApplied((records) => routed.push(...records.map((r) => r.offset)));
    const commit = { ts: 1_000, groups: [[input(), input({ id: 'p1' })], [input()]], ids: ['g1', 'g2'] };
    feed.apply(1, null, encoder.encode(encodeCommit(commit)));
    expect(replica.readFrom(1, {}, 10).map((r) => [r.offset, r.id, r.ts])).toEqual([
      [1, 'g1', 1_000],
      [2, 'p1', 1_000],
      [3, 'g2', 1_000],
    ]);
    expect(routed).toEqual([1, 2, 3]);
    expect(feed.appliedSeq).toBe(1);
    replica.close();
  });

  it('appends nothing when a message is applied again after a restart whose saved position lagged', () => {
    const dir = tempDir();
    const first = open(dir);
    const withIds = encodeCommit({ ts: 5, groups: [[input(), input()]], ids: ['g1', 'g2'] });
    const producerOnly = encodeCommit({ ts: 6, groups: [[input({ id: 'p1' })]], ids: [] });
    first.feed.apply(1, null, encoder.encode(withIds));
    first.feed.apply(2, null, encoder.encode(producerOnly));
    // A crash: the position file was never written, so the next open re-applies from sequence 1.
    first.replica.close();
    const again = open(dir);
    expect(again.feed.nextSeq()).toBe(1);
    again.feed.apply(1, null, encoder.encode(withIds));
    again.feed.apply(2, null, encoder.encode(producerOnly));
    expect(again.replica.headOffset()).toBe(3);
    expect(again.replica.readFrom(1, {}, 10).map((r) => r.id)).toEqual(['g1', 'g2', 'p1']);
    expect(again.feed.nextSeq()).toBe(3);
    again.replica.close();
  });

  it('applies a retention command at its place in the stream and saves the position at once', () => {
    const dir = tempDir();
    const { replica, feed } = open(dir);
    feed.apply(1, null, encoder.encode(encodeCommit({ ts: 10, groups: [[input()]], ids: ['a'] })));
    feed.apply(2, null, encoder.encode(encodeCommit({ ts: 20, groups: [[input()]], ids: ['b'] })));
    feed.apply(3, 'm3', encoder.encode(encodeRetention({ ts: 30, deleteBefore: 15 })));
    expect(replica.readFrom(1, {}, 10).map((r) => r.id)).toEqual(['b']);
    expect(readPosition(join(dir, 'events.db'))).toEqual({ epoch: 'e1', seq: 3 });
    replica.close();
  });
});
