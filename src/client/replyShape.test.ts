import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ackMismatch, type PublishReply, readReply, readReplyText } from './replyShape.js';

const ack = { status: 'ok', count: 2, event_ids: ['a', 'b'], first_offset: 7, last_offset: 8, duplicates: 0, ref: 3 };

/** The problem text of a reply that must break the protocol, and its field. */
function problemOf(reply: PublishReply): { field: string | null; problem: string; ref?: number | undefined } {
  if (reply.kind !== 'invalid') throw new Error(`expected an invalid reply, got ${reply.kind}`);
  return { ...reply.problem, ref: reply.ref };
}

describe('readReply', () => {
  it("reads the server's acks: a batch's (offsets, duplicates, ignored fields) and a single event's", () => {
    expect(readReply(ack)).toEqual({
      kind: 'ack',
      ref: 3,
      ack: { count: 2, event_ids: ['a', 'b'], first_offset: 7, last_offset: 8, duplicates: 0 },
    });
    const scattered = { ...ack, duplicates: 1, offsets: [7, 2], ignored: ['sessionId'] };
    expect(readReply(scattered)).toMatchObject({ kind: 'ack', ack: { offsets: [7, 2], ignored: ['sessionId'] } });
    // An older server's ack: no duplicates count, no ref (it answers the oldest message).
    const { duplicates: _d, ref: _r, ...older } = ack;
    expect(readReply(older)).toMatchObject({ kind: 'ack', ref: undefined, ack: { count: 2 } });
    expect(readReply({ status: 'ok', event_id: 'a', offset: 42, duplicate: true, ref: 1 })).toEqual({
      kind: 'ack',
      ref: 1,
      ack: { count: 1, event_ids: ['a'], first_offset: 42, last_offset: 42, duplicates: 1 },
    });
  });

  it('reads errors (retryable, code) and tells the connection notice, which answers no message, from them', () => {
    const busy = { status: 'error', message: 'too many events', retryable: true, ref: 2 };
    expect(readReply(busy)).toEqual({ kind: 'error', ref: 2, message: 'too many events', retryable: true, code: null });
    const conflict = { status: 'error', message: 'id: exists', code: 409 };
    expect(readReply(conflict)).toEqual({
      kind: 'error',
      ref: undefined,
      message: 'id: exists',
      retryable: false,
      code: 409,
    });
    const notice = { status: 'error', message: 'too many invalid messages: at most 1000 per 10 s' };
    expect(readReply(notice)).toEqual({ kind: 'notice', message: notice.message });
    // With a ref it answers that message: not the notice.
    expect(readReply({ ...notice, ref: 4 })).toMatchObject({ kind: 'error', ref: 4 });
  });

  it('names what is wrong with a reply that is not a JSON object, or not JSON at all', () => {
    expect(problemOf(readReply(null))).toEqual({ field: null, problem: 'the reply is null, not a JSON object' });
    expect(problemOf(readReply(5)).problem).toBe('the reply is 5, not a JSON object');
    expect(problemOf(readReply('ok')).problem).toBe('the reply is "ok", not a JSON object');
    expect(problemOf(readReply([1, 2])).problem).toBe('the reply is an array of 2, not a JSON object');
    expect(problemOf(readReplyText('<html>\u001b[31m')).problem).toBe('the reply is not JSON: "<html>\\u001b[31m"');
  });

  it('names the field of an ack that is missing or of the wrong type, with what it got', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ status: 'ok', ref: 3 }, 'count: expected a positive integer, got nothing'],
      [{ ...ack, count: 0 }, 'count: expected a positive integer, got 0'],
      [
        { ...ack, event_ids: undefined },
        'event_ids: expected an array of 2 strings (one per event, as count says), got nothing',
      ],
      [
        { ...ack, event_ids: 'zz' },
        'event_ids: expected an array of 2 strings (one per event, as count says), got "zz"',
      ],
      [
        { ...ack, event_ids: ['a', 5] },
        'event_ids: expected an array of 2 strings (one per event, as count says), got an array of 2',
      ],
      [{ ...ack, first_offset: 'abc' }, 'first_offset: expected a positive integer, got "abc"'],
      [{ ...ack, first_offset: null }, 'first_offset: expected a positive integer, got null'],
      [{ ...ack, first_offset: -3 }, 'first_offset: expected a positive integer, got -3'],
      [{ ...ack, last_offset: 2 ** 53 }, 'last_offset: expected a positive integer, got 9007199254740992'],
      [{ ...ack, last_offset: 8.5 }, 'last_offset: expected a positive integer, got 8.5'],
      [{ ...ack, duplicates: 3 }, 'duplicates: expected an integer from 0 to 2 (count), got 3'],
      [{ ...ack, offsets: 'x' }, 'offsets: expected an array of 2 positive integers (one per event), got "x"'],
      [
        { ...ack, offsets: [7] },
        'offsets: expected an array of 2 positive integers (one per event), got an array of 1',
      ],
      [{ ...ack, ignored: [1] }, 'ignored: expected an array of strings, got an array of 1'],
      [{ ...ack, status: 'okay' }, 'status: expected "ok" or "error", got "okay"'],
      [{ status: 'ok', event_id: 5, offset: 1 }, 'event_id: expected a string, got 5'],
    ];
    for (const [reply, problem] of cases) {
      const read = problemOf(readReply(reply));
      expect(read.problem, JSON.stringify(reply)).toBe(problem);
      expect(read.field).toBe(problem.slice(0, problem.indexOf(':')));
    }
  });

  it('names the field of an error reply of the wrong shape, and a ref that is none of the SDK', () => {
    expect(problemOf(readReply({ status: 'error', ref: 1, message: 5 }))).toEqual({
      field: 'message',
      problem: 'message: expected a string, got 5',
      ref: 1,
    });
    expect(problemOf(readReply({ status: 'error', message: 5 }))).toMatchObject({ field: 'message', ref: undefined });
    expect(problemOf(readReply({ status: 'error', ref: 1 })).problem).toBe('message: expected a string, got nothing');
    expect(problemOf(readReply({ status: 'error', message: 'x', retryable: 'yes' })).field).toBe('retryable');
    expect(problemOf(readReply({ status: 'error', message: 'x', code: '409' })).field).toBe('code');
    // A ref the SDK never sends answers no message by its ref: the reply counts as the oldest message's.
    expect(problemOf(readReply({ ...ack, ref: '3' }))).toMatchObject({ field: 'ref', ref: undefined });
    expect(problemOf(readReply({ ...ack, ref: 0 })).problem).toBe('ref: expected a positive integer, got 0');
  });

  it('shows a long or nested value briefly, never walking it', () => {
    const long = 'x'.repeat(10_000);
    expect(problemOf(readReply({ ...ack, first_offset: long })).problem).toBe(
      `first_offset: expected a positive integer, got "${'x'.repeat(40)}…"`,
    );
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(problemOf(readReply({ ...ack, offsets: deep })).problem).toMatch(/got an array of 1$/);
    expect(readReplyText(`${'['.repeat(200_000)}${']'.repeat(200_000)}`).kind).toBe('invalid');
  });

  it('never throws, and reads any JSON value as a well-formed ack, an error, the notice, or a named problem', () => {
    const field = (valid: fc.Arbitrary<unknown>) => fc.oneof(valid, fc.jsonValue({ maxDepth: 2 }));
    const nearAck = fc.record(
      {
        status: field(fc.constantFrom('ok', 'error')),
        ref: field(fc.integer({ min: 1, max: 5 })),
        count: field(fc.integer({ min: 0, max: 3 })),
        event_ids: field(fc.array(fc.string(), { maxLength: 3 })),
        first_offset: field(fc.integer({ min: -1, max: 9 })),
        last_offset: field(fc.integer({ min: -1, max: 9 })),
        duplicates: field(fc.integer({ min: 0, max: 3 })),
        offsets: field(fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 3 })),
        message: field(fc.string()),
        retryable: field(fc.boolean()),
        event_id: field(fc.string()),
        offset: field(fc.integer({ min: 0, max: 9 })),
      },
      { requiredKeys: [] },
    );
    const validAck = fc.integer({ min: 1, max: 4 }).chain((count) =>
      fc.record({
        status: fc.constant('ok'),
        ref: fc.integer({ min: 1, max: 5 }),
        count: fc.constant(count),
        event_ids: fc.array(fc.string(), { minLength: count, maxLength: count }),
        first_offset: fc.integer({ min: 1, max: 9 }),
        last_offset: fc.integer({ min: 1, max: 9 }),
        duplicates: fc.integer({ min: 0, max: count }),
      }),
    );
    // One field of a valid ack replaced by any JSON value, or removed.
    const mutated = fc
      .tuple(
        validAck,
        fc.constantFrom('ref', 'count', 'event_ids', 'first_offset', 'last_offset', 'duplicates', 'offsets'),
      )
      .chain(([reply, key]) =>
        fc.option(fc.jsonValue({ maxDepth: 2 })).map((value) => ({ ...reply, [key]: value ?? undefined })),
      );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), nearAck, validAck, mutated), (value) => {
        const reply = readReplyText(JSON.stringify(value) ?? 'null');
        switch (reply.kind) {
          case 'ack': {
            const { count, event_ids, first_offset, last_offset, offsets, duplicates } = reply.ack;
            expect(event_ids).toHaveLength(count);
            for (const id of event_ids) expect(typeof id).toBe('string');
            for (const offset of [first_offset, last_offset, ...(offsets ?? [])]) {
              expect(Number.isSafeInteger(offset) && offset >= 1).toBe(true);
            }
            if (offsets !== undefined) expect(offsets).toHaveLength(count);
            if (duplicates !== undefined) expect(duplicates >= 0 && duplicates <= count).toBe(true);
            break;
          }
          case 'error':
          case 'notice':
            expect(typeof reply.message).toBe('string');
            break;
          case 'invalid':
            expect(reply.problem.problem.length).toBeGreaterThan(0);
            break;
        }
        if (reply.kind !== 'notice' && reply.ref !== undefined) expect(reply.ref).toBeGreaterThanOrEqual(1);
      }),
    );
  });
});

