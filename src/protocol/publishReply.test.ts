import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from './eventRecord.js';
import { type PublishOutcome, publishReply, wsPublishAck, wsPublishAckText } from './publishReply.js';

const stored = (offset: number, id = `evt_${offset}`): StoredEvent => ({
  offset,
  id,
  event_type: 'quiz_started',
  source: 'q',
  session_id: null,
  user_id: null,
  payloadJson: '{}',
  ts: 0,
});

describe('publishReply', () => {
  it('is 201 when anything was appended and 200 when every event was a duplicate', () => {
    const a = stored(1);
    const b = stored(2);
    expect(publishReply({ ok: true, records: [a, b], appended: [b] })).toEqual({
      kind: 'committed',
      status: 201,
      records: [a, b],
      duplicates: 1,
    });
    expect(publishReply({ ok: true, records: [a], appended: [] })).toMatchObject({ status: 200, duplicates: 1 });
  });

  it('refuses a conflict with 409 on `id` and a failed commit with 503', () => {
    expect(publishReply({ ok: false, conflict: { id: 'x' } })).toEqual({
      kind: 'refused',
      status: 409,
      field: 'id',
      message: 'event id "x" already exists with different content',
    });
    expect(publishReply({ ok: false, message: 'disk full' })).toEqual({
      kind: 'refused',
      status: 503,
      field: null,
      message: 'disk full',
    });
  });

  it('says a batch holds two different events with one id, naming both, when the conflict is its own', () => {
    // Before: `event id "dupy" already exists with different content`, though nothing was stored under that id.
    const submitted = [{ id: null }, { id: 'dupy' }, { id: 'other' }, { id: 'dupy' }];
    expect(publishReply({ ok: false, conflict: { id: 'dupy', index: 3 } }, submitted)).toEqual({
      kind: 'refused',
      status: 409,
      field: null,
      message: 'the batch holds two different events with id "dupy" ([1] and [3]); nothing was stored',
    });
    // The first event with the id clashing with a stored one (or a single event) is the stored conflict.
    for (const index of [1, 0]) {
      expect(publishReply({ ok: false, conflict: { id: 'dupy', index } }, submitted)).toMatchObject({
        field: 'id',
        message: 'event id "dupy" already exists with different content',
      });
    }
    const ws = wsPublishAckText({ ok: false, conflict: { id: 'dupy', index: 3 } }, true, 9, [], submitted);
    expect(JSON.parse(ws.text)).toEqual({
      status: 'error',
      message: 'the batch holds two different events with id "dupy" ([1] and [3]); nothing was stored',
      code: 409,
      ref: 9,
    });
  });
});

