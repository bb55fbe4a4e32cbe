import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplicaFeed } from '../src/persistence/jetstream/replicaFeed.js';
import { openReplica, streamEvent } from './support/replicaNode.js';

const message = (id: string) => streamEvent(1_000, { id, source: 'svc' });

describe('ReplicaFeed applying on a full disk', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('says a failing streak once, and once more when applying works again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'replica-apply-failures-'));
    dirs.push(dir);
    const replica = openReplica(join(dir, 'events.db'));
    const notices: string[] = [];
    let restarts = 0;
    const feed = new ReplicaFeed(replica, { onNotice: (m) => notices.push(m), onFailure: () => restarts++ });
    feed.apply(1, null, message('a'));
    feed.flush();
    const applyAt = replica.applyAt.bind(replica);
    replica.applyAt = () => {
      throw new Error('database or disk is full');
    };
    // Each failure restarts the consumer, which delivers from the replica's head + 1 again.
    for (let attempt = 0; attempt < 50; attempt++) {
      feed.apply(2, null, message('b'));
      feed.flush();
    }
    expect(restarts).toBe(50);
    // Before: 50 identical lines.
    expect(notices).toEqual([
      'replica feed: applying failed (database or disk is full); retrying from offset 2 until it works, said again then',
    ]);
    replica.applyAt = applyAt;
    feed.apply(2, null, message('b'));
    feed.flush();
    feed.apply(3, null, message('c'));
    feed.flush();
    expect(replica.headOffset()).toBe(3);
    expect(notices.slice(1)).toEqual([
      'replica feed: applying works again (at offset 2) after 50 failed attempts (first: database or disk is full)',
    ]);
    replica.close();
  });
});
