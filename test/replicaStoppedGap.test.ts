import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamInfo } from '@nats-io/jetstream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GapNotices } from '../src/persistence/jetstream/gapNotices.js';
import { readFromLeader } from '../src/persistence/jetstream/leaderReads.js';
import { ReplicaFeed } from '../src/persistence/jetstream/replicaFeed.js';
import { fillGap } from '../src/persistence/jetstream/streamFollow.js';
import { openReplica, streamEvent } from './support/replicaNode.js';

const encoder = new TextEncoder();
const event = (seq: number) => streamEvent(seq, { session_id: 's' });

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A replica holding 1..3, stopped at 4 (a message of another layout) unless `stop` is false, and its feed. */
function stoppedFeed(stop = true) {
  const dir = mkdtempSync(join(tmpdir(), 'stopped-gap-'));
  const replica = openReplica(join(dir, 'events.db'));
  const notices: string[] = [];
  const feed = new ReplicaFeed(replica, { onNotice: (m) => notices.push(m), onFailure: () => undefined });
  cleanups.push(() => {
    feed.close();
    replica.close();
    rmSync(dir, { recursive: true, force: true });
  });
  for (let seq = 1; seq <= 3; seq++) feed.apply(seq, null, event(seq));
  if (stop) feed.apply(4, null, encoder.encode('[3,"a later layout"]'));
  feed.flush();
  return { feed, notices, replica };
}

/** A stream whose state lists `deleted` and which serves `event(seq)` for any other sequence, counting its asks. */
function stream(deleted: number[]) {
  const asked = { info: 0, get: 0 };
  const jsm = {
    streams: {
      info: async () => {
        asked.info++;
        // Hint: only what a gap fill reads of the stream's info.
        return { config: {}, state: { first_seq: 1, last_seq: 10, deleted } } as StreamInfo;
      },
      getMessage: async (_stream: string, { seq }: { seq: number }) => {
        asked.get++;
        return { seq, data: event(seq) };
      },
    },
  };
  return { jsm, asked };
}

/**
 * What a gap fill on `feed` over `jsm` needs; the applier stops after `limit` turns of the loop, so old code that
 * spun ends (a spinning thread meets no timeout). `turns()` counts the turns taken.
 */
function fillParts(feed: ReplicaFeed, jsm: ReturnType<typeof stream>['jsm'], limit = 1_000) {
  let turns = 0;
  const parts = {
    options: { jsm, stream: 'EVENTS', sink: feed, onNotice: () => undefined },
    gaps: new GapNotices(),
    running: () => ++turns <= limit,
  };
  return { parts, turns: () => turns };
}

describe('filling a gap on a replica stopped at a message of another layout', () => {
  it('ends at once when that message was deleted from the stream (nats stream rmm), instead of spinning', async () => {
    const { feed, notices } = stoppedFeed();
    expect(feed.refusal).toMatch(/^stream message 4 was written by another version/);
    const { jsm, asked } = stream([4]);
    const { parts, turns } = fillParts(feed, jsm);
    // Before: skip(4) took nothing, the loop asked for 4 again with no await, and the thread spun for good.
    await fillGap(parts, 10);
    expect([feed.nextSeq(), asked.get, notices.length, turns()]).toEqual([4, 0, 1, 1]);
  });

  it('asks the stream leader for that sequence once, not again and again, when it still holds it', async () => {
    const { feed } = stoppedFeed();
    const { jsm, asked } = stream([]);
    const { parts, turns } = fillParts(feed, jsm);
    await fillGap(parts, 10);
    expect([feed.nextSeq(), asked.get, turns()]).toEqual([4, 1, 1]);
  });

  it('reads no further from the stream leader (a publish catching up) than the stopped replica takes', async () => {
    const { feed } = stoppedFeed();
    const { jsm, asked } = stream([]);
    let turns = 0;
    let followed = 0;
    const parts = {
      options: { jsm, stream: 'EVENTS', sink: feed, onNotice: () => undefined },
      running: () => ++turns <= 1_000,
      followStream: async () => ++followed > 0,
    };
    // Before: each turn read sequence 4 again, which the replica refused again, 1,000 reads here (for good in a node).
    await readFromLeader(parts, 10);
    expect([feed.nextSeq(), asked.get, followed]).toEqual([4, 1, 0]);
  });

  it('ends when a batch of deleted sequences fails to apply and the feed goes back to its head', async () => {
    const { feed, replica, notices } = stoppedFeed(false);
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    vi.spyOn(replica, 'applyAt').mockImplementation(() => {
      throw full;
    });
    // 2,100 deleted sequences: 2,000 skips fill a batch, applied at once, which fails: the feed is back at 4.
    const { jsm } = stream(Array.from({ length: 2_100 }, (_, i) => i + 4));
    const { parts, turns } = fillParts(feed, jsm, 50_000);
    // Before: the fill skipped the same 2,000 sequences again and again with no await (50,000 turns here).
    await fillGap(parts, 2_200);
    expect([feed.nextSeq(), turns(), notices.length]).toEqual([4, 2_000, 1]);
  });
});
