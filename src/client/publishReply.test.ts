import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PublishProtocolError, PublishRejectedError, PublishTimeoutError } from './errors.js';
import { asSolo, splitToSolo, type Unit } from './publishBatcher.js';
import { PublishQueue } from './publishQueue.js';
import { answerFrame } from './publishReply.js';
import type { PublishAck } from './types.js';

const LIMITS = { maxEvents: 100, maxBytes: 1_000_000 };

/** A unit of events with ids `ids`, recording how it settled (each unit must settle at most once). */
function unit(ids: readonly string[]): Unit & { outcome: PublishAck[] | Error | null } {
  const made = {
    events: ids.map((id) => JSON.stringify({ id })),
    ids,
    bytes: 10 * ids.length,
    solo: false,
    deadline: Number.POSITIVE_INFINITY,
    outcome: null as PublishAck[] | Error | null,
    resolve: (acks: PublishAck[]) => settle(acks),
    reject: (error: Error) => settle(error),
  };
  const settle = (outcome: PublishAck[] | Error) => {
    if (made.outcome !== null) throw new Error(`unit ${ids.join(',')} settled twice`);
    made.outcome = outcome;
  };
  return made;
}

/** A queue holding one message on the wire, made of `units`. */
function sent(units: readonly Unit[]): { queue: PublishQueue; ref: number } {
  const queue = new PublishQueue();
  queue.units = [...units];
  return { queue, ref: queue.takeMessage(LIMITS, 0).ref };
}

/** A clean ack of the next message on `queue`'s wire, from `offset`. */
function cleanAck(queue: PublishQueue, offset: number): string {
  const message = queue.inflight[0]!;
  const ids = message.units.flatMap((u) => u.ids);
  return JSON.stringify({
    status: 'ok',
    ref: message.ref,
    count: ids.length,
    event_ids: ids,
    first_offset: offset,
    last_offset: offset + ids.length - 1,
  });
}

