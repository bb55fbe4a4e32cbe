import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { LogWriteError } from '../src/persistence/eventLog.js';
import { ReplicaFeed } from '../src/persistence/jetstream/replicaFeed.js';
import { followFirst } from '../src/persistence/jetstream/streamFollow.js';
import { StreamRetention } from '../src/persistence/jetstream/streamRetention.js';
import { openReplica, streamEvent } from './support/replicaNode.js';

const message = (seq: number) => streamEvent(seq);

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A replica and its feed as a cluster node opens them: guarded, so it deletes only as far as a recorded purge. */
function guarded() {
  const dir = mkdtempSync(join(tmpdir(), 'purge-guard-'));
  dirs.push(dir);
  const path = join(dir, 'events.db');
  const replica = openReplica(path);
  const notices: string[] = [];
  const feed = new ReplicaFeed(replica, {
    onNotice: (m) => notices.push(m),
    onFailure: () => undefined,
    permit: replica.firstOffset(),
  });
  const fill = (from: number, to: number) => {
    for (let seq = from; seq <= to; seq++) feed.apply(seq, null, message(seq));
    feed.flush();
  };
  const offsets = () => replica.readFrom(1, {}, 1_000).map((r) => r.offset);
  return { replica, feed, notices, fill, offsets };
}

