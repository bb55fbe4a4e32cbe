import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../protocol/eventTypes.js';
import {
  decodeEvent,
  EventMessageError,
  encodeEvent,
  FLOOR_HEADER,
  messageHeaders,
  OtherLayoutError,
} from './eventMessage.js';

const text = fc.string({ unit: 'binary', maxLength: 12 });
const message = fc.record({
  ts: fc.integer({ min: 0 }),
  producer: fc.boolean(),
  input: fc.record({
    id: fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }),
    event_type: fc.constantFrom(...EVENT_TYPES),
    source: text,
    session_id: fc.option(text, { nil: null }),
    user_id: fc.option(text, { nil: null }),
    payloadJson: fc.jsonValue().map((value) => JSON.stringify(value)),
  }),
});

describe('event messages', () => {
  it('decode to exactly the event that was encoded (id, producer flag, nulls, payload text byte for byte)', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeEvent(encodeEvent(m))).toEqual(m);
      }),
    );
  });

  it('refuse what this code did not write, naming why', () => {
    expect(() => decodeEvent('hello')).toThrow(EventMessageError);
    expect(() => decodeEvent('[]')).toThrow(EventMessageError);
    expect(() => decodeEvent('{"kind":"x"}')).toThrow(EventMessageError);
    expect(() => decodeEvent('["hello"]')).toThrow(EventMessageError);
    expect(() => decodeEvent('[2,1,"",0,"quiz_started","s",null,null,"{}"]')).toThrow(/id/);
    expect(() => decodeEvent('[2,1,"a",2,"quiz_started","s",null,null,"{}"]')).toThrow(/producer flag/);
    expect(() => decodeEvent('[2,1,"a",0,"nope","s",null,null,"{}"]')).toThrow(/type/);
    expect(() => decodeEvent('[2,1,"a",0,"quiz_started","s",7,null,"{}"]')).toThrow(/wrong types/);
  });

  it("refuse another version's layout as OtherLayoutError, naming it, and nothing foreign as one", () => {
    const layout = (text: string) => {
      try {
        decodeEvent(text);
      } catch (error) {
        return error instanceof OtherLayoutError ? error.message : null;
      }
      return 'decoded';
    };
    expect(layout('{"v":1,"ts":1,"g":[],"n":[]}')).toBe(
      'layout v1 ({"v":…}, the earlier one-message-per-commit layout); this build reads v2',
    );
    expect(layout('[3,1,"a",0,"quiz_started","s",null,null,"{}"]')).toBe('layout v3; this build reads v2');
    expect(layout('[2,1,"a",0,"quiz_started","s",null,null,"{}","new"]')).toBe(
      'layout v2 with 10 fields; this build reads 9',
    );
    expect(layout('[2,1,"a",0,"quiz_started","s",null,null]')).toBe('layout v2 with 8 fields; this build reads 9');
    for (const foreign of ['hello', '[]', '{"v":"x"}', '["a",1]', '[2,1,"",0,"quiz_started","s",null,null,"{}"]'])
      expect(layout(foreign)).toBeNull();
    const input = {
      id: 'p1',
      event_type: 'quiz_started' as const,
      source: 's',
      session_id: null,
      user_id: null,
      payloadJson: '{}',
    };
    expect(layout(encodeEvent({ ts: 1, producer: true, input }))).toBe('decoded');
  });

  it('read the Nats-Msg-Id and the floor from the headers, a missing or unreadable floor as 1', () => {
    const headers = (values: Record<string, string>) => ({ get: (name: string) => values[name] ?? '' });
    expect(messageHeaders(headers({ 'Nats-Msg-Id': 'p1', [FLOOR_HEADER]: '42' }))).toEqual({ msgId: 'p1', floor: 42 });
    expect(messageHeaders(headers({}))).toEqual({ msgId: null, floor: 1 });
    expect(messageHeaders(undefined)).toEqual({ msgId: null, floor: 1 });
    for (const bad of ['0', '-3', '1.5', 'x', '1e400'])
      expect(messageHeaders(headers({ [FLOOR_HEADER]: bad })).floor).toBe(1);
  });
});
