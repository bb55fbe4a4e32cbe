import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../protocol/eventTypes.js';
import { CommitMessageError, decodeEntry, encodeCommit, encodeRetention, splitCommit } from './commitMessage.js';

const text = fc.string({ unit: 'binary', maxLength: 12 });
const event = fc.record({
  id: fc.option(fc.string({ minLength: 1, maxLength: 10 }), { nil: null }),
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
          const ids = groups.flat().flatMap((e, i) => (e.id === null ? [`gen-${i}`] : []));
          const commit = { ts, groups, ids };
          expect(decodeEntry(encodeCommit(commit))).toEqual({ kind: 'commit', commit });
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
    expect(() => decodeEntry('{"v":1,"ts":1,"g":[[["", "quiz_started", "s", null, null, "{}"]]]}')).toThrow(/ids/);
    expect(() => decodeEntry('{"v":1,"ts":1,"g":[[[7, "quiz_started", "s", null, null, "{}"]]],"n":[]}')).toThrow(/id/);
    expect(() => decodeEntry('{"v":1,"ts":1,"g":[[["a", "nope", "s", null, null, "{}"]]],"n":[]}')).toThrow(/type/);
  });
});

describe('splitCommit', () => {
  // Hint: small payloads, so any one group fits the smallest max_payload drawn (a larger one is the next test).
  const small = event.map((e) => ({ ...e, payloadJson: JSON.stringify({ n: e.payloadJson.slice(0, 40) }) }));

  it('splits a commit into messages under max_payload, whole groups only, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(small, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 2_500, max: 20_000 }),
        (groups, maxPayload) => {
          const ids = groups.flat().flatMap((e, i) => (e.id === null ? [`gen-${i}`] : []));
          const payloads = splitCommit({ ts: 7, groups, ids }, maxPayload);
          for (const payload of payloads) expect(Buffer.byteLength(payload) + 1_024).toBeLessThanOrEqual(maxPayload);
          const commits = payloads.flatMap((payload) => {
            const entry = decodeEntry(payload);
            return entry.kind === 'commit' ? [entry.commit] : [];
          });
          expect(commits.flatMap((c) => c.groups)).toEqual(groups);
          // Each message carries exactly the generated ids of its own id-less events, in order.
          for (const c of commits) expect(c.ids).toHaveLength(c.groups.flat().filter((e) => e.id === null).length);
          expect(commits.flatMap((c) => c.ids)).toEqual(ids);
        },
      ),
    );
  });

  it('refuses a single group larger than max_payload, naming the limit', () => {
    const big = { id: 'a', event_type: 'quiz_started' as const, source: 's', session_id: null, user_id: null };
    const group = [{ ...big, payloadJson: JSON.stringify({ text: 'x'.repeat(5_000) }) }];
    expect(() => splitCommit({ ts: 1, groups: [group], ids: [] }, 4_096)).toThrow(/max_payload \(4096 bytes\)/);
  });
});