describe('ackMismatch', () => {
  const sent = { eventCount: 3, units: [{ ids: ['a'] }, { ids: ['b', 'c'] }] };
  const fits = { count: 3, event_ids: ['a', 'b', 'c'], first_offset: 4, last_offset: 6 };

  it('passes an ack that names the events sent, in order', () => {
    expect(ackMismatch(fits, sent)).toBeNull();
    expect(ackMismatch({ ...fits, last_offset: 9, duplicates: 1, offsets: [4, 1, 9] }, sent)).toBeNull();
  });

  it('names a count, an id or a one-event range that does not fit the message', () => {
    expect(ackMismatch({ ...fits, count: 4, event_ids: ['a', 'b', 'c', 'd'] }, sent)).toEqual({
      field: 'count',
      problem: 'count: expected 3 (the message held 3 events), got 4',
    });
    expect(ackMismatch({ ...fits, event_ids: ['a', 'x', 'c'] }, sent)).toEqual({
      field: 'event_ids[1]',
      problem: 'event_ids[1]: expected "b" (the id sent), got "x"',
    });
    const one = { eventCount: 1, units: [{ ids: ['a'] }] };
    expect(ackMismatch({ count: 1, event_ids: ['a'], first_offset: 5, last_offset: 6 }, one)?.field).toBe(
      'last_offset',
    );
    expect(ackMismatch({ count: 1, event_ids: ['a'], first_offset: 5, last_offset: 5 }, one)).toBeNull();
  });
});
