import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../protocol/eventTypes.js';
import { CommitMessageError, decodeEntry, encodeCommit, encodeRetention } from './commitMessage.js';

const text = fc.string({ unit: 'binary', maxLength: 12 });
const event = fc.record({
  id: fc.string({ minLength: 1, maxLength: 10 }),
  event_type: fc.constantFrom(...EVENT_TYPES),
  source: text,
  session_id: fc.option(text, { nil: null }),
  user_id: fc.option(text, { nil: null }),
  payloadJson: fc.jsonValue().map((value) => JSON.stringify(value)),
});

describe('commit messages', () => {
  it('decode to exactly the commit that was encoded (ids, nulls, payload text byte for byte)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0 }),
        fc.array(fc.array(event, { maxLength: 4 }), { maxLength: 4 }),
        (ts, groups) => {
          expect(decodeEntry(encodeCommit({ ts, groups }))).toEqual({ kind: 'commit', commit: { ts, groups } });
        },
      ),
    );
  });

  it('decode retention commands, for a time and for everything', () => {
    expect(decodeEntry(encodeRetention({ ts: 5, deleteBefore: 4 }))).toEqual({
      kind: 'retention',
      retention: { ts: 5, deleteBefore: 4 },
    });
    expect(decodeEntry(encodeRetention({ ts: 5, deleteBefore: null }))).toMatchObject({
      retention: { deleteBefore: null },
    });
  });

  it('refuse what this code did not write, naming why', () => {
    expect(() => decodeEntry('hello')).toThrow(CommitMessageError);
    expect(() => decodeEntry('{"v":2,"ts":1,"g":[]}')).toThrow(/version/);
    expect(() => decodeEntry('{"v":1,"ts":1,"g":[[["", "quiz_started", "s", null, null, "{}"]]]}')).toThrow(/id/);
    expect(() => decodeEntry('{"v":1,"ts":1,"g":[[["a", "nope", "s", null, null, "{}"]]]}')).toThrow(/type/);
  });
});
