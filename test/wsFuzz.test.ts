import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventBody, getJson } from './support/pipelineRest.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { type Message, WsClient } from './support/wsClient.js';

/** One WebSocket frame: text (a JS string; ws sends it as UTF-8) or binary (any bytes, often broken UTF-8). */
type Frame = { readonly text: string } | { readonly binary: Uint8Array };

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty'];

const deepText = fc
  .tuple(fc.integer({ min: 20, max: 20_000 }), fc.boolean(), fc.constantFrom('top', 'payload', 'ref'))
  .map(([depth, arrays, where]) => {
    const nest = arrays ? '['.repeat(depth) + ']'.repeat(depth) : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    if (where === 'top') return nest;
    const event = JSON.stringify(eventBody());
    return where === 'payload' ? event.replace('{"n":1}', `{"d":${nest}}`) : `{"ref":${nest},"events":[${event}]}`;
  });

const protoText = fc
  .tuple(fc.constantFrom(...PROTO_KEYS), fc.jsonValue({ maxDepth: 2 }), fc.boolean())
  .map(([key, value, inPayload]) => {
    const member = `${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}`;
    const event = JSON.stringify(eventBody());
    return inPayload ? event.replace('{"n":1}', `{${member}}`) : event.replace(/^\{/, `{${member},`);
  });

const hugeText = fc.tuple(fc.integer({ min: 1, max: 3 * 1024 * 1024 }), fc.boolean()).map(([size, inEvent]) => {
  const blob = 'x'.repeat(size);
  return inEvent ? JSON.stringify(eventBody({ payload: { blob } })) : blob;
});

const validEvents = fc
  .tuple(
    fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
    fc.integer({ min: 1, max: 4 }),
    fc.boolean(),
  )
  .map(([payload, count, batch]) => {
    const events = Array.from({ length: count }, () => eventBody({ payload }));
    return JSON.stringify(batch ? events : events[0]);
  });

const text: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.json({ maxDepth: 4 }),
  deepText,
  protoText,
  hugeText,
  validEvents,
);

const frame: fc.Arbitrary<Frame> = fc.oneof(
  text.map((t) => ({ text: t })),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ binary: bytes })),
  text.map((t) => ({ binary: new Uint8Array(Buffer.from(t)) })),
);

function send(client: WsClient, f: Frame): void {
  if ('text' in f) client.ws.send(f.text);
  else client.ws.send(f.binary, { binary: true });
}

/** Events a publish reply says were newly appended. */
function appended(reply: Message): number {
  if (reply.status !== 'ok') return 0;
  if (typeof reply.count === 'number') return reply.count - (reply.duplicates as number);
  return reply.duplicate === true ? 0 : 1;
}

describe('random WebSocket frames', () => {
  let t: TestServer;
  let marker = 0;
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype);
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });
  const alive = async () => expect((await getJson(`${t.base}/health`)).status).toBe(200);

  it('on /ws/publish: one reply per frame, the connection open, the server alive, the log changed only by acked events', {
    timeout: 60_000,
  }, async () => {
    const p = await WsClient.open(`${t.wsBase}/ws/publish`);
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 4 }), async (frames) => {
          const before = t.server.pipeline.log.headOffset();
          for (const f of frames) send(p, f);
          const ref = `marker-${marker++}`;
          p.send({ ref, events: [] });
          const replies = await p.until((m) => m.ref === ref);
          expect(replies).toHaveLength(frames.length + 1);
          for (const reply of replies) expect(['ok', 'error']).toContain(reply.status);
          expect(t.server.pipeline.log.headOffset() - before).toBe(replies.reduce((n, r) => n + appended(r), 0));
          expect(p.isClosed).toBe(false);
          // Prototype keys stay data: nothing was added to Object.prototype.
          expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeKeys);
          await alive();
        }),
        { numRuns: 150 },
      );
    } finally {
      await p.close();
    }
  });

  it('on /ws/subscribe: never a close without a close frame; the next ping answered unless the subscribe message was refused', {
    timeout: 60_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 4 }), async (frames) => {
        const s = await WsClient.open(`${t.wsBase}/ws/subscribe`);
        try {
          for (const f of frames) send(s, f);
          s.send({ type: 'ping' });
          const seen: Message[] = [];
          let answered = false;
          while (!answered) {
            const message = await s.next().catch(() => null);
            if (message === null) break;
            seen.push(message);
            answered = message.type === 'pong';
          }
          // A refused subscribe message ends the connection after its error, with a close frame (never 1006).
          if (!answered) {
            expect(await s.closed).toEqual({ code: 1008, reason: 'subscribe message refused; nothing was subscribed' });
            expect(seen.find((m) => m.type !== 'pong')).toMatchObject({ status: 'error' });
          } else expect(s.isClosed).toBe(false);
          await alive();
        } finally {
          await s.close();
        }
      }),
      { numRuns: 80 },
    );
  });
});
