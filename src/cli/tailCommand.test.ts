import { describe, expect, it } from 'vitest';
import { formatRecord } from './tailCommand.js';

describe('formatRecord', () => {
  it('prints no raw control character or line separator from any field, the payload included', () => {
    const line = formatRecord({
      id: 'evt_1',
      offset: 7,
      event_type: 'timer_tick',
      source: 's\u009b',
      session_id: 'a\u2028b',
      user_id: null,
      payload: { text: 'x\u009b2J\u2029\u001b' },
      timestamp: '2026-12-04T00:00:00.000Z',
    });
    const unprintable = (c: string) =>
      c.charCodeAt(0) < 0x20 || (c >= '\u007f' && c <= '\u009f') || c === '\u2028' || c === '\u2029';
    expect([...line].filter(unprintable)).toEqual([]);
    expect(line).toBe(
      '#7  2026-12-04T00:00:00.000Z  timer_tick            session=a\\u2028b source=s\\u009b  {"text":"x\\u009b2J\\u2029\\u001b"}',
    );
  });
});
