import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../actors/manualScheduler.js';
import { ConsumerNotices, consumerFailureReason, REMIND_MS } from './consumerNotices.js';

const unavailable = 'JetStream system temporarily unavailable';

describe('ConsumerNotices', () => {
  it('says a reason once, then a count at most every REMIND_MS, and one line when a consumer is made again', () => {
    const clock = new ManualScheduler();
    const notices = new ConsumerNotices(() => clock.now());
    const lines: string[] = [];
    const say = (line: string | null) => line !== null && lines.push(line);
    // 60 s of failures every 250 ms, as during a quorum loss: 240 attempts.
    for (let i = 0; i < 240; i++) {
      say(notices.failed(i === 100 ? 'timeout' : unavailable));
      expect(notices.cause).toBe(`; its consumer cannot be made: ${i === 100 ? 'timeout' : unavailable}`);
      clock.advance(250);
    }
    say(notices.recovered());
    expect(lines).toEqual([
      `replica feed: ${unavailable}; recreating the consumer (retrying every 250 ms, repeats counted)`,
      'replica feed: timeout; recreating the consumer (retrying every 250 ms, repeats counted)',
      `replica feed: still cannot keep a consumer: 120 more failure(s) in the last ${REMIND_MS / 1_000} s (last: ${unavailable}); recreating it`,
      `replica feed: consumer made again after 240 failure(s) over 60 s (last: ${unavailable})`,
    ]);
    expect(notices.recovered()).toBeNull();
    expect(notices.cause).toBe('');
    // A new outage says its reason again.
    expect(notices.failed(unavailable)).toMatch(/^replica feed: JetStream system temporarily unavailable;/);
  });

  it("names the stream's max_consumers when the server says its consumer limit is reached, and nothing else", () => {
    expect(consumerFailureReason('maximum consumers limit reached', 'EVENTS')).toBe(
      'maximum consumers limit reached: stream EVENTS has max_consumers set, and every node following it needs one ' +
        "consumer (two for a moment while it makes one again); a stream's max_consumers cannot be changed: run fewer " +
        'nodes on it, or move the log to a stream made without it',
    );
    expect(consumerFailureReason(unavailable, 'EVENTS')).toBe(unavailable);
  });
});
