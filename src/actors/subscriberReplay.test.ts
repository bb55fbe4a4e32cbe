import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventFilter } from '../protocol/eventFilter.js';
import type { EventInput } from '../protocol/eventInput.js';
import { EVENT_TYPES } from '../protocol/eventTypes.js';
import { FakeSocket } from './fakeSocket.js';
import { ManualScheduler } from './manualScheduler.js';
import { batchBytes, type SubscriberContext, type SubscriberLimits } from './subscriber.js';
import { replaySlice } from './subscriberReplay.js';
import { openTestLog } from './testLog.js';
import { subscriberContext } from './testSubscriber.js';

/** A socket that also takes ready-made frames (as the uWS adapter does), recorded as the text they carry. */
class FrameSocket extends FakeSocket {
  frames = 0;
  sendFrame(frame: Uint8Array): void {
    this.frames++;
    this.sent.push(Buffer.from(frame).toString('utf8'));
  }
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

const TYPES = EVENT_TYPES.slice(0, 3);

function replayAll(
  socket: FakeSocket,
  log: SubscriberContext['io']['log'],
  scheduler: ManualScheduler,
  limits: SubscriberLimits,
  filter: EventFilter,
) {
  let context = subscriberContext(socket, log, scheduler, limits, 1, { filter });
  // Hint: the manual clock never moves, so one slice runs to the head unless the (fake) socket is full.
  for (let i = 0; i < 10_000; i++) {
    const slice = replaySlice(context);
    context = { ...context, ...slice };
    if (slice.next === 'caughtUp') return;
    scheduler.runImmediates();
  }
  throw new Error('replay did not catch up');
}

describe('replaySlice with frames built by the log', () => {
  it('sends the same records in the same order as the string path, each message a JSON array within the batch bound', () => {
    const scheduler = new ManualScheduler();
    const log = openTestLog(scheduler, cleanups, 'replay-frames-');
    let framesSent = 0;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            event_type: fc.constantFrom(...TYPES),
            source: fc.constantFrom('a', 'b'),
            size: fc.oneof(fc.nat({ max: 40 }), fc.nat({ max: 2_000 })),
          }),
          { maxLength: 150 },
        ),
        fc.record(
          { event_types: fc.subarray(TYPES, { minLength: 1 }), source: fc.constantFrom('a', 'b') },
          { requiredKeys: [] },
        ),
        fc.integer({ min: 200, max: 20_000 }),
        fc.integer({ min: 1, max: 30 }),
        (events, filter, bufferBytes, replayPage) => {
          const inputs: EventInput[] = events.map((e) => ({
            id: null,
            event_type: e.event_type,
            source: e.source,
            session_id: 's',
            user_id: null,
            payloadJson: JSON.stringify({ pad: 'x'.repeat(e.size) }),
          }));
          if (inputs.length > 0) log.appendGroups([inputs]);
          const limits: SubscriberLimits = { ...LIMITS, bufferBytes, replayPage };
          const strings = new FakeSocket();
          const frames = new FrameSocket();
          replayAll(strings, log, scheduler, limits, filter);
          replayAll(frames, log, scheduler, limits, filter);
          expect(frames.records()).toEqual(strings.records());
          framesSent += frames.frames;
          for (const message of frames.messages()) expect(Array.isArray(message)).toBe(true);
          for (const text of frames.sent)
            expect(text.length <= batchBytes(limits) || JSON.parse(text).length === 1).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
    // The frame path ran (the property would hold trivially if every page fell back to strings).
    expect(framesSent).toBeGreaterThan(0);
  });

  it('never holds a reader that falls behind to more than its bound and one record, and still sends every record once', () => {
    const scheduler = new ManualScheduler();
    const log = openTestLog(scheduler, cleanups, 'replay-bound-');
    let blocked = 0;
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.nat({ max: 60 }), fc.nat({ max: 3_000 })), { minLength: 1, maxLength: 120 }),
        fc.integer({ min: 500, max: 12_000 }),
        fc.boolean(),
        fc.array(fc.nat({ max: 20_000 }), { minLength: 1, maxLength: 10 }),
        (sizes, bufferBytes, batch, drains) => {
          const first = log.headOffset() + 1;
          log.appendGroups([sizes.map((size) => input(size))]);
          const limits: SubscriberLimits = { ...LIMITS, bufferBytes, replayPage: 1_000 };
          // A reader that takes `drains[i]` bytes between slices: what is sent stays queued until then.
          const socket = new FrameSocket();
          const send = (text: string) => {
            socket.sent.push(text);
            socket.buffered += Buffer.byteLength(text, 'utf8');
          };
          socket.send = send;
          socket.sendFrame = (frame) => {
            socket.frames++;
            send(Buffer.from(frame).toString('utf8'));
          };
          const largest = Math.max(...log.readJsonFrom(first, {}, 1_000).records.map((r) => Buffer.byteLength(r) + 2));
          let context = subscriberContext(socket, log, scheduler, limits, first, { batch });
          for (let i = 0; ; i++) {
            const slice = replaySlice(context);
            context = { ...context, ...slice };
            expect(socket.buffered).toBeLessThanOrEqual(bufferBytes + largest);
            if (slice.next === 'caughtUp') break;
            if (slice.next === 'blocked') blocked++;
            socket.buffered = Math.max(0, socket.buffered - (drains[i % drains.length] ?? 0) - 1);
          }
          const offsets = socket.records().map((r) => r.offset);
          expect(offsets).toEqual(Array.from({ length: sizes.length }, (_, i) => first + i));
        },
      ),
      { numRuns: 60 },
    );
    // Readers did fall behind (the bound was reached), so the property was not held trivially.
    expect(blocked).toBeGreaterThan(0);
  });
});

const LIMITS: SubscriberLimits = {
  bufferBytes: 1_000,
  replayPage: 1_000,
  replaySliceMs: 20,
  keepaliveMs: 30_000,
  slowConsumerTimeoutMs: 5_000,
  subscribeTimeoutMs: 10_000,
};

function input(size: number): EventInput {
  const payloadJson = JSON.stringify({ pad: 'x'.repeat(size) });
  return { id: null, event_type: TYPES[0]!, source: 'a', session_id: 's', user_id: null, payloadJson };
}
