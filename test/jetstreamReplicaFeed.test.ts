import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeEvent } from '../src/persistence/jetstream/eventMessage.js';
import { ReplicaFeed } from '../src/persistence/jetstream/replicaFeed.js';
import { StreamRetention } from '../src/persistence/jetstream/streamRetention.js';
import { SqliteReplicaLog } from '../src/persistence/sqliteReplicaLog.js';
import type { EventInput } from '../src/protocol/eventInput.js';

const encoder = new TextEncoder();
const input = (fields: Partial<EventInput> & { id?: string } = {}): EventInput & { id: string } => ({
  id: 'x',
  event_type: 'quiz_started',
  source: 'svc',
  session_id: null,
  user_id: null,
  payloadJson: '{}',
  ...fields,
});
const message = (ts: number, fields: Partial<EventInput> & { id?: string }, producer = false) =>
  encoder.encode(encodeEvent({ ts, producer, input: input(fields) }));

/** A replica and its feed, as a node opens them, restartable on the same file. */
function open(dir: string) {
  const replica = new SqliteReplicaLog({
    path: join(dir, 'events.db'),
    now: () => 0,
    newId: () => 'unused',
    newEpoch: () => 'e1',
    indexer: 'inline',
  });
  const failures: string[] = [];
  const notices: string[] = [];
  const feed = new ReplicaFeed(replica, { onNotice: (m) => notices.push(m), onFailure: () => failures.push('x') });
  return { replica, feed, notices, failures };
}

