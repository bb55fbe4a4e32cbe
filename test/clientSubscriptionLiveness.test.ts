import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EventRecord, subscribe } from '../src/client/index.js';
import { FakeSocket, ManualScheduler, record } from './support/scriptedClient.js';

const HEAD = 30;

/** A server with a log of HEAD records: per socket, where its subscription asked to start and what it pushed. */
class ModelServer {
  private readonly streams = new Map<FakeSocket, { next: number }>();

  /** Ack the subscribe request on `socket` (open, not acked yet): pushes start where it asked. */
  ack(socket: FakeSocket | undefined): void {
    if (socket === undefined || socket.readyState !== 1 || this.streams.has(socket) || socket.sent.length === 0) return;
    const { from_offset } = JSON.parse(socket.sent[0]!) as { from_offset: number };
    this.streams.set(socket, { next: from_offset });
    socket.reply({ status: 'subscribed', subscriber_id: 's', head_offset: HEAD, epoch: 'e1', from_offset });
  }

  /** Push the next `count` records on `socket` (open and acked), in one batch message. */
  push(socket: FakeSocket | undefined, count: number): void {
    const stream = socket === undefined || socket.readyState !== 1 ? undefined : this.streams.get(socket);
    if (stream === undefined || stream.next > HEAD) return;
    const records: EventRecord[] = [];
    for (; records.length < count && stream.next <= HEAD; stream.next++) records.push(record(stream.next));
    socket!.onmessage?.({ data: JSON.stringify(records) });
  }

  /** Tell `socket` everything before its next push was looked at (a checkpoint). */
  checkpoint(socket: FakeSocket | undefined): void {
    const stream = socket === undefined || socket.readyState !== 1 ? undefined : this.streams.get(socket);
    if (stream !== undefined && stream.next > 1) socket!.reply({ type: 'checkpoint', offset: stream.next - 1 });
  }

  /** Refuse the subscription as a full server does: a retryable error before any ack, then close 1013. */
  refuse(socket: FakeSocket | undefined): void {
    if (socket === undefined || socket.readyState !== 1 || this.streams.has(socket)) return;
    socket.reply({ status: 'error', message: 'server at capacity; retry later', retryable: true });
    socket.drop(1013, 'try again later');
  }
}

type Step =
  | { readonly kind: 'open' | 'ack' | 'checkpoint' | 'refuse' | 'drop' | 'consume' }
  | { readonly kind: 'push'; readonly count: number }
  | { readonly kind: 'wait'; readonly ms: number };

const kind = <K extends Step['kind']>(k: K) => fc.constant(k);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: kind('open') }) },
  { weight: 3, arbitrary: fc.record({ kind: kind('ack') }) },
  { weight: 3, arbitrary: fc.record({ kind: kind('push'), count: fc.integer({ min: 1, max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: kind('checkpoint') }) },
  { weight: 1, arbitrary: fc.record({ kind: kind('refuse') }) },
  { weight: 2, arbitrary: fc.record({ kind: kind('drop') }) },
  { weight: 3, arbitrary: fc.record({ kind: kind('consume') }) },
  { weight: 2, arbitrary: fc.record({ kind: kind('wait'), ms: fc.constantFrom(0, 1, 5, 10, 20, 45, 200, 1_000) }) },
);

const newest = (): FakeSocket | undefined => FakeSocket.all[FakeSocket.all.length - 1];

describe('Subscription liveness on a scripted server', () => {
  it('hands out every record once, in order, once the server cooperates, whatever came before', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 4, maxLength: 40 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }),
        async (steps, draws) => {
          FakeSocket.all = [];
          const scheduler = new ManualScheduler();
          let draw = 0;
          const sub = subscribe({
            url: 'http://test',
            WebSocket: FakeSocket,
            scheduler,
            from: 1,
            // Hint: a small buffer, so the subscription lets go of its socket and comes back (pause and resume).
            maxBufferedEvents: 4,
            idleTimeoutMs: 0,
            backoff: { initialMs: 10, maxMs: 40 },
            random: () => draws[draw++ % draws.length]!,
          });
          const server = new ModelServer();
          const iterator = sub[Symbol.asyncIterator]();
          const seen: number[] = [];
          let failure: unknown;
          let waiting = false;
          const pull = () => {
            if (waiting) return;
            waiting = true;
            iterator.next().then(
              (result) => {
                waiting = false;
                if (result.done !== true) seen.push(result.value.offset);
              },
              (error: unknown) => {
                failure = error;
              },
            );
          };
          await scheduler.advance(0);
          for (const s of steps) {
            const socket = newest();
            if (s.kind === 'open' && socket?.readyState === 0) socket.open();
            else if (s.kind === 'ack') server.ack(socket);
            else if (s.kind === 'push') server.push(socket, s.count);
            else if (s.kind === 'checkpoint') server.checkpoint(socket);
            else if (s.kind === 'refuse') server.refuse(socket);
            else if (s.kind === 'drop' && socket !== undefined && socket.readyState < 2) socket.drop();
            else if (s.kind === 'consume') pull();
            await scheduler.advance(s.kind === 'wait' ? s.ms : 0);
          }
          // The server cooperates from here on, and the consumer reads whatever it is handed.
          for (let round = 0; round < 2_000 && seen.length < HEAD && failure === undefined; round++) {
            const socket = newest();
            if (socket?.readyState === 0) socket.open();
            server.ack(newest());
            server.push(newest(), HEAD);
            pull();
            await scheduler.advance(5);
          }
          expect(failure).toBeUndefined();
          expect(seen).toEqual(Array.from({ length: HEAD }, (_, i) => i + 1));
          await sub.close();
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
