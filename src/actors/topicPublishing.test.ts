import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EventFilter, matchesFilter } from '../protocol/eventFilter.js';
import { recordJson, type StoredEvent } from '../protocol/eventRecord.js';
import { EVENT_TYPES } from '../protocol/eventTypes.js';
import { CommitRouter, commitJson } from './commitRouter.js';
import type { FakeSocket } from './fakeSocket.js';
import { FakeTopics } from './topicFake.js';

const TYPES = EVENT_TYPES.slice(0, 3);
const pool = fc.constantFrom('a', 'b');
const filterArb: fc.Arbitrary<EventFilter> = fc.oneof(
  fc.constant({}),
  fc.record({ event_types: fc.array(fc.constantFrom(...TYPES), { minLength: 1, maxLength: 2 }) }),
  fc.record({ source: pool }),
  fc.record({ session_id: pool }),
);
const fieldsArb: fc.Arbitrary<Fields> = fc.record({
  event_type: fc.constantFrom(...TYPES),
  session_id: fc.option(pool, { nil: null }),
  user_id: fc.constant(null),
  source: pool,
});

type Fields = Pick<StoredEvent, 'event_type' | 'session_id' | 'user_id' | 'source'>;

/** Commits with dense offsets from 1. */
function commits(sizes: readonly (readonly Fields[])[]): StoredEvent[][] {
  let offset = 0;
  return sizes.map((fields) =>
    fields.map((f) => {
      offset++;
      return { ...f, offset, id: `e${offset}`, payloadJson: '{}', ts: offset };
    }),
  );
}

