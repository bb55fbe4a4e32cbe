import { describe, expect, it } from 'vitest';
import { parseSubscriberMessage, readSubscriberMessage } from './subscriberMessage.js';

describe('parseSubscriberMessage, subscribe phase', () => {
  it('reads a message without type as the subscription, listing unknown keys as ignored', () => {
    expect(
      parseSubscriberMessage({ session_id: 's1', from_offset: 3, batch: true, sessionId: 'x' }, 'subscribe'),
    ).toEqual({
      type: 'subscribe',
      request: { filter: { session_id: 's1' }, from_offset: 3, batch: true, checkpoints: false },
      ignored: ['sessionId'],
    });
  });

  it('answers a ping before the subscription, whatever else it carries', () => {
    expect(parseSubscriberMessage({ type: 'ping', from_offset: 'x' }, 'subscribe')).toEqual({ type: 'ping' });
  });

  it('reads any other type as the subscription (the old service does not look at it), listing it as ignored', () => {
    expect(parseSubscriberMessage({ type: 'bogus', session_id: 's' }, 'subscribe')).toEqual({
      type: 'subscribe',
      request: { filter: { session_id: 's' }, from_offset: null, batch: false, checkpoints: false },
      ignored: ['type'],
    });
    expect(parseSubscriberMessage({ type: 'subscribe', session_id: 's' }, 'subscribe')).toMatchObject({ ignored: [] });
  });

  it('refuses update_filters before the subscription instead of subscribing to every event', () => {
    const parsed = parseSubscriberMessage({ type: 'update_filters', filters: { session_id: 's' } }, 'subscribe');
    expect(parsed).toEqual({ type: 'error', message: expect.stringMatching(/^type: "update_filters" changes a /) });
    expect(parsed.type === 'error' && parsed.message).toContain('nothing was subscribed');
  });

  it.each([[[]], [[{ session_id: 's' }]], [null], ['x'], [3]])('refuses %j as not a JSON object', (raw) => {
    expect(parseSubscriberMessage(raw, 'subscribe')).toEqual({
      type: 'error',
      message: 'message: subscribe message must be a JSON object',
    });
  });

  it('names every offending field', () => {
    const parsed = parseSubscriberMessage({ event_types: ['nope'], from_offset: -1 }, 'subscribe');
    expect(parsed.type).toBe('error');
    if (parsed.type === 'error') {
      expect(parsed.message).toContain('event_types[0]: unknown event type "nope"');
      expect(parsed.message).toContain('from_offset: must be ≥ 0');
    }
  });
});

describe('parseSubscriberMessage, live phase', () => {
  it('tells ping and update_filters apart by type', () => {
    expect(parseSubscriberMessage({ type: 'ping' }, 'live')).toEqual({ type: 'ping' });
    expect(
      parseSubscriberMessage({ type: 'update_filters', filters: { user_id: 'u', userId: 'u' }, extra: 1 }, 'live'),
    ).toEqual({
      type: 'update_filters',
      filters: { user_id: 'u' },
      ignored: ['extra', 'userId'],
    });
  });

  it('refuses filter keys beside filters, naming them, instead of reading the message as no filter', () => {
    expect(parseSubscriberMessage({ type: 'update_filters', session_id: 's', user_id: 'u' }, 'live')).toEqual({
      type: 'error',
      message:
        'session_id, user_id: in update_filters, filters go inside "filters", e.g. ' +
        '{"type":"update_filters","filters":{"session_id":…}}; the filter was not changed',
    });
    const both = parseSubscriberMessage({ type: 'update_filters', filters: {}, event_types: ['quiz_started'] }, 'live');
    expect(both).toMatchObject({ type: 'error', message: expect.stringMatching(/^event_types: /) });
    expect(parseSubscriberMessage({ type: 'ping', session_id: 's' }, 'live')).toEqual({ type: 'ping' });
  });

  it('refuses update_filters without filters (a typo must not widen the filter), and treats null as no filter', () => {
    const refusal = {
      type: 'error',
      message:
        'filters: is required in update_filters, e.g. {"type":"update_filters","filters":{"session_id":…}} ' +
        '({} or null for every event); the filter was not changed',
    };
    expect(parseSubscriberMessage({ type: 'update_filters' }, 'live')).toEqual(refusal);
    expect(parseSubscriberMessage({ type: 'update_filters', filter: { session_id: 's' } }, 'live')).toEqual(refusal);
    expect(parseSubscriberMessage({ type: 'update_filters', filters: null }, 'live')).toEqual({
      type: 'update_filters',
      filters: {},
      ignored: [],
    });
  });

  const already = 'this connection is already subscribed: change its filter with update_filters';
  it.each([
    [{ type: 'subscribe' }, `unknown message type "subscribe"; expected "ping" or "update_filters" (${already})`],
    [{ type: 7 }, 'unknown message type 7; expected "ping" or "update_filters"'],
    [{ session_id: 's' }, `type: is required; expected "ping" or "update_filters" (${already})`],
    [{ type: null }, `type: is required; expected "ping" or "update_filters" (${already})`],
    [[1], 'message: must be a JSON object with a "type"; expected "ping" or "update_filters"'],
    [5, 'message: must be a JSON object with a "type"; expected "ping" or "update_filters"'],
    [null, 'message: must be a JSON object with a "type"; expected "ping" or "update_filters"'],
  ])('refuses %j, saying what is wrong with it', (raw, message) => {
    expect(parseSubscriberMessage(raw, 'live')).toEqual({ type: 'error', message });
  });

  it.each([[[]], ['x'], [3]])('refuses filters %j, naming "filters"', (filters) => {
    expect(parseSubscriberMessage({ type: 'update_filters', filters }, 'live')).toEqual({
      type: 'error',
      message: 'filters: filters must be a JSON object; the filter was not changed',
    });
  });

  it('prefixes nested filter fields with "filters."', () => {
    expect(parseSubscriberMessage({ type: 'update_filters', filters: { user_id: 5 } }, 'live')).toEqual({
      type: 'error',
      message: 'filters.user_id: must be a string; the filter was not changed',
    });
  });
});

describe('readSubscriberMessage', () => {
  it('answers bad JSON before the subscription and ignores it after', () => {
    const before = readSubscriberMessage('{nope', 'subscribe', 32);
    expect(before.type === 'error' && before.message.startsWith('Invalid JSON: ')).toBe(true);
    expect(readSubscriberMessage('{nope', 'live', 32)).toEqual({ type: 'ignore' });
  });

  it('answers too deep a message in both phases, naming the field', () => {
    const text = JSON.stringify({ type: 'update_filters', filters: { source: [[[['x']]]] } });
    for (const phase of ['subscribe', 'live'] as const) {
      expect(readSubscriberMessage(text, phase, 4)).toEqual({
        type: 'error',
        message: 'filters.source[0][0]: nested deeper than 4 levels (MAX_JSON_DEPTH)',
      });
    }
  });
});
