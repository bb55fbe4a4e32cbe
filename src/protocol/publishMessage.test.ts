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
  it('refuses an envelope without an array of events (any envelope over REST) with one issue, and only then', () => {
    for (const value of [{ events: 5 }, { ref: 'r', events: { a: 1 } }, { ref: 7, events: [event()] }]) {
      for (const shapes of ['message', 'body'] as const) {
        const parsed = publishInputs(readPublishMessage(value, shapes), limits, shapes);
        if (shapes === 'message' && Array.isArray(value.events)) expect(parsed.ok).toBe(true);
        else
          expect(!parsed.ok && parsed.issues.listed.map((issue) => issue.field)).toEqual([
            shapes === 'message' ? 'events' : 'body',
          ]);
      }
    }
    const plain = publishInputs(readPublishMessage({ source: 'a' }, 'message'), limits, 'message');
    expect(plain.ok).toBe(false);
    if (!plain.ok) expect(plain.issues.listed.map((issue) => issue.field)).toEqual(['event_type']);
    const extra = publishInputs(readPublishMessage(event({ events: 'x' }), 'message'), limits, 'message');
    expect(extra.ok).toBe(true);
  });

  it('validates every event, naming the item of a batch', () => {
    const parsed = publishInputs(
      readPublishMessage([event(), event({ source: 'bad source' })], 'message'),
      limits,
      'message',
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
    for (const [shapes, field] of [
      ['body', 'body'],
      ['message', 'events'],
    ] as const) {
      const parsed = publishInputs(readPublishMessage([], shapes), limits, shapes);
      expect(!parsed.ok && parsed.issues.listed).toEqual([{ field, message: 'must contain at least one event' }]);
    }
  });

  it('names a batch item that is not an object by its index alone, and a single one as the body or message', () => {
    // Before: `[2].body: event must be a JSON object`, naming a body inside the body.
    const batch = publishInputs(readPublishMessage([event({}), event({}), 5], 'body'), limits, 'body');
    expect(!batch.ok && formatIssues(batch.issues.summarized())).toBe('[2]: event must be a JSON object');
    for (const shapes of ['body', 'message'] as const) {
      const single = publishInputs(readPublishMessage('x', shapes), limits, shapes);
      expect(!single.ok && formatIssues(single.issues.summarized())).toBe(`${shapes}: event must be a JSON object`);
    }
  });

  it('says plainly that an envelope needs an array of events, instead of also reading it as an event', () => {
    // Before: `event_type: field required; source: field required; events: a batch is a JSON array of events, or …`.
    for (const envelope of [{ ref: 7, events: 'x' }, { events: { event_type: 'quiz_started' } }]) {
      const parsed = publishInputs(readPublishMessage(envelope, 'message'), limits, 'message');
      expect(!parsed.ok && formatIssues(parsed.issues.summarized())).toBe(
        'events: must be a JSON array of events, as in {"ref": …, "events": [{…}, …]}',
      );
    }
    const rest = publishInputs(readPublishMessage({ events: [event({})] }, 'body'), limits, 'body');
    expect(!rest.ok && formatIssues(rest.issues.summarized())).toBe(
      'body: must be one event or a JSON array of events; the {"ref": …, "events": […]} envelope is for /ws/publish',
    );
    // An event that carries an `events` field is an event: its own issues only.
    const withField = publishInputs(
      readPublishMessage({ event_type: 'quiz_started', events: 'x' }, 'message'),
      limits,
      'message',
    );
    expect(!withField.ok && formatIssues(withField.issues.summarized())).toBe('source: field required');
  });

  it('lists the first 100 issues and leaves the events after them unchecked, saying how many', () => {
    const parsed = publishInputs(
      readPublishMessage(
        Array.from({ length: 250 }, () => ({})),
        'message',
      ),
      limits,
      'message',
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
          'message',
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
      'message',
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