describe('answerFrame', () => {
  it('fails the publishes of a message whose ack does not fit it, at once and without sending them again', () => {
    const [a, b] = [unit(['a']), unit(['b', 'c'])];
    const { queue, ref } = sent([a, b]);
    const frame = { status: 'ok', ref, count: 4, event_ids: ['a', 'b', 'c', 'd'], first_offset: 10, last_offset: 13 };
    expect(answerFrame(queue, JSON.stringify(frame))).toEqual({ acked: false, retry: null });
    expect(queue.units).toEqual([]);
    expect(queue.inflight).toEqual([]);
    expect(a.outcome).toBeInstanceOf(PublishProtocolError);
    expect(b.outcome).toMatchObject({
      name: 'PublishProtocolError',
      field: 'count',
      ids: ['b', 'c'],
      message:
        'invalid reply from the server: count: expected 3 (the message held 3 events), got 4; not acknowledged (the events may have been stored: publish them again with the same ids)',
    });
  });

  it('takes a reply without a ref, or with one the SDK never sent, as the oldest message', () => {
    const { queue } = sent([unit(['a'])]);
    const second = unit(['b']);
    queue.units.push(second);
    queue.takeMessage(LIMITS, 0);
    answerFrame(queue, 'null');
    expect(queue.inflight.map((m) => m.units)).toEqual([[second]]);
    answerFrame(queue, JSON.stringify({ status: 'ok', ref: '2', count: 1, event_ids: ['b'], first_offset: 1 }));
    expect(second.outcome).toMatchObject({ name: 'PublishProtocolError', field: 'ref' });
  });

  it("resolves each event with the SDK's own id, and an error's message as the server's reason", () => {
    const a = unit(['a']);
    const { queue, ref } = sent([a]);
    answerFrame(
      queue,
      JSON.stringify({ status: 'ok', ref, count: 1, event_ids: ['a'], first_offset: 5, last_offset: 5 }),
    );
    expect(a.outcome).toEqual([{ id: 'a', offset: 5 }]);
    const b = unit(['b']);
    const other = sent([b]);
    answerFrame(other.queue, JSON.stringify({ status: 'error', message: '[0].source: required', code: 422 }));
    expect(b.outcome).toEqual(new PublishRejectedError('source: required', 422));
  });

  it("names a refused field as the caller wrote it, whichever way the server names the envelope's events", () => {
    const refused = (ids: readonly string[], message: string) => {
      const u = unit(ids);
      answerFrame(sent([u]).queue, JSON.stringify({ status: 'error', message, code: 422 }));
      return u.outcome instanceof PublishRejectedError ? [u.outcome.field, u.outcome.message] : u.outcome;
    };
    const deep = 'events[0].payload.a[0]: nested deeper than 32 levels (MAX_JSON_DEPTH)';
    expect(refused(['a'], deep)).toEqual([
      'payload.a[0]',
      'payload.a[0]: nested deeper than 32 levels (MAX_JSON_DEPTH)',
    ]);
    expect(refused(['a', 'b'], 'events[1].payload.n: is the integer 1e30')).toEqual([
      '[1].payload.n',
      '[1].payload.n: is the integer 1e30',
    ]);
    // Every clause of a reply naming several issues reads as the caller wrote it, not only the first.
    const only = 'may contain only letters, digits, "_", ".", ":" and "-"';
    expect(refused(['a'], `[0].id: must not be empty; [0].id: ${only}`)).toEqual([
      'id',
      `id: must not be empty; id: ${only}`,
    ]);
    expect(
      refused(['a', 'b'], 'events[1].payload.n: is the integer 1e30; events[1].source: must not be empty'),
    ).toEqual(['[1].payload.n', '[1].payload.n: is the integer 1e30; [1].source: must not be empty']);
    // An envelope field of its own keeps its name: `events` alone, not an event's.
    expect(refused(['a'], 'events: must be a JSON array of events')).toEqual([
      'events',
      'events: must be a JSON array of events',
    ]);
  });

  it('nests resends at most one level deep: split or solo units are not wrapped again', () => {
    const batch = unit(['a', 'b']);
    const once = splitToSolo([batch]);
    expect(splitToSolo(once)).toEqual(once);
    expect(splitToSolo(once).every((u, i) => u === once[i])).toBe(true);
    const solo = asSolo([unit(['c']), unit(['d', 'e'])]);
    expect(asSolo(solo).every((u, i) => u === solo[i])).toBe(true);
  });

  it("fails a split batch with an error listing all of its events' ids, not only the part's", () => {
    const batch = unit(['a', 'b']);
    splitToSolo([batch])[1]!.reject(new PublishTimeoutError('not acknowledged within 5 ms', ['b']));
    expect(batch.outcome).toEqual(new PublishTimeoutError('not acknowledged within 5 ms', ['a', 'b']));
    expect((batch.outcome as PublishTimeoutError).ids).toEqual(['a', 'b']);
    const other = unit(['c', 'd']);
    splitToSolo([other])[0]!.reject(new PublishProtocolError('count: wrong', 'count', ['c']));
    expect((other.outcome as PublishProtocolError).ids).toEqual(['c', 'd']);
  });

  it('never throws; each unit of the message is settled once, refused, or waits (queued or on the wire) and settles later', () => {
    const sizes = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 });
    const object = fc.record(
      {
        status: fc.constantFrom('ok', 'error'),
        ref: fc.integer({ min: 0, max: 2 }),
        count: fc.integer({ min: 0, max: 10 }),
        first_offset: fc.integer({ min: -1, max: 20 }),
        last_offset: fc.integer({ min: -1, max: 20 }),
        duplicates: fc.integer({ min: 0, max: 10 }),
        offsets: fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 10 }),
        retryable: fc.boolean(),
        message: fc.string(),
      },
      { requiredKeys: [] },
    );
    const frame = fc.oneof(fc.jsonValue({ maxDepth: 3 }), object);
    // With `own`, an object reply names the message's own ids, so that more acks get past the shape check.
    fc.assert(
      fc.property(sizes, frame, fc.boolean(), (counts, value, own) => {
        let next = 0;
        const units = counts.map((size) => unit(Array.from({ length: size }, () => `e${next++}`)));
        const { queue } = sent(units);
        const named = own && typeof value === 'object' && value !== null && !Array.isArray(value);
        const text = JSON.stringify(named ? { event_ids: units.flatMap((u) => u.ids), ...value } : value) ?? 'null';
        expect(() => answerFrame(queue, text)).not.toThrow();
        for (const u of units) {
          if (Array.isArray(u.outcome)) {
            expect(u.outcome.map((a) => a.id)).toEqual(u.ids);
            for (const a of u.outcome) expect(Number.isSafeInteger(a.offset) && a.offset >= 1).toBe(true);
          } else if (u.outcome !== null) {
            expect(['PublishProtocolError', 'PublishRejectedError']).toContain(u.outcome.name);
          } else {
            // Put back to be sent again, or still awaiting its answer (a reply naming another message).
            const waiting = [...queue.units, ...queue.inflight.flatMap((m) => m.units)].flatMap((q) => q.ids);
            for (const id of u.ids) expect(waiting).toContain(id);
          }
        }
        // Whatever waits settles once answered: nothing is left waiting.
        for (let round = 0; queue.units.length > 0 || queue.inflight.length > 0; round++) {
          expect(round).toBeLessThan(20);
          if (queue.inflight.length === 0) queue.takeMessage(LIMITS, 0);
          answerFrame(queue, cleanAck(queue, 100 + round));
        }
        for (const u of units) expect(u.outcome).not.toBeNull();
      }),
      { numRuns: 300 },
    );
  });
});
