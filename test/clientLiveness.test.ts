import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClientClosedError, type PublishAck, Publisher, PublishRejectedError } from '../src/client/index.js';
import { FakeSocket, ManualScheduler } from './support/scriptedClient.js';

/** A server that commits each producer id once: a resend gets the offset the id has. */
class ModelServer {
  readonly offsets = new Map<string, number>();
  private next = 1;
  private readonly answered = new Map<FakeSocket, number>();

  /** Answer the oldest unanswered message on `socket` (when open): an ack, a retryable refusal, or a final one. */
  answer(socket: FakeSocket | undefined, how: 'ok' | 'retry' | 'invalid'): void {
    if (socket === undefined || socket.readyState !== 1) return;
    const at = this.answered.get(socket) ?? 0;
    const text = socket.sent[at];
    if (text === undefined) return;
    this.answered.set(socket, at + 1);
    const message = JSON.parse(text) as { ref: number; events: Array<{ id: string }> };
    if (how === 'retry') {
      socket.reply({
        status: 'error',
        message: 'storage unavailable; not committed, retry',
        retryable: true,
        ref: message.ref,
      });
      return;
    }
    if (how === 'invalid') {
      socket.reply({ status: 'error', message: '[0].payload: must be an object', code: 422, ref: message.ref });
      return;
    }
    const ids = message.events.map((event) => event.id);
    let duplicates = 0;
    const offsets = ids.map((id) => {
      const known = this.offsets.get(id);
      if (known !== undefined) duplicates++;
      return known ?? this.offsets.set(id, this.next++).get(id)!;
    });
    socket.reply({
      status: 'ok',
      count: ids.length,
      event_ids: ids,
      first_offset: Math.min(...offsets),
      last_offset: Math.max(...offsets),
      duplicates,
      offsets,
      ref: message.ref,
    });
  }

  /** Answer every message sent on `socket` so far. */
  answerAll(socket: FakeSocket | undefined, how: 'ok' | 'retry' = 'ok'): void {
    for (let i = 0; socket !== undefined && i < socket.sent.length; i++) this.answer(socket, how);
  }
}

type Step =
  | { readonly kind: 'publish' | 'batch'; readonly count: number }
  | { readonly kind: 'open' | 'drop' | 'ack' | 'refuse' | 'invalid' | 'shutdown' | 'close' }
  | { readonly kind: 'wait'; readonly ms: number };

const kind = <K extends Step['kind']>(k: K) => fc.constant(k);
// Hint: opens, refusals and drops weigh more than acks (an ack resets the backoff), so refusals meet drops often.
// `shutdown` is a server stopping: every message on the socket refused as retryable, then the socket closed.
// `close` is the caller's close(): it drains what was asked before it, and what is asked after it fails at once.
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: kind('publish'), count: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: kind('batch'), count: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: kind('open') }) },
  { weight: 1, arbitrary: fc.record({ kind: kind('ack') }) },
  { weight: 2, arbitrary: fc.record({ kind: kind('refuse') }) },
  { weight: 1, arbitrary: fc.record({ kind: kind('invalid') }) },
  { weight: 2, arbitrary: fc.record({ kind: kind('drop') }) },
  { weight: 2, arbitrary: fc.record({ kind: kind('shutdown') }) },
  { weight: 1, arbitrary: fc.record({ kind: kind('close') }) },
  { weight: 2, arbitrary: fc.record({ kind: kind('wait'), ms: fc.constantFrom(0, 1, 5, 10, 20, 45, 200) }) },
);

const newest = (): FakeSocket | undefined => FakeSocket.all[FakeSocket.all.length - 1];

describe('Publisher liveness on a scripted server', () => {
  it('settles every publish once the server cooperates, whatever drops, refusals and waits came before', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 4, maxLength: 40 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom(0, 3),
        fc.constantFrom(10, 40),
        fc.constantFrom(3, 10_000),
        async (steps, draws, lingerMs, initialMs, maxInFlightEvents) => {
          FakeSocket.all = [];
          const scheduler = new ManualScheduler();
          let draw = 0;
          const publisher = new Publisher({
            url: 'http://test',
            WebSocket: FakeSocket,
            scheduler,
            lingerMs,
            maxBatchEvents: 3,
            maxInFlightMessages: 2,
            maxInFlightEvents,
            // Hint: a small cap, so a pause and a reconnect often draw delays of the same range.
            backoff: { initialMs, maxMs: 40 },
            random: () => draws[draw++ % draws.length]!,
            // Hint: no deadline within the run: a publish left waiting stays pending and fails the property.
            deliveryTimeoutMs: 1e12,
          });
          const server = new ModelServer();
          const acks: PublishAck[] = [];
          const failures: unknown[] = [];
          let refused = 0;
          let asked = 0;
          let closing: Promise<void> | null = null;
          let drained = false;
          const late: unknown[] = [];
          const track = (done: Promise<PublishAck | PublishAck[]>, count = 1) => {
            if (closing !== null)
              return void done.then(
                () => late.push('resolved'),
                (error) => late.push(error),
              );
            asked += count;
            done.then(
              (ack) => acks.push(...(Array.isArray(ack) ? ack : [ack])),
              (error: unknown) => {
                failures.push(error);
                refused += count;
              },
            );
          };
          for (const s of steps) {
            const socket = newest();
            if (s.kind === 'publish')
              for (let i = 0; i < s.count; i++) track(publisher.publish({ event_type: 'timer_tick', source: 'p' }));
            else if (s.kind === 'batch')
              track(
                publisher.publishBatch(
                  Array.from({ length: s.count }, () => ({ event_type: 'timer_tick' as const, source: 'b' })),
                ),
                s.count,
              );
            else if (s.kind === 'open' && socket?.readyState === 0) socket.open();
            else if (s.kind === 'drop' && socket !== undefined && socket.readyState < 2) socket.drop();
            else if (s.kind === 'ack') server.answer(socket, 'ok');
            else if (s.kind === 'refuse' || s.kind === 'invalid')
              server.answer(socket, s.kind === 'refuse' ? 'retry' : 'invalid');
            else if (s.kind === 'close' && closing === null)
              closing = publisher.close().then(() => {
                drained = true;
              });
            else if (s.kind === 'shutdown' && socket?.readyState === 1) {
              server.answerAll(socket, 'retry');
              socket.drop(1001, 'server shutting down');
            }
            await scheduler.advance(s.kind === 'wait' ? s.ms : 0);
          }
          // The server cooperates from here on: each socket opens, each message is acked.
          // Hint: in small steps, so a socket opens at once, often inside a pause (as a quick server's would).
          for (let round = 0; round < 2_000 && acks.length + refused < asked; round++) {
            const socket = newest();
            if (socket?.readyState === 0) socket.open();
            server.answerAll(newest());
            await scheduler.advance(5);
          }
          // Only what the server refused for good fails, with its code; everything else resolves.
          for (const error of failures) expect(error).toMatchObject({ name: PublishRejectedError.name, code: 422 });
          expect(acks.length + refused).toBe(asked);
          expect(publisher.inFlight).toBe(0);
          // close() resolved once everything asked before it settled; everything asked after it failed at once.
          expect(drained).toBe(closing !== null);
          for (const outcome of late) expect(outcome).toBeInstanceOf(ClientClosedError);
          for (const ack of acks) expect(server.offsets.get(ack.id)).toBe(ack.offset);
          expect(new Set(acks.map((ack) => ack.offset)).size).toBe(acks.length);
          publisher.destroy();
        },
      ),
      { numRuns: 5_000 },
    );
  });
});
