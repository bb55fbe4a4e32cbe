import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { formatIssues, moreIssues } from './issue.js';
import {
  ignoredEventFields,
  ignoredFieldsHeader,
  PublishBodySchema,
  PublishMessageSchema,
  publishInputs,
  readPublishMessage,
} from './publishMessage.js';

const limits = { maxPayloadKeys: 100, maxPayloadBytes: 65_536, maxJsonDepth: 32 };
const event = (extra: Record<string, unknown> = {}) => ({
  event_type: 'quiz_started',
  source: 'quiz_engine',
  ...extra,
});

describe('readPublishMessage', () => {
  it('unwraps an event, an array and an envelope, keeping ref', () => {
    expect(readPublishMessage({ ...event(), ref: 'a' }, 'message')).toEqual({
      items: [{ ...event(), ref: 'a' }],
      isBatch: false,
      ref: 'a',
    });
    expect(readPublishMessage([event()], 'message')).toEqual({ items: [event()], isBatch: true, ref: undefined });
    expect(readPublishMessage({ ref: 7, events: [event()] }, 'message')).toEqual({
      items: [event()],
      isBatch: true,
      ref: 7,
    });
    expect(readPublishMessage({ events: [] }, 'message')).toEqual({ items: [], isBatch: true, ref: undefined });
  });

  it('reads an envelope on REST as one (invalid) event, and a non-array `events` as one event', () => {
    const envelope = { ref: 7, events: [event()] };
    expect(readPublishMessage(envelope, 'body')).toEqual({ items: [envelope], isBatch: false, ref: 7 });
    expect(readPublishMessage({ ...event(), events: 'x' }, 'message').isBatch).toBe(false);
  });

  it('reads any other value as one event, for the event schema to refuse', () => {
    for (const value of [null, 3, 'x', true])
      expect(readPublishMessage(value, 'message')).toEqual({ items: [value], isBatch: false, ref: undefined });
  });

  it('agrees with the schemas on every JSON value (the plain-code path is only a shortcut)', () => {
    const valueArb = fc.oneof(
      fc.jsonValue(),
      fc.record(
        { ref: fc.jsonValue(), events: fc.oneof(fc.array(fc.jsonValue(), { maxLength: 3 }), fc.jsonValue()) },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(valueArb, (value) => {
        expect(readPublishMessage(value, 'message')).toEqual(v.parse(PublishMessageSchema, value));
        expect(readPublishMessage(value, 'body')).toEqual(v.parse(PublishBodySchema, value));
      }),
      { numRuns: 500 },
    );
  });
});

describe('publishInputs', () => {
  it('adds a hint on events to a refused single event that has an events key, and only then', () => {
    for (const value of [{ events: 5 }, { ref: 'r', events: { a: 1 } }, { ref: 7, events: [event()] }]) {
      for (const shapes of ['message', 'body'] as const) {
        const parsed = publishInputs(readPublishMessage(value, shapes), limits, 'events');
        if (shapes === 'message' && Array.isArray(value.events)) expect(parsed.ok).toBe(true);
        else {
          expect(parsed.ok).toBe(false);
          if (!parsed.ok) expect(parsed.issues.listed.map((issue) => issue.field)).toContain('events');
        }
      }
    }
    const plain = publishInputs(readPublishMessage({ source: 'a' }, 'message'), limits, 'events');
    expect(plain.ok).toBe(false);
    if (!plain.ok) expect(plain.issues.listed.map((issue) => issue.field)).toEqual(['event_type']);
    const extra = publishInputs(readPublishMessage(event({ events: 'x' }), 'message'), limits, 'events');
    expect(extra.ok).toBe(true);
  });

  it('validates every event, naming the item of a batch', () => {
    const parsed = publishInputs(
      readPublishMessage([event(), event({ source: 'bad source' })], 'message'),
      limits,
      'events',
    );
    expect(parsed.ok).toBe(false);
    if (!parsed.ok)
      expect(formatIssues(parsed.issues.summarized())).toBe(
        '[1].source: may contain only letters, digits, "_", "." and "-"',
      );
  });

  it('does not prefix the issues of a single event', () => {
    const parsed = publishInputs(readPublishMessage(event({ event_type: 'nope' }), 'body'), limits, 'body');
    expect(!parsed.ok && parsed.issues.listed[0]!.field).toBe('event_type');
  });

  it('refuses an empty batch on the field the transport names', () => {
    for (const field of ['body', 'events']) {
      const parsed = publishInputs(readPublishMessage([], 'message'), limits, field);
      expect(!parsed.ok && parsed.issues.listed).toEqual([{ field, message: 'must contain at least one event' }]);
    }
  });

  it('lists the first 100 issues and leaves the events after them unchecked, saying how many', () => {
    const parsed = publishInputs(
      readPublishMessage(
        Array.from({ length: 250 }, () => ({})),
        'message',
      ),
      limits,
      'events',
    );
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.issues.listed).toHaveLength(100);
      expect(parsed.issues.listed.at(-1)!.field).toBe('[49].source');
      expect(parsed.issues.total).toBe(100);
      expect(parsed.issues.summarized().at(-1)!.message).toBe('… 200 more events were not checked');
    }
  });

  it('stops checking right after the event that fills the list, counting its issues and the events left', () => {
    // Each event has 0 (valid), 1 (no source) or 2 (nor an event type) issues.
    const kinds = [event({}), { event_type: 'quiz_started' }, {}];
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 300 }), (picks) => {
        const parsed = publishInputs(
          readPublishMessage(
            picks.map((k) => kinds[k]),
            'message',
          ),
          limits,
          'events',
        );
        let total = 0;
        let checked = 0;
        while (checked < picks.length && total < 100) total += picks[checked++]!;
        if (total === 0) return parsed.ok;
        if (parsed.ok) return false;
        const { listed, notChecked } = parsed.issues;
        const summary = parsed.issues.summarized();
        const expectedSummary =
          total > 100 || checked < picks.length
            ? [moreIssues(Math.max(total - 100, 0), total, picks.length - checked)]
            : [];
        return (
          parsed.issues.total === total &&
          notChecked === picks.length - checked &&
          listed.length === Math.min(total, 100) &&
          JSON.stringify(summary.slice(listed.length)) === JSON.stringify(expectedSummary)
        );
      }),
    );
  });

  it('accepts valid events in order', () => {
    const parsed = publishInputs(
      readPublishMessage([event({ id: 'a' }), event({ id: 'b' })], 'message'),
      limits,
      'events',
    );
    expect(parsed.ok && parsed.value.map((input) => input.id)).toEqual(['a', 'b']);
  });
});

