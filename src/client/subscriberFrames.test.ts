import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readSubscriberFrame, recordProblem, type SubscriberFrame } from './subscriberFrames.js';

const record = (offset: unknown, extra: Record<string, unknown> = {}) => ({
  id: `e${String(offset)}`,
  offset,
  event_type: 'quiz_started',
  source: 'quiz_engine',
  session_id: 's1',
  user_id: null,
  payload: {},
  timestamp: '2026-12-01T00:00:00.000Z',
  ...extra,
});
const ack = { status: 'subscribed', subscriber_id: 'sub_1', filters: {}, head_offset: 5, epoch: 'ep1' };
const read = (value: unknown): SubscriberFrame => readSubscriberFrame(JSON.stringify(value));

describe('readSubscriberFrame', () => {
  it('reads an ack, taking a null beyond_head or retention as none (a JSON encoder writes None so)', () => {
    expect(read(ack)).toEqual({
      kind: 'ack',
      ack: { status: 'subscribed', subscriber_id: 'sub_1', head_offset: 5, epoch: 'ep1' },
    });
    expect(read({ ...ack, beyond_head: null, retention: null })).toEqual(read(ack));
    expect(read({ ...ack, from_offset: 6, beyond_head: { requested_from_offset: 9, message: 'beyond' } })).toEqual({
      kind: 'ack',
      ack: {
        status: 'subscribed',
        subscriber_id: 'sub_1',
        head_offset: 5,
        epoch: 'ep1',
        from_offset: 6,
        beyond_head: { requested_from_offset: 9, message: 'beyond' },
      },
    });
    const retention = { truncated: true, first_available_offset: 3, message: 'deleted' };
    expect(read({ ...ack, retention })).toMatchObject({ kind: 'ack', ack: { retention } });
  });

  it('refuses an ack without the head or the epoch the subscription keeps, naming the field', () => {
    expect(read({ status: 'subscribed', subscriber_id: 's', head_offset: 0 })).toEqual({
      kind: 'invalid',
      reason: 'subscribe ack: epoch: must be a non-empty string, got nothing',
    });
    expect(read({ ...ack, head_offset: null })).toEqual({
      kind: 'invalid',
      reason: 'subscribe ack: head_offset: must be an integer ≥ 0, got null',
    });
    expect(read({ ...ack, beyond_head: true })).toEqual({
      kind: 'invalid',
      reason: 'subscribe ack: beyond_head: must be an object, got true',
    });
    expect(read({ ...ack, retention: { truncated: true } })).toMatchObject({ kind: 'invalid' });
  });

  it('reads records one by one or in a batch, and refuses a frame holding anything that is not a whole record', () => {
    expect(read(record(1))).toEqual({ kind: 'records', records: [record(1)] });
    expect(read([record(1), record(2)])).toEqual({ kind: 'records', records: [record(1), record(2)] });
    expect(read([])).toEqual({ kind: 'records', records: [] });
    const reasons = [
      [[record(1.5), record(2)], 'record [0]: offset: must be an integer from 1 to 2^53-1, got 1.5'],
      [[record(1), record(1e300)], 'record [1]: offset: must be an integer from 1 to 2^53-1, got 1e+300'],
      [[record(-7)], 'record [0]: offset: must be an integer from 1 to 2^53-1, got -7'],
      [[record('3')], 'record [0]: offset: must be an integer from 1 to 2^53-1, got "3"'],
      [{ offset: 3, event_type: 'quiz_started' }, 'record [0] (offset 3): id: must be a string, got nothing'],
      [[1, 2], 'record [0]: a record must be a JSON object, got 1'],
      [[record(4, { session_id: 5 })], 'record [0] (offset 4): session_id: must be a string or null, got 5'],
      [[record(4, { payload: [] })], 'record [0] (offset 4): payload: must be a JSON object, got []'],
    ] as const;
    for (const [frame, reason] of reasons) expect(read(frame)).toEqual({ kind: 'invalid', reason });
  });

  it('reads checkpoints, retention notices and refusals, and passes over what it has nothing to do with', () => {
    expect(read({ type: 'checkpoint', offset: 0 })).toEqual({ kind: 'checkpoint', offset: 0 });
    expect(read({ type: 'checkpoint', offset: 2.5 })).toMatchObject({ kind: 'invalid' });
    expect(read({ type: 'retention', message: 'offsets 4-9 were deleted' })).toEqual({
      kind: 'retention',
      message: 'offsets 4-9 were deleted',
    });
    expect(read({ status: 'error', message: { nested: 1 } })).toEqual({
      kind: 'error',
      message: 'error {"nested":1}',
      retryable: false,
    });
    expect(read({ status: 'error', message: 'at capacity', retryable: true })).toMatchObject({ retryable: true });
    for (const other of [{ type: 'keepalive' }, { type: 'pong' }, { status: 'filters_updated', filters: {} }])
      expect(read(other)).toEqual({ kind: 'other' });
  });

  it('refuses a frame that is not JSON, or JSON that is neither an object nor an array', () => {
    expect(readSubscriberFrame('not json')).toEqual({ kind: 'invalid', reason: 'frame is not JSON: "not json"' });
    expect(read(null)).toEqual({ kind: 'invalid', reason: 'frame is not a JSON object or array: null' });
    expect(readSubscriberFrame('x'.repeat(10_000))).toMatchObject({ reason: expect.stringMatching(/^.{0,120}$/) });
  });

  it('never throws: any text or JSON value is a frame whose records are whole, or a protocol error with a reason', () => {
    const texts = fc.oneof(
      fc.string(),
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.jsonValue().map((value) => JSON.stringify({ ...ack, beyond_head: value, retention: value })),
      fc.jsonValue().map((value) => JSON.stringify([record(1), record(2, { offset: value })])),
    );
    fc.assert(
      fc.property(texts, (text) => {
        const frame = readSubscriberFrame(text);
        if (frame.kind === 'invalid') expect(frame.reason.length).toBeGreaterThan(0);
        if (frame.kind === 'records') for (const r of frame.records) expect(recordProblem(r)).toBeNull();
        if (frame.kind === 'ack') {
          expect(Number.isSafeInteger(frame.ack.head_offset) && frame.ack.head_offset >= 0).toBe(true);
          expect(typeof frame.ack.epoch).toBe('string');
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads every batch of whole records as those records', () => {
    const whole = fc.record({
      id: fc.string(),
      offset: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      event_type: fc.string(),
      source: fc.string(),
      session_id: fc.option(fc.string(), { nil: null }),
      user_id: fc.option(fc.string(), { nil: null }),
      payload: fc.dictionary(fc.string(), fc.jsonValue()),
      timestamp: fc.string(),
    });
    fc.assert(
      fc.property(fc.array(whole, { maxLength: 5 }), (records) => {
        const text = JSON.stringify(records);
        expect(readSubscriberFrame(text)).toEqual({ kind: 'records', records: JSON.parse(text) });
      }),
    );
  });
});
