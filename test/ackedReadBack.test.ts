import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventRecord, getJson, publish } from './support/httpCall.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { closeAll, type WireRecord, WsClient } from './support/wsClient.js';

/** Any UTF-16 code unit: lone surrogates, NUL and other controls included (what JSON `\uXXXX` escapes can carry). */
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));

/** Strings at the text edges: random units, and the named cases (composed and decomposed é, BOM, U+2028, …). */
const tricky = fc.oneof(
  fc.string({ unit: anyUnit, maxLength: 8 }),
  fc.constantFrom('', 'caf\u00e9', 'cafe\u0301', '\u0000', 'a\ud800b', '\udc00', '\u{1F600}', '\ufeff', '\u2028'),
  fc.constantFrom('__proto__', 'constructor', 'toString', '%41', 'a/b', 'a+b', 'x'.repeat(201)),
);

const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    tricky,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(tricky, tie('v'), { maxKeys: 3 }),
  ),
})).v;

const fields = fc.record(
  { session_id: tricky, user_id: tricky, payload: fc.dictionary(tricky, value, { maxKeys: 4 }) },
  { requiredKeys: [] },
);

/** Fields no rule reads, of any name (a producer's own `timestamp`, a key with a lone surrogate): ignored. */
const extras = fc.dictionary(tricky, value, { maxKeys: 2 });

/** The stored fields as they must read back: JSON values, compared as the JSON text JavaScript writes for them. */
function stored(event: { session_id?: unknown; user_id?: unknown; payload?: unknown }): string {
  return JSON.stringify([event.session_id ?? null, event.user_id ?? null, event.payload ?? {}]);
}

/** A refusal must name one of the fields this test varies. */
const NAMED = /^(session_id|user_id|payload)\b/;

/**
 * What is acked is what is read back: an event of arbitrary text (lone surrogates, NUL, combining marks, prototype
 * keys, ignored fields of any name) is either refused naming its field or stored exactly as sent, and reads back the same from GET /events/{id},
 * GET /events, and a subscription's replay and live delivery, whether it came over REST or /ws/publish.
 */
describe('acked is read back', () => {
  let t: TestServer;
  const clients: WsClient[] = [];
  beforeAll(async () => {
    t = await startTestServer({ LOG_REQUESTS: 'false' });
  });
  afterAll(async () => {
    await closeAll(clients);
    await t.stop();
  });

  it('stores every acked event exactly as sent, or refuses it naming the field (property)', async () => {
    const open = async (path: string) => {
      const client = await WsClient.open(`${t.wsBase}${path}`);
      clients.push(client);
      return client;
    };
    const live = await open('/ws/subscribe');
    live.send({ from_offset: 1 });
    expect((await live.next()).status).toBe('subscribed');
    const producer = await open('/ws/publish');
    const acked = new Map<string, string>();
    await fc.assert(
      fc.asyncProperty(fields, extras, fc.boolean(), async (event, extra, overRest) => {
        const text = JSON.stringify({ ...extra, event_type: 'quiz_started', source: 'prop', ...event });
        const expected = stored(JSON.parse(text) as Record<string, unknown>);
        let id: string;
        if (overRest) {
          const res = await publish<EventRecord & { detail: { msg: string }[] }>(t.base, text);
          if (res.status !== 201) {
            expect([res.status, res.body.detail[0]!.msg]).toEqual([422, expect.stringMatching(NAMED)]);
            return;
          }
          expect(stored(res.body)).toBe(expected);
          id = res.body.id;
        } else {
          producer.send(text);
          const ack = await producer.next<{ status: string; message?: string; event_id?: string }>();
          if (ack.status !== 'ok') {
            expect([ack.status, ack.message]).toEqual(['error', expect.stringMatching(NAMED)]);
            return;
          }
          id = ack.event_id!;
        }
        acked.set(id, expected);
        const read = await getJson<Record<string, unknown>>(t.base, `/events/${id}`);
        expect(stored(read.body)).toBe(expected);
      }),
      { numRuns: 120 },
    );
    expect(acked.size).toBeGreaterThan(10);
    const listed = await getJson<WireRecord[]>(t.base, '/events?order=asc&limit=1000');
    const replay = await open('/ws/subscribe');
    replay.send({ from_offset: 1 });
    await replay.next();
    const delivered = {
      listed: listed.body,
      replayed: await replay.take<WireRecord>(acked.size),
      live: await live.take<WireRecord>(acked.size),
    };
    for (const records of Object.values(delivered)) {
      const seen = new Map(records.map((record) => [record.id, stored(record)]));
      expect(seen).toEqual(acked);
    }
  });
});