describe('wsPublishAck', () => {
  it('acks one event with its offset, and echoes ref', () => {
    const reply = publishReply({ ok: true, records: [stored(5)], appended: [] });
    expect(wsPublishAck(reply, false, 'r')).toEqual({
      message: { status: 'ok', event_id: 'evt_5', offset: 5, duplicate: true, ref: 'r' },
      offset: 5,
    });
  });

  it('acks a batch with its ids, offset range and duplicates, without ref when none was sent', () => {
    const records = [stored(5), stored(6), stored(7)];
    const ack = wsPublishAck(publishReply({ ok: true, records, appended: records.slice(1) }), true, undefined);
    expect(ack).toEqual({
      message: {
        status: 'ok',
        count: 3,
        event_ids: ['evt_5', 'evt_6', 'evt_7'],
        first_offset: 5,
        last_offset: 7,
        duplicates: 1,
        // Listed though contiguous: with a duplicate, an ack without them would read as an older server's.
        offsets: [5, 6, 7],
      },
      offset: 7,
    });
    expect('ref' in ack.message).toBe(false);
  });

  it("lists each event's offset only when they are not first_offset + i or some event is a duplicate", () => {
    const offsetsOf = (offsets: number[], appended: number) => {
      const records = offsets.map((offset, i) => stored(offset, `e${i}`));
      const outcome = { ok: true as const, records, appended: records.slice(0, appended) };
      return (wsPublishAck(publishReply(outcome), true, undefined).message as { offsets?: number[] }).offsets;
    };
    expect(offsetsOf([5, 6, 7], 3)).toBeUndefined();
    expect(offsetsOf([9], 1)).toBeUndefined();
    // Cluster mode: other producers' events between these (no duplicate), even when the range has the right length.
    expect(offsetsOf([5, 7, 9], 3)).toEqual([5, 7, 9]);
    expect(offsetsOf([11, 13, 12, 14], 4)).toEqual([11, 13, 12, 14]);
    // A duplicate at its original offset, and one id twice in a message (the second a duplicate of the first).
    expect(offsetsOf([8, 2, 9], 2)).toEqual([8, 2, 9]);
    expect(offsetsOf([4, 4], 1)).toEqual([4, 4]);
    expect(offsetsOf([3], 0)).toEqual([3]);
  });

  it('acknowledges the highest offset of a batch, though its last event is a duplicate stored earlier', () => {
    // Before: the last event's offset (2), so a close reason said "acked through offset 2" after offset 4 was acked.
    const records = [stored(4, 'new'), stored(2, 'old')];
    const outcome = { ok: true as const, records, appended: records.slice(0, 1) };
    expect(wsPublishAck(publishReply(outcome), true, undefined)).toMatchObject({
      message: { first_offset: 4, last_offset: 2, offsets: [4, 2] },
      offset: 4,
    });
    expect(wsPublishAckText(outcome, true, undefined).offset).toBe(4);
  });

  it('renders refusals as errors acknowledging nothing: 409 with code, 503 as retryable', () => {
    expect(wsPublishAck(publishReply({ ok: false, conflict: { id: 'x' } }), false, null)).toEqual({
      message: {
        status: 'error',
        message: 'id: event id "x" already exists with different content',
        code: 409,
        ref: null,
      },
      offset: 0,
    });
    expect(wsPublishAck(publishReply({ ok: false, message: 'disk full' }), true, undefined)).toEqual({
      message: { status: 'error', message: 'disk full', retryable: true },
      offset: 0,
    });
  });
});

describe('wsPublishAckText', () => {
  const id = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('evt_x', 'a"b', 'c\\d', 'e\nf'));
  const records = fc
    .array(fc.tuple(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), id), { minLength: 1, maxLength: 4 })
    .map((pairs) => pairs.map(([offset, eventId]) => stored(offset, eventId)));
  const outcome: fc.Arbitrary<PublishOutcome> = fc.oneof(
    records.chain((rs) =>
      fc
        .nat({ max: rs.length })
        .map((appended) => ({ ok: true as const, records: rs, appended: rs.slice(0, appended) })),
    ),
    id.map((conflict) => ({ ok: false as const, conflict: { id: conflict } })),
    fc.string().map((message) => ({ ok: false as const, message })),
  );

  it('is the ack object of wsPublishAck, serialized, byte for byte, with the same offset', () => {
    const ignoredFields = fc.array(fc.oneof(fc.string(), fc.constantFrom('sessionId', 'a"b')), { maxLength: 3 });
    fc.assert(
      fc.property(
        outcome,
        fc.boolean(),
        fc.option(fc.jsonValue(), { nil: undefined }),
        ignoredFields,
        (o, isBatch, ref, ignored) => {
          const ack = wsPublishAck(publishReply(o), isBatch, ref, ignored);
          const text = wsPublishAckText(o, isBatch, ref, ignored);
          expect(text).toEqual({ text: JSON.stringify(ack.message), offset: ack.offset });
          // An ack names the ignored fields (before `ref`); an error does not.
          const named = (JSON.parse(text.text) as { ignored?: string[] }).ignored;
          expect(named).toEqual(o.ok && ignored.length > 0 ? ignored : undefined);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
