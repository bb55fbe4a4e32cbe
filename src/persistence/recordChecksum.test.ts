import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordJson, type StoredEvent } from '../protocol/eventRecord.js';
import { EVENT_TYPES } from '../protocol/eventTypes.js';
import { ChecksumMismatch, frameMatches, ROW_CHECKSUM_SOURCE, recordChecksum, verifyRecord } from './recordChecksum.js';

/** Well-formed text (the server refuses lone surrogates), with what needs escaping in JSON. */
const text = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('"quoted"', 'back\\slash', 'line\nbreak', '\u0001\u007f', 'ünï 😀'),
);

const event: fc.Arbitrary<StoredEvent> = fc.record({
  offset: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  id: text,
  event_type: fc.constantFrom(...EVENT_TYPES),
  source: fc.stringMatching(/^[a-z][a-z0-9_.-]{0,20}$/),
  session_id: fc.option(text, { nil: null }),
  user_id: fc.option(text, { nil: null }),
  payloadJson: fc.jsonValue().map((value) => JSON.stringify({ value })),
  ts: fc.integer({ min: 0, max: 253_402_300_799_999 }),
});

/** The writer worker's checksum function, from its source text, as the worker evaluates it. */
const rowChecksum = new Function('crc32', `${ROW_CHECKSUM_SOURCE}\nreturn rowChecksum;`)(crc32) as (
  ...values: unknown[]
) => number;

describe('record checksums', () => {
  it("the writer worker's checksum equals the checksum of recordJson, for any event", () => {
    fc.assert(
      fc.property(event, (e) => {
        const iso = new Date(e.ts).toISOString();
        const worker = rowChecksum(e.offset, iso, e.id, e.event_type, e.source, e.session_id, e.user_id, e.payloadJson);
        expect(worker).toBe(recordChecksum(recordJson(e)));
      }),
    );
  });

  it('finds any change of one byte of a record, and passes the record as written', () => {
    fc.assert(
      fc.property(event, fc.nat(), fc.integer({ min: 1, max: 255 }), (e, position, flip) => {
        const bytes = Buffer.from(recordJson(e));
        const crc = recordChecksum(bytes);
        expect(() => verifyRecord(recordJson(e), crc, e.offset)).not.toThrow();
        bytes[position % bytes.length]! ^= flip;
        expect(recordChecksum(bytes)).not.toBe(crc);
      }),
    );
  });

  it('names the offset of a record that does not match, and passes one written before checksums (null)', () => {
    expect(() => verifyRecord('{"id":"a"}', recordChecksum('{"id":"b"}'), 42)).toThrow(new ChecksumMismatch(42));
    expect(() => verifyRecord('{"id":"a"}', null, 42)).not.toThrow();
  });

  it('checks each record of a replay frame in place, and finds any byte changed inside one', () => {
    fc.assert(
      fc.property(
        fc.array(event, { minLength: 1, maxLength: 5 }),
        fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        fc.nat(),
        (events, checked, position) => {
          const texts = events.map(recordJson);
          const frame = Buffer.from(`[${texts.join(',')}]`);
          const lengths = texts.map((t) => Buffer.byteLength(t));
          const crcs = texts.map((t, i) => (checked[i] ? recordChecksum(t) : null));
          expect(frameMatches(frame, lengths, crcs)).toBe(true);
          // Hint: the byte's record decides whether the change can be seen: only checked records are, except that with
          // every record checked the frame is checked as a whole, separators included.
          const at = 1 + (position % (frame.length - 2));
          // The record holding byte `at`, and where that record ends (a separator or the closing bracket).
          let owner = 0;
          let end = 1 + lengths[0]!;
          while (at > end) end += lengths[++owner]! + 1;
          const changed = Buffer.from(frame);
          changed[at]! ^= 0x01;
          const inRecord = at < end;
          const whole = crcs.every((crc) => crc !== null);
          expect(frameMatches(changed, lengths, crcs)).toBe(!(whole || (inRecord && crcs[owner] !== null)));
        },
      ),
    );
  });

  it('refuses a frame whose length is not the sum of its records', () => {
    const texts = ['{"a":1}', '{"b":2}'];
    const lengths = texts.map((t) => t.length);
    expect(frameMatches(Buffer.from(`[${texts.join(',')}]x`), lengths, [null, null])).toBe(false);
  });
});
