import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type PublishAck, Publisher, subscribe } from '../src/client/index.js';
import { RestartableServer, readLog } from './support/restartableServer.js';

let server: RestartableServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sdk-prop-'));
  server = await RestartableServer.start(join(dir, 'run-0.db'));
});

afterAll(async () => {
  await server.kill();
  rmSync(dir, { recursive: true, force: true });
});

const sockets: WebSocket[] = [];
class TrackedWebSocket extends WebSocket {
  constructor(url: string) {
    super(url);
    sockets.push(this);
  }
}

type Step =
  | { readonly kind: 'publish'; readonly count: number }
  | { readonly kind: 'disconnect' }
  | { readonly kind: 'restart' }
  | { readonly kind: 'stop' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 300 }).map((count): Step => ({ kind: 'publish', count })) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'disconnect' }) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'restart' }) },
  // A graceful stop (SIGTERM): the server refuses new publishes as retryable, acks what it took, then starts again.
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'stop' }) },
);

async function until(condition: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let run = 0;

describe('client invariants under random publish / disconnect / kill -9 / SIGTERM interleavings', () => {
  it('every resolved publish is in the log once at its acked offset, none is forgotten, and a subscriber sees the log exactly', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
        await server.restart(join(dir, `run-${++run}.db`));
        const publisher = new Publisher({
          url: server.base,
          WebSocket: TrackedWebSocket,
          lingerMs: 1,
          maxBatchEvents: 50,
          backoff: { initialMs: 10, maxMs: 100 },
          // Hint: a publish left waiting fails inside this run's budget, with the reason it gives, not as a test timeout.
          deliveryTimeoutMs: 30_000,
        });
        const sub = subscribe({ url: server.base, from: 1, backoff: { initialMs: 10, maxMs: 100 } });
        const seen: number[] = [];
        let failure: unknown;
        const consumed = (async () => {
          for await (const record of sub) seen.push(record.offset);
        })().catch((error: unknown) => {
          failure = error;
        });
        const resolved = new Map<string, PublishAck>();
        const rejections: string[] = [];
        let asked = 0;
        const settled: Array<Promise<void>> = [];
        for (const s of steps) {
          if (s.kind === 'publish') {
            for (let i = 0; i < s.count; i++) {
              const id = `r${run}-${asked++}`;
              settled.push(
                publisher.publish({ id, event_type: 'timer_tick', source: 'prop', payload: { i } }).then(
                  (ack) => void resolved.set(id, ack),
                  (error: unknown) => void rejections.push(String(error)),
                ),
              );
            }
          } else if (s.kind === 'disconnect') {
            sockets[sockets.length - 1]?.terminate();
          } else {
            await server.restart(undefined, s.kind === 'stop' ? 'SIGTERM' : 'SIGKILL');
          }
        }
        await Promise.all(settled);
        await publisher.close();
        expect(rejections).toEqual([]);
        expect(resolved.size).toBe(asked);
        const log = await readLog(server.base);
        expect(log.length).toBe(asked);
        expect(log.map((r) => r.offset)).toEqual(Array.from({ length: log.length }, (_, i) => i + 1));
        expect(new Set(log.map((r) => r.id)).size).toBe(log.length);
        for (const [id, ack] of resolved) expect(log[ack.offset - 1]?.id).toBe(id);
        await until(() => seen.length >= log.length || failure !== undefined, 'the subscriber to catch up');
        expect(failure).toBeUndefined();
        await sub.close();
        await consumed;
        expect(seen).toEqual(log.map((r) => r.offset));
      }),
      // Hint: no shrinking: a failing run takes seconds, and shrinking one ran past the budget, hiding what failed.
      { numRuns: 6, endOnFailure: true },
    );
  }, 120_000);
});