describe('topic fan-out', () => {
  it('gives every subscriber, on a topic or not, exactly the naive filter’s records, and a lagged one everything below where it left', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ filter: filterArb, batch: fc.boolean(), stallAt: fc.option(fc.nat(5), { nil: null }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.array(fc.array(fieldsArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }),
        (subs, shapes) => {
          const topics = new FakeTopics();
          const router = new CommitRouter(100);
          const sockets: FakeSocket[] = [];
          const direct = new Map<string, number[]>();
          const leftAt = new Map<string, number>();
          subs.forEach((sub, i) => {
            const socket = topics.socket();
            sockets.push(socket);
            router.file(`s${i}`, sub.filter, sub.batch, socket);
            router.join(`s${i}`, 1);
            direct.set(`s${i}`, []);
          });
          const all = commits(shapes);
          all.forEach((records, c) => {
            subs.forEach((sub, i) => {
              if (sub.stallAt === c) sockets[i]!.buffered = 1_000;
            });
            const lagged = (id: string, from: number) => {
              leftAt.set(id, from);
              router.leave(id);
            };
            const json = commitJson(records);
            for (const d of router.route(records, { json, now: c, lagged })) {
              if (!leftAt.has(d.id)) direct.get(d.id)!.push(...d.records.map((r) => r.offset));
            }
          });
          subs.forEach((sub, i) => {
            const upTo = leftAt.get(`s${i}`) ?? Number.POSITIVE_INFINITY;
            const expected = all
              .flat()
              .filter((r) => r.offset < upTo && matchesFilter(sub.filter, r))
              .map((r) => r.offset);
            const got = [...sockets[i]!.records().map((r) => r.offset), ...direct.get(`s${i}`)!];
            expect(got).toEqual(expected);
          });
        },
      ),
    );
  });

  it('publishes once per record per touched topic, one frame per commit with batch:true, a session filter on its own topic', () => {
    const topics = new FakeTopics();
    const router = new CommitRouter(1 << 20);
    const a = topics.socket();
    const b = topics.socket();
    const c = topics.socket();
    const s = topics.socket();
    router.file('a', {}, false, a);
    router.file('b', {}, false, b);
    router.file('c', {}, true, c);
    router.file('s', { session_id: 'x' }, false, s);
    for (const id of ['a', 'b', 'c', 's']) expect(router.join(id, 1)).toBe(true);
    expect(topics.topicsOf(a)).toEqual(topics.topicsOf(b));
    expect(new Set([a, c, s].map((socket) => topics.topicsOf(socket)[0])).size).toBe(3);
    const records = commits([
      [
        { event_type: TYPES[0]!, session_id: 'x', user_id: null, source: 'p' },
        { event_type: TYPES[1]!, session_id: 'y', user_id: null, source: 'p' },
      ],
    ])[0]!;
    const deliveries = router.route(records, { json: commitJson(records), now: 1, lagged: () => undefined });
    expect(deliveries).toEqual([]);
    // Each touched topic gets its records once, in offset order (topics in any order).
    const [firehose, framed, session] = [a, c, s].map((socket) => topics.topicsOf(socket)[0]);
    const textsOf = (topic: string | undefined) => topics.published.filter((p) => p.topic === topic).map((p) => p.text);
    expect(topics.published).toHaveLength(4);
    expect(textsOf(firehose)).toEqual([recordJson(records[0]!), recordJson(records[1]!)]);
    expect(textsOf(framed)).toEqual([`[${recordJson(records[0]!)},${recordJson(records[1]!)}]`]);
    expect(textsOf(session)).toEqual([recordJson(records[0]!)]);
    expect(a.records().map((r) => r.offset)).toEqual([1, 2]);
    expect(b.sent).toEqual(a.sent);
    expect(s.records().map((r) => r.offset)).toEqual([1]);
    expect(router.takeTopicDeliveries()).toBe(7);
    expect(router.topicActivity('a')).toBe(1);
    expect(router.topicActivity('s')).toBe(1);
  });

  it('holds a join until routing reaches its offset, delivering directly meanwhile, and subscribes it before that commit', () => {
    const topics = new FakeTopics();
    const router = new CommitRouter(1 << 20);
    const socket = topics.socket();
    router.file('a', {}, false, socket);
    const [first, second, third] = commits([
      [{ event_type: TYPES[0]!, session_id: null, user_id: null, source: 'p' }],
      [{ event_type: TYPES[0]!, session_id: null, user_id: null, source: 'p' }],
      [{ event_type: TYPES[0]!, session_id: null, user_id: null, source: 'p' }],
    ]);
    // Replay read through offset 2 before offset 1 was routed: the join waits for routing to reach 3.
    expect(router.join('a', 3)).toBe(true);
    const opts = (records: StoredEvent[]) => ({ json: commitJson(records), now: 0, lagged: () => undefined });
    expect(router.route(first!, opts(first!)).map((d) => d.id)).toEqual(['a']);
    expect(router.route(second!, opts(second!)).map((d) => d.id)).toEqual(['a']);
    expect(topics.topicsOf(socket)).toEqual([]);
    expect(router.route(third!, opts(third!))).toEqual([]);
    expect(socket.records().map((r) => r.offset)).toEqual([3]);
  });

  it('moves a refiled subscriber off its old topic, and forgets a closed one', () => {
    const topics = new FakeTopics();
    const router = new CommitRouter(1 << 20);
    const socket = topics.socket();
    router.file('a', {}, false, socket);
    router.join('a', 1);
    const [old] = topics.topicsOf(socket);
    router.file('a', { source: 'p' }, false);
    expect(topics.topicsOf(socket)).toEqual([]);
    router.join('a', 1);
    expect(topics.topicsOf(socket)).not.toEqual([old]);
    expect(topics.topicsOf(socket)).toHaveLength(1);
    router.forget('a');
    expect(topics.topicsOf(socket)).toEqual([]);
    expect(router.size).toBe(0);
  });

  it('never lets a topic member hold more than its bound, and sends it every record up to where it resumes from the log', () => {
    const memberArb = fc.record({
      batch: fc.boolean(),
      drains: fc.array(fc.nat({ max: 3 * BOUND }), { maxLength: 40 }),
    });
    fc.assert(
      fc.property(
        fc.array(memberArb, { minLength: 1, maxLength: 4 }),
        commitsArb,
        (members, pads) => void fill(members, pads),
      ),
    );
  });

  it('reads the buffers of members that keep up about once per bound of traffic, not once per commit', () => {
    const memberArb = fc.record({ batch: fc.boolean(), drains: fc.constant([]) });
    fc.assert(
      fc.property(fc.array(memberArb, { minLength: 1, maxLength: 4 }), smallCommitsArb, (members, pads) => {
        const { reads, joins, published, largestCommit } = fill(members, pads, true);
        // A join reads its member once. A check reads each member once, when what was published since the last and
        // the next piece (at most a commit here) would pass the bound: once per bound less a piece of traffic.
        const checks = Math.floor(published / (BOUND - Math.min(largestCommit, BOUND / 2)));
        expect(reads).toBeLessThanOrEqual(joins + members.length * checks);
      }),
    );
  });
});

