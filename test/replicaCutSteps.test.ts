import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CutSteps } from '../src/persistence/jetstream/cutSteps.js';
import { ReplicaFeed } from '../src/persistence/jetstream/replicaFeed.js';
import { StreamRetention } from '../src/persistence/jetstream/streamRetention.js';
import { RetentionStepError } from '../src/persistence/retention.js';
import type { SqliteReplicaLog } from '../src/persistence/sqliteReplicaLog.js';
import { openReplica, streamEvent } from './support/replicaNode.js';

/** A stream message: an event whose id is the producer's (`p…`, first write wins) or the publisher's (`g<seq>`). */
const message = (seq: number, producerId?: string) =>
  streamEvent(seq, { id: producerId ?? `g${seq}`, session_id: `s${seq % 3}` }, producerId !== undefined);

const dirs: string[] = [];
const opened: { feed: ReplicaFeed; replica: SqliteReplicaLog }[] = [];
afterEach(() => {
  for (const { feed, replica } of opened.splice(0)) {
    feed.close();
    replica.close();
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A replica and its feed as a node opens them (`stepOffsets` per step), on `dir` (a new one when absent). */
function node(stepOffsets: number, dir = mkdtempSync(join(tmpdir(), 'cut-steps-'))) {
  if (!dirs.includes(dir)) dirs.push(dir);
  const replica = openReplica(join(dir, 'events.db'));
  const notices: string[] = [];
  const feed = new ReplicaFeed(replica, { onNotice: (m) => notices.push(m), onFailure: () => undefined, stepOffsets });
  const handle = { feed, replica };
  opened.push(handle);
  const deleted: number[] = [];
  feed.onDeleted((count) => deleted.push(count));
  const fill = (from: number, to: number) => {
    for (let seq = from; seq <= to; seq++) feed.apply(seq, null, message(seq));
    feed.flush();
  };
  const offsets = () => replica.readFrom(1, {}, 10_000).map((r) => r.offset);
  const close = () => {
    opened.splice(opened.indexOf(handle), 1);
    feed.close();
    replica.close();
  };
  return { dir, replica, feed, notices, deleted, fill, offsets, close };
}

/**
 * This node's DELETE purged below `before` (a stream that takes every purge), then its steps taken as
 * StepwiseRetention takes them: a step, done once the first offset reached the boundary, else the next turn.
 * Returns the boundary and each step's count.
 */
async function deleteInSteps(replica: SqliteReplicaLog, feed: ReplicaFeed, before: number, limit: number) {
  const streams = { purge: async () => ({ success: true }) };
  const retention = new StreamRetention({ streams }, 'EVENTS', replica, feed);
  await retention.purge(before);
  const boundary = retention.boundary(before);
  const firstAfterBegin = replica.firstOffset();
  const counts: number[] = [];
  for (;;) {
    counts.push(retention.step(limit));
    if (replica.firstOffset() >= boundary) break;
    await turns(1);
  }
  return { boundary, firstAfterBegin, counts };
}

/** Let the steps scheduled on later turns of the event loop run. */
const turns = async (count: number) => {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('a followed purge deletes in steps, each its own transaction, between turns of the event loop', () => {
  it('passes the cut at once and deletes below it step by step; who listens hears the total once', async () => {
    const { replica, feed, deleted, fill, offsets } = node(10);
    fill(1, 50);
    expect(feed.follow(36)).toBe(35);
    // The first step now; the position is past the cut already, so a redelivered message below it is not applied.
    expect([replica.firstOffset(), replica.keptFrom(), feed.nextSeq()]).toEqual([11, 36, 51]);
    feed.apply(20, null, message(20));
    feed.flush();
    expect(replica.headOffset()).toBe(50);
    await turns(1);
    expect(replica.firstOffset()).toBe(21);
    expect(deleted).toEqual([]);
    await turns(5);
    expect(offsets()).toEqual(Array.from({ length: 15 }, (_, i) => 36 + i));
    expect([replica.firstOffset(), replica.stats(50).total_events]).toEqual([36, 15]);
    expect(deleted).toEqual([35]);
  });

  it('frees the producer ids below the cut at once: an id republished meanwhile is stored, as where the delete is done', () => {
    const { replica, feed } = node(5);
    feed.apply(1, null, message(1, 'p1'));
    for (let seq = 2; seq <= 30; seq++) feed.apply(seq, null, message(seq));
    feed.flush();
    feed.follow(31);
    expect(replica.firstOffset()).toBe(6);
    // p1 (offset 1) is gone with the first step; p7 is below the cut but not deleted yet.
    expect(replica.getById('g7')).toBeNull();
    feed.apply(31, null, message(31, 'p1'));
    feed.apply(32, null, message(32, 'g7'));
    feed.apply(33, null, message(33, 'g7'));
    feed.flush();
    expect(replica.readFrom(31, {}, 10).map((r) => [r.offset, r.id])).toEqual([
      [31, 'p1'],
      [32, 'g7'],
    ]);
    expect(replica.noopOffsets(31, 10)).toEqual([{ offset: 33, reason: 'producer id "g7" is already at offset 32' }]);
    // A producer's id below the cut: the old row still stands (offset 12), the id is free and its new event found.
    const three = node(5);
    for (let seq = 1; seq <= 20; seq++) three.feed.apply(seq, null, message(seq, `p${seq}`));
    three.feed.flush();
    three.feed.follow(21);
    expect(three.replica.readFrom(12, {}, 1)[0]?.id).toBe('p12');
    three.feed.apply(21, null, message(21, 'p12'));
    three.feed.apply(22, null, message(22, 'p12'));
    three.feed.flush();
    expect(three.replica.getById('p12')?.offset).toBe(21);
    expect(three.replica.noopOffsets(1, 10)).toEqual([
      { offset: 22, reason: 'producer id "p12" is already at offset 21' },
    ]);
  });

  it('goes on with a delete a restart cut short, and frees its ids from the first moment', async () => {
    const first = node(10);
    first.feed.apply(1, null, message(1, 'p1'));
    first.fill(2, 60);
    first.feed.follow(41);
    expect(first.replica.firstOffset()).toBe(11);
    first.close();
    const again = node(10, first.dir);
    expect([again.replica.firstOffset(), again.replica.keptFrom(), again.feed.nextSeq()]).toEqual([11, 41, 61]);
    expect(again.replica.getById('g20')).toBeNull();
    await turns(5);
    expect(again.offsets()).toEqual(Array.from({ length: 20 }, (_, i) => 41 + i));
    expect(again.deleted).toEqual([30]);
  });

  it("answers this node's DELETE, taken in steps, with every event it deleted, whoever took the steps", async () => {
    const { replica, feed, fill, deleted } = node(7);
    fill(1, 40);
    // One step a turn: the DELETE's own while the feed's is not due, else the feed's (which counts for it too).
    const { boundary, firstAfterBegin, counts } = await deleteInSteps(replica, feed, 31, 7);
    expect([boundary, firstAfterBegin]).toEqual([31, 8]);
    expect(counts.reduce((sum, n) => sum + n, 0)).toBe(30);
    expect(counts.length).toBeLessThanOrEqual(5);
    expect(replica.firstOffset()).toBe(31);
    // The DELETE's own sessions reset is its own (StepwiseRetention): the followed-delete listener is not told.
    expect(deleted).toEqual([]);
  });

  it("counts in this node's DELETE only its own events while another purge's steps are still under way", async () => {
    const { replica, feed, fill } = node(5);
    fill(1, 40);
    // Another node's purge below 21: one step now (1-5), 6-20 left for later turns.
    feed.follow(21);
    expect(replica.firstOffset()).toBe(6);
    const { counts } = await deleteInSteps(replica, feed, 31, 5);
    // 21-30 are this DELETE's; 6-20 were the other purge's (before: 25).
    expect(counts.reduce((sum, n) => sum + n, 0)).toBe(10);
  });

  it("tells this node's DELETE whose step the store refused that the purge took and the steps go on", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { replica, feed, fill, deleted } = node(5);
      fill(1, 40);
      const retention = new StreamRetention({ streams: { purge: async () => ({}) } }, 'EVENTS', replica, feed);
      await retention.purge(31);
      const boundary = retention.boundary(31);
      await turns(1);
      const full = vi.spyOn(replica, 'deleteCutStep').mockImplementation(() => {
        throw new RetentionStepError('the disk is full', {});
      });
      expect(() => retention.step(5, true)).toThrow(
        'storage unavailable on this node (the disk is full): the stream was purged below offset 31, so every node ' +
          "deletes below it; this node's replica deleted 10 events so far (every offset below 11) and deletes the rest " +
          'by itself, retrying every second (its /stats first_offset reaches 31 when done); a retry of this DELETE is safe',
      );
      full.mockRestore();
      vi.advanceTimersByTime(1_000);
      await turns(10);
      // The steps finished it, and the sessions are refolded: who listens hears of every event the run deleted.
      expect([boundary, replica.firstOffset(), deleted]).toEqual([31, 31, [30]]);
    } finally {
      vi.useRealTimers();
    }
  });

  // Hint: some producer ids are ids a publisher gave lately (g<seq>): the in-memory tail still names those below the cut.
  const producerId = (id: number, next: number) => (id % 4 === 3 ? `p${id % 5}` : `g${Math.max(1, next - 1 - id)}`);
  it('decides every message as a replica that deletes in one transaction does, wherever the steps fall (property)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('apply' as const), count: fc.integer({ min: 1, max: 6 }), id: fc.nat(30) }),
      fc.record({ kind: fc.constant('follow' as const), ahead: fc.integer({ min: -10, max: 12 }) }),
      fc.record({ kind: fc.constant('step' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), fc.integer({ min: 1, max: 4 }), (ops, stepOffsets) => {
        const stepped = node(stepOffsets);
        const whole = node(1_000_000);
        try {
          for (const o of ops) {
            if (o.kind === 'step') {
              stepped.feed.cutSteps.step();
              continue;
            }
            for (const { feed } of [stepped, whole]) {
              const next = feed.nextSeq();
              if (o.kind === 'follow') feed.follow(Math.max(1, next + o.ahead));
              else {
                for (let seq = next; seq < next + o.count; seq++)
                  feed.apply(seq, null, message(seq, seq % 2 === 0 ? producerId(o.id, next) : undefined));
                feed.flush();
              }
            }
            const kept = (n: typeof whole) =>
              n.replica.readFrom(n.replica.keptFrom(), {}, 10_000).map((r) => `${r.offset}:${r.id}`);
            expect(kept(stepped)).toEqual(kept(whole));
            expect(stepped.replica.noopOffsets(stepped.replica.keptFrom(), 10_000)).toEqual(
              whole.replica.noopOffsets(whole.replica.keptFrom(), 10_000),
            );
          }
          while (stepped.feed.cutSteps.underWay) stepped.feed.cutSteps.step();
          expect(stepped.offsets()).toEqual(whole.offsets());
          expect(stepped.replica.stats(0)).toEqual(whole.replica.stats(0));
        } finally {
          stepped.close();
          whole.close();
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('CutSteps when the store refuses a step', () => {
  it('says so once, tries again every second, and goes on when it can', () => {
    vi.useFakeTimers();
    try {
      let first = 1;
      let failing = true;
      const replica = {
        keptFrom: () => 10,
        firstOffset: () => first,
        deleteCutStep: (limit: number) => {
          if (failing) throw new Error('database or disk is full');
          const before = first;
          first = Math.min(10, first + limit);
          return first - before;
        },
      };
      const notices: string[] = [];
      const steps = new CutSteps(replica, { onNotice: (m) => notices.push(m), stepOffsets: 4 });
      const told: number[] = [];
      steps.listener = (n) => told.push(n);
      steps.start(true);
      vi.advanceTimersByTime(3_000);
      expect(notices).toEqual([
        'replica feed: deleting below offset 10 failed (database or disk is full); retrying every second',
      ]);
      expect(first).toBe(1);
      failing = false;
      vi.advanceTimersByTime(1_000);
      vi.runAllTimers();
      expect([first, told, notices.length]).toEqual([10, [9], 1]);
      steps.close();
      // A step this node's DELETE takes and the store refuses is tried again a second later too.
      const again = new CutSteps(replica, { onNotice: (m) => notices.push(m), stepOffsets: 4 });
      first = 1;
      failing = true;
      expect(() => again.step()).toThrow('database or disk is full');
      failing = false;
      vi.advanceTimersByTime(1_000);
      vi.runAllTimers();
      expect(first).toBe(10);
      again.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
