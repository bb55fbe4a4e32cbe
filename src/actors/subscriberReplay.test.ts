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
  let context: SubscriberContext = {
    id: 'sub',
    io: { socket, log, limits, scheduler, delivered: () => {} },
    filter,
    batch: true,
    checkpoints: false,
    nextOffset: 1,
    stalledSince: null,
    lastActivity: 0,
    openedAt: 0,
    recordBytes: 0,
    onTopic: false,
  };
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
          const limits: SubscriberLimits = {
            bufferBytes,
            replayPage,
            replaySliceMs: 20,
            keepaliveMs: 30_000,
            slowConsumerTimeoutMs: 5_000,
            subscribeTimeoutMs: 10_000,
          };
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
});
