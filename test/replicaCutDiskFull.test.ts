import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogWriteError } from '../src/persistence/eventLog.js';
import { ReplicaFeed } from '../src/persistence/jetstream/replicaFeed.js';
import { StreamRetention } from '../src/persistence/jetstream/streamRetention.js';
import { waitFor } from './support/pipelineRest.js';
import { openReplica, streamEvent } from './support/replicaNode.js';
import { fill, mountTmpfs, unmount } from './support/smallDisk.js';

const message = (seq: number) =>
  streamEvent(seq, { session_id: `s${seq % 3}`, payloadJson: JSON.stringify({ pad: 'x'.repeat(300) }) });

const mountable = mountTmpfs('1m');
unmount(mountable);

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A replica of 4,000 events on a small tmpfs, its feed (steps of 500), and this node's DELETE below 3001 purged. */
async function purgedOnSmallDisk() {
  const disk = mountTmpfs('8m');
  if (disk === null) throw new Error('tmpfs not mountable');
  cleanups.push(() => unmount(disk));
  const replica = openReplica(join(disk, 'events.db'));
  const feed = new ReplicaFeed(replica, { onNotice: () => undefined, onFailure: () => undefined, stepOffsets: 500 });
  cleanups.push(() => {
    feed.close();
    replica.close();
  });
  const heard: number[] = [];
  feed.onDeleted((count) => heard.push(count));
  for (let seq = 1; seq <= 4_000; seq++) feed.apply(seq, null, message(seq));
  feed.flush();
  const retention = new StreamRetention({ streams: { purge: async () => ({}) } }, 'EVENTS', replica, feed);
  await retention.purge(3_001);
  return { disk, replica, feed, heard, retention };
}

/** The error `run` throws. */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('it did not throw');
}

describe.runIf(mountable !== null)('a cluster DELETE on a node whose disk is full (real tmpfs)', () => {
  it('a step the disk refuses: 503 saying the purge took and the steps go on; they end once there is room', async () => {
    const { disk, replica, heard, retention } = await purgedOnSmallDisk();
    expect(retention.boundary(3_001)).toBe(3_001);
    const filler = fill(disk);
    const error = thrown(() => retention.step(500, true));
    // Before: the store's refusal came at the replica's outer commit as a bare SqliteError (500), and nothing was told.
    expect(error).toBeInstanceOf(LogWriteError);
    expect(String(error)).toMatch(
      /^LogWriteError: storage unavailable on this node \(the disk is full\): the stream was purged below offset 3001, so every node deletes below it; this node's replica (deleted \d+ events so far \(every offset below \d+\) and )?deletes the rest by itself, retrying every second \(its \/stats first_offset reaches 3001 when done\); a retry of this DELETE is safe$/,
    );
    unlinkSync(filler);
    await waitFor(() => replica.firstOffset() === 3_001, 'the retried steps to reach the cut');
    // Who listens (the supervisor, to refold sessions) hears of every event the run deleted.
    expect(heard).toEqual([3_000]);
  });

  it('a cut the disk refuses to save: 503 saying the purge took; the replica follows it once there is room', async () => {
    const { disk, replica, feed, heard, retention } = await purgedOnSmallDisk();
    const filler = fill(disk);
    const error = thrown(() => retention.boundary(3_001));
    expect(error).toBeInstanceOf(LogWriteError);
    expect(String(error)).toBe(
      'LogWriteError: storage unavailable on this node (the disk is full): the stream was purged below offset 3001, ' +
        "so every node deletes below it; this node's replica follows it by itself once it can write again (its " +
        '/stats first_offset reaches 3001 when done); a retry of this DELETE is safe',
    );
    expect(replica.keptFrom()).toBe(1);
    unlinkSync(filler);
    // As the applier does about once a second: follow the stream's first sequence, which the purge moved.
    feed.follow(3_001);
    await waitFor(() => replica.firstOffset() === 3_001, 'the followed cut to be deleted');
    expect(heard).toEqual([3_000]);
  });
});