const BOUND = 4_000;
const commitsArb = fc.array(fc.array(fc.nat({ max: 1_500 }), { minLength: 1, maxLength: 6 }), { maxLength: 40 });
/** Commits far under the bound (records of about 150–350 bytes), so a check per commit would be many times too many. */
const smallCommitsArb = fc.array(fc.array(fc.nat({ max: 100 }), { minLength: 1, maxLength: 3 }), { maxLength: 60 });

/**
 * Route commits of records padded with `pads` (two UTF-8 bytes a character) to firehose members on one topic, whose
 * sockets keep what is sent until the member drains its `drains[c]` after commit c (everything, with `keepUp`). A
 * member told it lagged rejoins once it has drained to its bound. Each commit asserts that no member's buffer passed
 * the bound, and that a member on the topic got every record up to where it was told to resume from the log (all of
 * them when it was not). Returns the buffer reads, the joins, the bytes published and the largest commit's.
 */
function fill(
  members: readonly { batch: boolean; drains: readonly number[] }[],
  pads: readonly (readonly number[])[],
  keepUp = false,
) {
  const topics = new FakeTopics();
  const router = new CommitRouter(BOUND);
  let reads = 0;
  let joins = 0;
  const onTopic = new Set<number>();
  const lagged = new Set<number>();
  const join = (i: number, from: number) => {
    router.join(`m${i}`, from);
    onTopic.add(i);
    joins++;
  };
  const sockets = members.map((member, i) => {
    const socket = topics.socket();
    socket.send = (text) => {
      socket.sent.push(text);
      socket.buffered += Buffer.byteLength(text, 'utf8');
    };
    socket.bufferedAmount = () => {
      reads++;
      return socket.buffered;
    };
    router.file(`m${i}`, {}, member.batch, socket);
    join(i, 1);
    return socket;
  });
  let offset = 0;
  let published = 0;
  let largestCommit = 0;
  for (const [c, sizes] of pads.entries()) {
    const records: StoredEvent[] = sizes.map((pad) => {
      offset++;
      const payloadJson = JSON.stringify({ pad: 'é'.repeat(pad) });
      return {
        event_type: TYPES[0]!,
        session_id: null,
        user_id: null,
        source: 'p',
        offset,
        id: `e${offset}`,
        payloadJson,
        ts: 0,
      };
    });
    const before = sockets.map((socket) => ({ sent: socket.sent.length, buffered: socket.buffered }));
    const wasOn = new Set(onTopic);
    const lagFrom = new Map<number, number>();
    const lag = (id: string, from: number) => {
      const i = Number(id.slice(1));
      lagged.add(i);
      lagFrom.set(i, from);
      onTopic.delete(i);
    };
    router.route(records, { json: commitJson(records), now: c, lagged: lag });
    for (const [i, socket] of sockets.entries()) {
      const got = socket.sent
        .slice(before[i]!.sent)
        .flatMap((text) => [JSON.parse(text) as { offset: number }].flat().map((r) => r.offset));
      // Every record here is smaller than the bound, so no member ever holds more than it.
      if (got.length > 0) expect(socket.buffered).toBeLessThanOrEqual(BOUND);
      // A member on the topic gets the whole commit, or (told it lagged) every record before where it resumes.
      const from = lagFrom.get(i) ?? Number.POSITIVE_INFINITY;
      if (wasOn.has(i)) expect(got).toEqual(records.filter((r) => r.offset < from).map((r) => r.offset));
      if (from !== Number.POSITIVE_INFINITY) expect(records.some((r) => r.offset === from)).toBe(true);
    }
    const bytes = records.reduce((sum, r) => sum + Buffer.byteLength(recordJson(r), 'utf8'), 0);
    published += bytes;
    largestCommit = Math.max(largestCommit, bytes);
    for (const [i, socket] of sockets.entries()) {
      socket.buffered = keepUp ? 0 : Math.max(0, socket.buffered - (members[i]!.drains[c] ?? 0));
      if (lagged.has(i) && socket.buffered <= BOUND) {
        lagged.delete(i);
        join(i, offset + 1);
      }
    }
  }
  return { reads, joins, published, largestCommit };
}