describe('ignoredEventFields', () => {
  it("reads `ref` only when told (a single event's on /ws/publish), and skips items that are not objects", () => {
    const item = { event_type: 'quiz_started', source: 's', ref: 1, timestamp: 't' };
    expect(ignoredEventFields([item], true)).toEqual(['timestamp']);
    expect(ignoredEventFields([item, 5, null, item], false)).toEqual(['ref', 'timestamp']);
  });
});

describe('ignoredFieldsHeader', () => {
  it('names each field no event rule reads once, across a batch, and nothing when every field is known', () => {
    const base = { event_type: 'quiz_started', source: 's' };
    const items = [{ ...base, sessionId: 'x', timestamp: 't' }, 5, null, [1], { ...base, timestamp: 'u', Payload: {} }];
    expect(ignoredFieldsHeader(items)).toEqual({ 'X-Ignored-Fields': 'sessionId, timestamp, Payload' });
    const known = { ...base, session_id: 's', user_id: 'u', payload: {}, id: 'i' };
    expect(ignoredFieldsHeader([known, {}])).toEqual({});
  });

  it('names exactly the keys outside the event schema (property)', () => {
    const fields = ['event_type', 'source', 'session_id', 'user_id', 'payload', 'id'];
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(fc.oneof(fc.constantFrom(...fields), fc.string()), fc.jsonValue())),
        (items) => {
          const extras = new Set(items.flatMap((item) => Object.keys(item).filter((key) => !fields.includes(key))));
          const header = ignoredFieldsHeader(items)['X-Ignored-Fields'];
          if (extras.size === 0) expect(header).toBeUndefined();
          else {
            const named = [...extras].slice(0, 10).map((key) => encodeURIComponent(key.slice(0, 64)));
            expect(header).toBe([...named, ...(extras.size > 10 ? ['...'] : [])].join(', '));
          }
        },
      ),
    );
  });
});