describe('ReplicaFeed over a SQLite replica (offset = stream sequence)', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'replica-feed-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('applies each message at its own sequence, at the publisher timestamp (never going back), and routes it', () => {
    const { replica, feed } = open(tempDir());
    const routed: number[] = [];
    feed.onApplied((records) => routed.push(...records.map((r) => r.offset)));
    feed.apply(1, null, message(1_000, { id: 'g1' }));
    feed.apply(2, null, message(1_000, { id: 'p1' }, true));
    feed.apply(3, null, message(900, { id: 'g2', event_type: 'timer_tick' }));
    feed.flush();
    expect(replica.readFrom(1, {}, 10).map((r) => [r.offset, r.id, r.ts])).toEqual([
      [1, 'g1', 1_000],
      [2, 'p1', 1_000],
      [3, 'g2', 1_000],
    ]);
    expect(routed).toEqual([1, 2, 3]);
    expect(feed.appliedSeq).toBe(3);
    expect(replica.stats(1_000).by_type).toEqual([
      { event_type: 'quiz_started', count: 2, last_seen: 1_000 },
      { event_type: 'timer_tick', count: 1, last_seen: 1_000 },
    ]);
    replica.close();
  });

  it('knows the stream holds more than it applied: the highest of its head, stream state, pending counts and acks', () => {
    const { replica, feed } = open(tempDir());
    feed.apply(1, null, message(1, { id: 'g1' }));
    feed.flush();
    expect(feed.knownHead()).toBe(1);
    feed.noteLast(40);
    feed.noteLast(30);
    expect(feed.knownHead()).toBe(40);
    void feed.expect(55);
    expect(feed.knownHead()).toBe(55);
    replica.close();
  });

  it('resumes after a restart exactly after the last applied sequence (the position is the replica head)', () => {
    const dir = tempDir();
    const first = open(dir);
    first.feed.apply(1, null, message(5, { id: 'g1' }));
    first.feed.apply(2, null, message(6, { id: 'p1' }, true));
    first.feed.flush();
    first.replica.close();
    const again = open(dir);
    expect(again.feed.nextSeq()).toBe(3);
    // A consumer that redelivers from an older sequence changes nothing.
    again.feed.apply(2, null, message(6, { id: 'p1' }, true));
    again.feed.apply(3, null, message(7, { id: 'g3' }));
    again.feed.flush();
    expect(again.replica.readFrom(1, {}, 10).map((r) => [r.offset, r.id])).toEqual([
      [1, 'g1'],
      [2, 'p1'],
      [3, 'g3'],
    ]);
    again.replica.close();
  });

  it('records a no-op offset for a producer id stored first and for a foreign message; stats do not count them', () => {
    const { replica, feed, notices } = open(tempDir());
    feed.apply(1, null, message(10, { id: 'p1', payloadJson: '{"a":1}' }, true));
    feed.apply(2, null, message(11, { id: 'p1', payloadJson: '{"a":2}' }, true));
    feed.apply(3, null, encoder.encode('hello from someone else'));
    feed.apply(4, null, message(12, { id: 'g4' }));
    feed.flush();
    expect(replica.readFrom(1, {}, 10).map((r) => r.offset)).toEqual([1, 4]);
    expect(replica.getById('p1')?.payloadJson).toBe('{"a":1}');
    expect(replica.noopOffsets(1, 10)).toEqual([
      { offset: 2, reason: 'producer id "p1" is already at offset 1' },
      { offset: 3, reason: expect.stringMatching(/^not an event message/) },
    ]);
    expect(replica.stats(12)).toMatchObject({ total_events: 2, events_last_hour: 2, head_offset: 4, first_offset: 1 });
    expect(notices.filter((n) => /recorded no-op/.test(n))).toHaveLength(2);
    replica.close();
  });

  it("stops at a message in another version's layout: nothing applied from it on, and a refusal said once", () => {
    const { replica, feed, notices } = open(tempDir());
    feed.apply(1, null, message(10, { id: 'g1' }));
    // A build of the earlier one-message-per-commit layout wrote offset 2. Before: a recorded no-op, its events
    // lost on this node, which stayed ready (probe: 22 acked events, 0 left on a node that joined).
    feed.apply(2, null, encoder.encode('{"v":1,"ts":11,"g":[[["a","timer_tick","s",null,null,"{}"]]],"n":[]}'));
    feed.apply(3, null, message(12, { id: 'g3' }));
    feed.flush();
    expect(replica.readFrom(1, {}, 10).map((r) => r.offset)).toEqual([1]);
    expect(replica.noopOffsets(1, 10)).toEqual([]);
    expect(replica.headOffset()).toBe(1);
    const refusal =
      'stream message 2 was written by another version of the event pipeline (layout v1 ({"v":…}, the earlier ' +
      'one-message-per-commit layout); this build reads v2): this node applies nothing from offset 2 on and refuses ' +
      'publishes; run one build on every node (README: "Upgrading a cluster")';
    expect(feed.refusal).toBe(refusal);
    expect(notices).toEqual([refusal]);
    // What comes later (a newer build's layout, say, or a redelivery) is not applied either, and not said again.
    feed.apply(3, null, message(12, { id: 'g3' }));
    feed.apply(4, null, encoder.encode('[3,13,"n",0,"timer_tick","s",null,null,"{}"]'));
    feed.flush();
    expect([replica.headOffset(), notices.length]).toEqual([1, 1]);
    replica.close();
  });

  it('follows a purge: a jump in sequence or a later first sequence deletes below it, and is reported', () => {
    const { replica, feed } = open(tempDir());
    const deleted: number[] = [];
    feed.onDeleted((count) => deleted.push(count));
    for (let seq = 1; seq <= 4; seq++) feed.apply(seq, null, message(seq, { id: `g${seq}` }));
    feed.flush();
    expect(feed.follow(3)).toBe(2);
    expect(replica.firstOffset()).toBe(3);
    // The consumer then delivers 7 (5 and 6 were purged meanwhile): everything below 7 goes.
    feed.apply(7, null, message(7, { id: 'g7' }));
    feed.flush();
    expect(replica.readFrom(1, {}, 10).map((r) => r.offset)).toEqual([7]);
    expect(replica.stats(7)).toMatchObject({ total_events: 1, head_offset: 7, first_offset: 7 });
    expect(deleted).toEqual([2, 2]);
    replica.close();
  });

  it('a DELETE answers the records it purged even when the replica followed the purge on its own first', async () => {
    const { replica, feed } = open(tempDir());
    for (let seq = 1; seq <= 4; seq++) feed.apply(seq, null, message(seq * 10, { id: `g${seq}` }));
    feed.flush();
    // The once-a-second follow of the stream's first sequence lands between the purge's answer and the delete.
    const purges: number[] = [];
    const streams = {
      purge: async (_stream: string, options: { seq: number }) => {
        purges.push(options.seq);
        feed.follow(options.seq);
        return { success: true, purged: 2 };
      },
    };
    const retention = new StreamRetention({ streams }, 'S', replica, feed);
    await retention.purge(30);
    expect(purges).toEqual([3]);
    expect(replica.firstOffset()).toBe(3);
    expect(retention.deleteBefore(30)).toBe(2);
    // A delete with nothing left to purge answers 0, not the last one's count.
    await retention.purge(30);
    expect(retention.deleteBefore(30)).toBe(0);
    replica.close();
  });

  it('starts an empty replica at the first remaining sequence after a purge of everything', () => {
    const { replica, feed } = open(tempDir());
    expect(feed.follow(11)).toBe(0);
    expect(replica.headOffset()).toBe(10);
    expect(replica.firstOffset()).toBe(11);
    expect(feed.nextSeq()).toBe(11);
    feed.apply(11, null, message(1, { id: 'g11' }));
    feed.flush();
    expect(replica.readFrom(1, {}, 10).map((r) => r.offset)).toEqual([11]);
    replica.close();
  });

  it('answers expect() for applied sequences as the replica holds them, large payloads too, and never after a delete', async () => {
    const { replica, feed } = open(tempDir());
    const large = `{"pad":"${'x'.repeat(5_000)}"}`;
    feed.apply(1, null, message(1_000, { id: 'g1' }));
    feed.apply(2, null, message(1_000, { id: 'g2', payloadJson: large }));
    feed.apply(3, null, encoder.encode('not an event'));
    feed.apply(4, null, message(1_000, { id: 'g3' }));
    feed.flush();
    const [one, two, three] = await Promise.all([feed.expect(1), feed.expect(2), feed.expect(3)]);
    expect(one).toEqual({ offset: 1, record: replica.readFrom(1, {}, 1)[0] });
    expect(two).toEqual({ offset: 2, record: replica.readFrom(2, {}, 1)[0] });
    expect(two.record?.payloadJson).toBe(large);
    const [noop] = replica.noopOffsets(3, 1);
    expect(three).toEqual({ offset: 3, record: null, reason: noop?.reason });
    expect(feed.follow(4)).toBe(2);
    expect(await feed.expect(1)).toEqual({ offset: 1, record: null, reason: 'deleted by retention' });
    expect(await feed.expect(4)).toEqual({ offset: 4, record: replica.readFrom(4, {}, 1)[0] });
  });

  it('decides a producer id the same way whether or not the replica followed the purge below the floor', () => {
    const ids = fc.constantFrom('p1', 'p2', 'p3');
    fc.assert(
      fc.property(
        fc.array(ids, { minLength: 1, maxLength: 8 }),
        fc.array(ids, { minLength: 1, maxLength: 8 }),
        fc.nat(8),
        (before, after, at) => {
          const cut = Math.min(at, before.length) + 1;
          const followed = open(tempDir());
          const lagging = open(tempDir());
          for (const node of [followed, lagging]) {
            for (const [i, id] of before.entries()) node.feed.apply(i + 1, null, message(i, { id }, true));
            node.feed.flush();
          }
          // One node saw the stream's purge below `cut` in time; the other applies what follows first. Both get the
          // messages a node published after it purged: their floor is `cut`.
          followed.feed.follow(cut);
          for (const node of [followed, lagging]) {
            for (const [i, id] of after.entries())
              node.feed.apply(before.length + 1 + i, null, message(9, { id }, true), cut);
            node.feed.flush();
          }
          const state = (r: SqliteReplicaLog) => ({
            events: r.readFrom(1, {}, 100),
            noops: r.noopOffsets(1, 100),
            first: r.firstOffset(),
          });
          expect(state(lagging.replica)).toEqual(state(followed.replica));
          // An id whose record (its first message) was below the cut is stored anew, at its first message after it.
          const { events } = state(followed.replica);
          for (const id of new Set(after)) {
            const stored = before.indexOf(id) + 1;
            const at = stored >= cut ? stored : before.length + 1 + after.indexOf(id);
            expect(events.filter((e) => e.id === id).map((e) => e.offset)).toEqual([at]);
          }
          followed.replica.close();
          lagging.replica.close();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('applies the same sequence the same way whatever the batches (every node agrees)', () => {
    const entry = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          id: fc.constantFrom('p1', 'p2', 'p3', 'g'),
          payload: fc.constantFrom('{}', '{"a":1}'),
          ts: fc.integer({ min: 0, max: 20 }),
        }),
      },
      { weight: 1, arbitrary: fc.constant(null) },
    );
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 25 }), fc.array(fc.nat(25), { maxLength: 4 }), (entries, cuts) => {
        const messages = entries.map((e, i) =>
          e === null
            ? encoder.encode('foreign')
            : message(e.ts, { id: e.id === 'g' ? `g${i}` : e.id, payloadJson: e.payload }, e.id !== 'g'),
        );
        const a = open(tempDir());
        const b = open(tempDir());
        for (const [i, data] of messages.entries()) a.feed.apply(i + 1, null, data);
        a.feed.flush();
        messages.forEach((data, i) => {
          b.feed.apply(i + 1, null, data);
          if (cuts.includes(i)) b.feed.flush();
        });
        b.feed.flush();
        const state = (r: SqliteReplicaLog) => ({
          events: r.readFrom(1, {}, 100),
          noops: r.noopOffsets(1, 100),
          head: r.headOffset(),
        });
        expect(state(b.replica)).toEqual(state(a.replica));
        const { events, noops, head } = state(a.replica);
        // Dense except for recorded no-op offsets; each producer id appended once, at its first message.
        expect([...events.map((e) => e.offset), ...noops.map((n) => n.offset)].sort((x, y) => x - y)).toEqual(
          Array.from({ length: head }, (_, i) => i + 1),
        );
        for (const id of ['p1', 'p2', 'p3']) {
          const first = entries.findIndex((e) => e?.id === id);
          expect(events.filter((e) => e.id === id).map((e) => e.offset)).toEqual(first === -1 ? [] : [first + 1]);
        }
        a.replica.close();
        b.replica.close();
      }),
      { numRuns: 40 },
    );
  });
});
