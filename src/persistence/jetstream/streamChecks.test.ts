import type { StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../protocol/eventTypes.js';
import { encodeEvent, FLOOR_HEADER } from './eventMessage.js';
import { JetStreamSettingError } from './jetStreamOptions.js';
import {
  checkMessageSize,
  duplicateWindowChange,
  ENVELOPE_BYTES,
  largestMessageBytes,
  limitsChange,
  limitsLowering,
  reviewStream,
} from './streamChecks.js';

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');
const longestType = EVENT_TYPES.reduce((a, b) => (a.length >= b.length ? a : b));

/** The bytes NATS counts against max_payload: the body and the encoded headers, as the publisher sets them. */
function messageBytes(id: string, payloadJson: string, key: string): number {
  const body = encodeEvent({
    ts: Number.MAX_SAFE_INTEGER,
    producer: true,
    input: { id, event_type: longestType, source: 's'.repeat(100), session_id: key, user_id: key, payloadJson },
  });
  // Hint: NATS's header block, as HPUB sends it: a version line, one line per header, a blank line.
  const block = `NATS/1.0\r\nNats-Msg-Id: ${id}@${Number.MAX_SAFE_INTEGER}\r\n${FLOOR_HEADER}: ${Number.MAX_SAFE_INTEGER}\r\n\r\n`;
  return utf8(body) + utf8(block);
}

describe('the largest stream message an event can make', () => {
  it('bounds every event: ids and keys at their longest and worst-escaped, any payload text', () => {
    // Hint: a control character is 6 bytes as a JSON escape, the most any character of a key can take.
    const worstKey = '\u0001'.repeat(200);
    const id = 'i'.repeat(100);
    const payloadText = fc.string({ unit: fc.constantFrom('"', '\\', '\u0001', 'é', '😀', 'a'), maxLength: 400 });
    fc.assert(
      fc.property(payloadText, (value) => {
        const payloadJson = JSON.stringify({ v: value });
        expect(messageBytes(id, payloadJson, worstKey)).toBeLessThanOrEqual(largestMessageBytes(utf8(payloadJson)));
      }),
    );
    // The bound is tight enough to mean something: the worst payload takes nearly twice its size.
    const worst = JSON.stringify({ v: '\\'.repeat(10_000) });
    expect(messageBytes(id, worst, worstKey)).toBeGreaterThan(2 * utf8(worst) - 10);
    expect(messageBytes(id, worst, worstKey) - 2 * utf8(worst)).toBeLessThanOrEqual(ENVELOPE_BYTES);
  });

  it('refuses a MAX_PAYLOAD_BYTES that cannot fit, naming the variable and the most that fits', () => {
    expect(() => checkMessageSize(65_536, 1_048_576, 'max_payload')).not.toThrow();
    expect(() => checkMessageSize(600_000, 0, 'max_msg_size')).not.toThrow();
    const most = (1_048_576 - ENVELOPE_BYTES) / 2;
    expect(() => checkMessageSize(most, 1_048_576, 'max_payload')).not.toThrow();
    expect(() => checkMessageSize(most + 1, 1_048_576, 'max_payload')).toThrow(JetStreamSettingError);
    expect(() => checkMessageSize(600_000, 1_048_576, "the NATS servers' max_payload")).toThrow(
      `600000 is too large for the NATS servers' max_payload of 1048576 bytes`,
    );
    try {
      checkMessageSize(600_000, 1_048_576, 'max_payload');
    } catch (error) {
      expect(error instanceof JetStreamSettingError && error.variable).toBe('MAX_PAYLOAD_BYTES');
      expect(String(error)).toContain(`at most ${most} here`);
    }
  });
});

const good: StreamConfig = {
  name: 'EVENTS',
  subjects: ['EVENTS.>'],
  retention: 'limits',
  discard: 'old',
  num_replicas: 3,
  max_msgs_per_subject: -1,
  max_msgs: -1,
  max_bytes: -1,
  max_age: 0,
  sealed: false,
  deny_purge: false,
  duplicate_window: nanos(600_000),
} as StreamConfig;

describe('reviewing an existing stream', () => {
  it('takes the stream a node creates as it is, with nothing to say', () => {
    expect(reviewStream(good, { replicas: 3 })).toEqual({ refusals: [], notices: [] });
    expect(reviewStream({ ...good, subjects: ['EVENTS.*'] }, { replicas: 3 }).refusals).toEqual([]);
    expect(reviewStream({ ...good, subjects: ['other', '>'] }, { replicas: 3 }).refusals).toEqual([]);
  });

  it('refuses, naming each reason, a stream that would lose or never take events', () => {
    const review = reviewStream(
      { ...good, subjects: ['EVENTS.audit', 'EVENTS.event.x'], retention: 'workqueue', max_msgs_per_subject: 1 },
      { replicas: 3 },
    );
    expect(review.refusals).toEqual([
      'it does not capture subject EVENTS.event (its subjects: EVENTS.audit, EVENTS.event.x)',
      'its retention is "workqueue", which removes messages once read; the log needs "limits"',
      'it keeps at most 1 message(s) per subject, and every event has the same subject',
    ]);
    expect(reviewStream({ ...good, retention: 'interest' }, { replicas: 3 }).refusals).toHaveLength(1);
    expect(reviewStream({ ...good, sealed: true }, { replicas: 3 }).refusals).toEqual([
      'it is sealed, so no event can be appended',
    ]);
  });

  it('refuses, naming the field, a stream that never acks, drops its oldest events by count, or lives in memory', () => {
    expect(reviewStream({ ...good, no_ack: true }, { replicas: 3 }).refusals).toEqual([
      'it does not acknowledge publishes (no_ack), and a commit is answered only once the stream acknowledges it; ' +
        '`nats stream edit EVENTS --ack` turns acknowledgements on',
    ]);
    expect(reviewStream({ ...good, max_msgs: 100 }, { replicas: 3 }).refusals).toEqual([
      'it keeps at most 100 messages (max_msgs) and deletes the oldest events beyond that on every node; the ' +
        "log's limits are NATS_MAX_BYTES and NATS_MAX_AGE_MS: lift it with `nats stream edit EVENTS --max-msgs=-1`",
    ]);
    expect(reviewStream({ ...good, storage: 'memory' }, { replicas: 3 }).refusals).toEqual([
      'its storage is memory, so the log is lost when its servers restart (and a node started then makes a new empty ' +
        "one); a stream's storage cannot be changed: choose another NATS_STREAM, which a node creates on file storage",
    ]);
    // A count that refuses publishes once full deletes nothing: said, not refused, as for the other limits.
    const full = reviewStream({ ...good, max_msgs: 100, discard: 'new' }, { replicas: 3 });
    expect(full.refusals).toEqual([]);
    expect(full.notices).toEqual([
      'stream EVENTS discards new messages at its limits: publishes are refused (503) once full',
    ]);
    expect(reviewStream({ ...good, storage: 'file', no_ack: false, max_msgs: 0 }, { replicas: 3 }).refusals).toEqual(
      [],
    );
  });

  it('tells what an operator should know: fewer copies, discard new at a limit, a consumer cap, purges denied', () => {
    const review = reviewStream(
      { ...good, num_replicas: 1, discard: 'new', max_bytes: 1_000, max_consumers: 2, deny_purge: true },
      {
        replicas: 3,
      },
    );
    expect(review.refusals).toEqual([]);
    expect(review.notices).toEqual([
      'stream EVENTS keeps 1 copy, fewer than NATS_REPLICAS=3 (which applies when a node creates the stream)',
      'stream EVENTS discards new messages at its limits: publishes are refused (503) once full',
      'stream EVENTS allows at most 2 consumer(s) (max_consumers): every node following it needs one, so a node ' +
        'beyond that count cannot follow the stream (and it cannot be changed on a stream)',
      'stream EVENTS denies purges: DELETE /events will be refused (409)',
    ]);
    expect(reviewStream({ ...good, discard: 'new' }, { replicas: 3 }).notices).toEqual([]);
    expect(reviewStream({ ...good, max_consumers: -1 }, { replicas: 3 }).notices).toEqual([]);
  });

  it("names each limit a node's settings change, old and new, and nothing when they only differ in spelling", () => {
    const none = { max_age: 0, max_bytes: -1 };
    expect(limitsChange({ ...good, max_age: 0, max_bytes: -1 }, none)).toBeNull();
    // Hint: NATS reports "no limit" as 0 or -1 alike; neither is a change.
    expect(limitsChange({ ...good, max_age: 0, max_bytes: 0 }, none)).toBeNull();
    expect(limitsChange({ ...good, max_age: nanos(3_600_000), max_bytes: 5_000_000 }, none)).toBe(
      "stream EVENTS's limits set from this node's settings: max_age 3600000 ms → none (NATS_MAX_AGE_MS), " +
        'max_bytes 5000000 bytes → none (NATS_MAX_BYTES); give every node the same',
    );
    expect(limitsChange({ ...good, max_age: 0, max_bytes: -1 }, { max_age: nanos(1_500), max_bytes: -1 })).toBe(
      "stream EVENTS's limits set from this node's settings: max_age none → 1500 ms (NATS_MAX_AGE_MS); " +
        'give every node the same',
    );
  });

  it('refuses settings that would lower a limit (the stream would delete events on every node), allows raising one', () => {
    const none = { max_age: 0, max_bytes: -1 };
    const capped = { ...good, max_age: nanos(3_600_000), max_bytes: 5_000_000 };
    const lowered = limitsLowering({ ...good, max_age: 0, max_bytes: -1 }, { max_age: 0, max_bytes: 2_000_000 });
    expect(lowered?.variable).toBe('NATS_MAX_BYTES');
    expect(lowered?.message).toBe(
      "would lower stream EVENTS's max_bytes from none to 2000000 bytes, and the stream would delete its oldest events " +
        'on every node; a node never lowers a limit: to lower it, run `nats stream edit EVENTS --max-bytes 2000000` ' +
        'first, then give every node the same',
    );
    expect(limitsLowering(capped, { max_age: nanos(3_600_000), max_bytes: 4_999_999 })?.variable).toBe(
      'NATS_MAX_BYTES',
    );
    expect(limitsLowering(capped, { max_age: nanos(60_000), max_bytes: 5_000_000 })?.message).toContain(
      'from 3600000 ms to 60000 ms',
    );
    // Raising, lifting or keeping a limit deletes nothing.
    expect(limitsLowering(capped, none)).toBeNull();
    expect(limitsLowering(capped, { max_age: nanos(7_200_000), max_bytes: 6_000_000 })).toBeNull();
    expect(limitsLowering(capped, { max_age: nanos(3_600_000), max_bytes: 5_000_000 })).toBeNull();
    expect(limitsLowering({ ...good, max_age: 0, max_bytes: 0 }, none)).toBeNull();
  });

  it('raises the duplicate window the settings ask for, naming old and new, and refuses to lower it', () => {
    expect(duplicateWindowChange(good, 600_000)).toBeNull();
    expect(duplicateWindowChange({ ...good, duplicate_window: nanos(2_000) }, 600_000)).toEqual({
      window: nanos(600_000),
      notice:
        "stream EVENTS's duplicate window set from 2000 ms to 600000 ms (NATS_DUPLICATE_WINDOW_MS); give every node the same",
    });
    const lowering = duplicateWindowChange(good, 1_000);
    expect(lowering).toBeInstanceOf(JetStreamSettingError);
    expect(lowering instanceof JetStreamSettingError && lowering.variable).toBe('NATS_DUPLICATE_WINDOW_MS');
    expect(lowering instanceof Error && lowering.message).toBe(
      "would lower stream EVENTS's duplicate window from 600000 ms to 1000 ms for every node (re-sent commits older " +
        'than that would no longer be deduped by the stream); a node never lowers it: to lower it, run ' +
        '`nats stream edit EVENTS --dupe-window 1000ms` first, then give every node the same',
    );
  });
});