describe('a replica deletes below the stream only as far as a recorded purge (PurgeMarks)', () => {
  it('keeps its events when the first sequence passes every recorded purge, says so once, and still moves on', () => {
    const { replica, feed, notices, fill, offsets } = guarded();
    fill(1, 10);
    feed.allow(4);
    // The stream came back with first sequence 9 (a server fault): only the recorded cut, 4, is followed.
    expect(feed.follow(9)).toBe(3);
    expect(offsets()).toEqual([4, 5, 6, 7, 8, 9, 10]);
    feed.tellUnmarked(9);
    feed.tellUnmarked(9);
    expect(notices).toEqual([
      "the stream's first sequence is 9, beyond the last cut DELETE /events recorded (4): sequences 4-8 left the " +
        'stream without a purge of this pipeline (a NATS server fault, or a purge made outside it); this replica keeps ' +
        'the 5 event(s) it holds there and deletes none of them (README: "A replica deletes only what a DELETE asked for")',
    ]);
    expect(replica.stats(10)).toMatchObject({ first_offset: 4, head_offset: 10, total_events: 7 });
    // A purge recorded later is followed as far as it reaches.
    feed.allow(7);
    expect(feed.follow(9)).toBe(3);
    expect(offsets()).toEqual([7, 8, 9, 10]);
    replica.close();
  });

  it('keeps the loss as figures (/stats, /metrics) until a recorded purge reaches past it, a held-nothing one too', async () => {
    const { replica, feed, fill } = guarded();
    fill(1, 10);
    const info = (first: number) => ({ state: { first_seq: first }, config: {} }) as Parameters<typeof followFirst>[1];
    let mark = 4;
    const marks = { read: async () => mark };
    await followFirst({ sink: feed, marks }, info(4));
    expect(feed.unmarked.current()).toBeNull();
    await followFirst({ sink: feed, marks }, info(9));
    expect(feed.unmarked.current()).toEqual({ from: 4, to: 8, kept: 5 });
    // Every poll finds the same; a DELETE recorded within the loss narrows it (what that deleted is kept no more).
    await followFirst({ sink: feed, marks }, info(9));
    expect(feed.unmarked.current()).toEqual({ from: 4, to: 8, kept: 5 });
    mark = 7;
    await followFirst({ sink: feed, marks }, info(9));
    expect(feed.unmarked.current()).toEqual({ from: 7, to: 8, kept: 2 });
    // A DELETE recorded past it ends it at once (this node's own allows its cut), and so does the next poll.
    feed.allow(12);
    expect(feed.unmarked.current()).toBeNull();
    mark = 12;
    await followFirst({ sink: feed, marks }, info(12));
    expect(feed.unmarked.current()).toBeNull();
    // A replica holding none of what the stream lost is told nothing, and its figures say it keeps none.
    const fresh = guarded();
    await followFirst({ sink: fresh.feed, marks: { read: async () => 1 } }, info(50));
    expect([fresh.feed.unmarked.current(), fresh.notices]).toEqual([{ from: 1, to: 49, kept: 0 }, []]);
    replica.close();
    fresh.replica.close();
  });

  it('passes a first sequence it holds nothing below (a new replica, or one behind) without keeping a hole open', () => {
    const { replica, feed, notices, fill, offsets } = guarded();
    fill(1, 3);
    feed.allow(2);
    // Behind: the stream lost 4-19 before this replica applied them; they cannot be applied now, so it moves on.
    expect(feed.follow(20)).toBe(1);
    expect(feed.nextSeq()).toBe(20);
    feed.tellUnmarked(20);
    expect(notices).toHaveLength(1);
    fill(20, 21);
    expect(offsets()).toEqual([2, 3, 20, 21]);
    // What it never applied is no silent hole: each offset is a recorded no-op saying why (/stats counts them so).
    const noops = replica.noopOffsets(1, 100);
    expect(noops.map((n) => n.offset)).toEqual(Array.from({ length: 16 }, (_, i) => 4 + i));
    expect(noops[0]!.reason).toBe(
      'lost from the stream without a purge (its first sequence 20 passed the recorded cut 2)',
    );
    expect(replica.stats(21)).toMatchObject({ first_offset: 2, head_offset: 21, total_events: 4 });
    // With nothing held between the recorded cut and the first sequence, it follows the first sequence whole.
    const fresh = guarded();
    expect(fresh.feed.follow(50)).toBe(0);
    fresh.feed.tellUnmarked(50);
    expect([fresh.replica.firstOffset(), fresh.feed.nextSeq(), fresh.notices]).toEqual([50, 50, []]);
    replica.close();
    fresh.replica.close();
  });

  it("takes a message's floor as a recorded purge: its publisher deleted below it, so every replica does", () => {
    const { replica, feed, offsets, fill } = guarded();
    fill(1, 5);
    feed.apply(6, null, message(6), 4);
    feed.flush();
    expect(offsets()).toEqual([4, 5, 6]);
    expect(feed.permitted()).toBe(4);
    replica.close();
  });

  it('never deletes an event at or above the highest recorded cut, whatever the stream says (property)', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('allow' as const), at: fc.integer({ min: 1, max: 60 }) }),
      fc.record({ kind: fc.constant('follow' as const), at: fc.integer({ min: 1, max: 60 }) }),
      fc.record({ kind: fc.constant('apply' as const), at: fc.integer({ min: 1, max: 5 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 25 }), (steps) => {
        const { replica, feed, offsets } = guarded();
        try {
          const applied = new Set<number>();
          let allowed = 1;
          for (const { kind, at } of steps) {
            if (kind === 'allow') {
              feed.allow(at);
              allowed = Math.max(allowed, at);
            } else if (kind === 'follow') feed.follow(at);
            else {
              const from = feed.nextSeq();
              for (let seq = from; seq < from + at; seq++) feed.apply(seq, null, message(seq));
              feed.flush();
              for (let seq = from; seq < from + at; seq++) applied.add(seq);
            }
            const held = new Set(offsets());
            for (const seq of applied) if (seq >= allowed && !held.has(seq)) return false;
          }
          return true;
        } finally {
          replica.close();
        }
      }),
      { numRuns: 40 },
    );
  });

  it("records a DELETE's cut before it purges, and purges nothing when the cut cannot be recorded", async () => {
    const { replica, feed, fill, offsets } = guarded();
    fill(1, 6);
    const steps: string[] = [];
    const streams = {
      purge: async (_stream: string, options: { seq: number }) => {
        steps.push(`purge ${options.seq}`);
        feed.follow(options.seq);
        return { success: true };
      },
    };
    const marks = { raise: async (cut: number) => void steps.push(`mark ${cut}`) };
    const retention = new StreamRetention({ streams }, 'EVENTS', replica, feed, marks);
    await retention.purge(4);
    expect(steps).toEqual(['mark 4', 'purge 4']);
    expect(retention.deleteBefore(4)).toBe(3);
    expect(offsets()).toEqual([4, 5, 6]);
    const unrecorded = new StreamRetention({ streams }, 'EVENTS', replica, feed, {
      raise: async () => {
        throw new Error('no responders available for request');
      },
    });
    const refused = await unrecorded.purge(6).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LogWriteError);
    expect((refused as Error).message).toBe(
      "the purge's cut could not be recorded in stream EVENTS-purges (no responders available for request); nothing " +
        'was deleted, retry',
    );
    expect(steps).toHaveLength(2);
    expect(offsets()).toEqual([4, 5, 6]);
    replica.close();
  });

  it('keeps what was delivered but not applied yet when the first sequence passes it', () => {
    const { feed, fill, offsets, replica } = guarded();
    fill(1, 4);
    for (let seq = 5; seq <= 8; seq++) feed.apply(seq, null, message(seq));
    feed.follow(7);
    expect(offsets()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(feed.nextSeq()).toBe(9);
    replica.close();
  });

  it('follows nothing while the mark cannot be read, so no floor passes a purge it has not seen', async () => {
    const { feed, replica } = guarded();
    const info = (first: number) => ({ state: { first_seq: first }, config: {} }) as Parameters<typeof followFirst>[1];
    const unreadable = { read: async () => null };
    await followFirst({ sink: feed, marks: unreadable }, info(9));
    expect([replica.firstOffset(), feed.nextSeq(), feed.permitted()]).toEqual([1, 1, 1]);
    const readable = { read: async () => 9 };
    await followFirst({ sink: feed, marks: readable }, info(9));
    expect([replica.firstOffset(), feed.nextSeq(), feed.permitted()]).toEqual([9, 9, 9]);
    replica.close();
  });

  it('records what a stream limit dropped as a cut, so a limit lifted later does not turn it into a loss', async () => {
    const { feed, replica, fill, offsets } = guarded();
    fill(1, 6);
    const raised: number[] = [];
    const marks = { read: async () => 1, raise: async (cut: number) => void raised.push(cut) };
    const limited = { state: { first_seq: 4 }, config: { max_age: 3_000_000_000 } } as Parameters<
      typeof followFirst
    >[1];
    await followFirst({ sink: feed, marks }, limited);
    expect([raised, offsets(), feed.permitted()]).toEqual([[4], [4, 5, 6], 4]);
    replica.close();
  });
});
