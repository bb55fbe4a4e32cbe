import { describe, expect, it } from 'vitest';
import { asksBeyondKnown, type LogPosition, subscriptionStart } from './subscribedAck.js';
import type { SubscribeRequest } from './subscribeMessage.js';

const request = (from_offset: number | null): SubscribeRequest => ({
  filter: { session_id: 's' },
  from_offset,
  batch: false,
  checkpoints: false,
});
const log = (head: number, first: number): LogPosition => ({ head, epoch: 'e1', firstOffset: () => first });
const filters = { event_types: null, session_id: 's', user_id: null, source: null };

describe('subscriptionStart', () => {
  it('goes live after the head without from_offset, listing ignored keys', () => {
    expect(subscriptionStart('sub-1', request(null), log(10, 1), ['extra'])).toEqual({
      ack: { status: 'subscribed', subscriber_id: 'sub-1', filters, head_offset: 10, epoch: 'e1', ignored: ['extra'] },
      start: 11,
    });
  });

  it('replays from from_offset, and from 1 for from_offset 0 on a never-trimmed log', () => {
    expect(subscriptionStart('s', request(4), log(10, 1), [])).toEqual({
      ack: { status: 'subscribed', subscriber_id: 's', filters, head_offset: 10, epoch: 'e1', from_offset: 4 },
      start: 4,
    });
    expect(subscriptionStart('s', request(0), log(10, 1), []).start).toBe(1);
    expect(subscriptionStart('s', request(0), log(10, 1), []).ack.retention).toBeUndefined();
  });

  it('says when retention deleted part of the requested range', () => {
    const { ack, start } = subscriptionStart('s', request(2), log(10, 5), []);
    // Replay starts at the first offset, as the ack says, so it does not report this gap a second time.
    expect(start).toBe(5);
    expect(ack.retention).toEqual({
      truncated: true,
      first_available_offset: 5,
      message: 'offsets 2-4 were deleted by retention; replay starts at 5',
    });
    expect(subscriptionStart('s', request(0), log(10, 5), []).ack.retention?.message).toBe(
      'offsets 1-4 were deleted by retention; replay starts at 5',
    );
    expect(subscriptionStart('s', request(4), log(10, 5), []).ack.retention?.message).toBe(
      'offset 4 was deleted by retention; replay starts at 5',
    );
  });

  it('starts at the head + 1 for a from_offset beyond it, and says so', () => {
    const { ack, start } = subscriptionStart('s', request(50), log(10, 1), []);
    expect(start).toBe(11);
    expect(ack.from_offset).toBe(11);
    expect(ack.beyond_head).toEqual({
      requested_from_offset: 50,
      message: 'from_offset 50 is beyond the head (10); starting at 11',
    });
  });

  it('starts where asked within what is known to exist beyond the head (a replica behind the stream)', () => {
    const behind: LogPosition = { ...log(10, 1), known: 60 };
    for (const from of [11, 50, 61]) {
      const { ack, start } = subscriptionStart('s', request(from), behind, []);
      expect(start).toBe(from);
      expect(ack.from_offset).toBe(from);
      expect(ack.beyond_head).toBeUndefined();
    }
    const { ack, start } = subscriptionStart('s', request(62), behind, []);
    expect(start).toBe(11);
    expect(ack.beyond_head?.requested_from_offset).toBe(62);
  });

  it('asks the stream first only for a from_offset beyond what is known to exist + 1', () => {
    expect(asksBeyondKnown(request(null), log(10, 1))).toBe(false);
    expect(asksBeyondKnown(request(11), log(10, 1))).toBe(false);
    expect(asksBeyondKnown(request(12), log(10, 1))).toBe(true);
    expect(asksBeyondKnown(request(61), { ...log(10, 1), known: 60 })).toBe(false);
    expect(asksBeyondKnown(request(62), { ...log(10, 1), known: 60 })).toBe(true);
  });
});
