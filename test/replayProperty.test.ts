import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allEvents, type EventBody, postEvents } from './support/pipelineRest.js';
import {
  eventArb,
  type Filter,
  filterArb,
  matches,
  type PublishOp,
  publishOpArb,
  settleOpArb,
  TYPES,
} from './support/routingCases.js';
import { startTestServer } from './support/testServer.js';
import { closeAll, isRecord, type Message, subscribe, type WireRecord, WsClient } from './support/wsClient.js';

/**
 * Take records (flattening batch arrays) until `count` have arrived, then prove nothing else is in flight: a ping's
 * pong is written after every record already routed, so anything between the records and the pong is an extra.
 */
async function collect(client: WsClient, count: number): Promise<{ records: WireRecord[]; extra: unknown[] }> {
  const records: WireRecord[] = [];
  while (records.length < count) {
    const message = await client.next<unknown>();
    if (Array.isArray(message)) records.push(...(message as WireRecord[]));
    else if (isRecord(message)) records.push(message);
    else throw new Error(`unexpected message ${JSON.stringify(message)}`);
  }
  client.send({ type: 'ping' });
  const extra = await client.until<unknown>((m) => (m as Message).type === 'pong');
  return { records, extra: extra.slice(0, -1) };
}

type Op =
  | PublishOp
  | { readonly kind: 'subscribe'; readonly from: number | null; readonly filter: Filter; readonly batch: boolean }
  | { readonly kind: 'settle' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: publishOpArb },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('subscribe' as const),
      // Offsets up to well past the head, including 0 and offsets not yet written.
      from: fc.option(fc.nat(120), { nil: null }),
      filter: filterArb,
      batch: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: settleOpArb },
);

interface Subscription {
  readonly op: Extract<Op, { kind: 'subscribe' }>;
  readonly opened: Promise<{ client: WsClient; ack: Message }>;
}

describe('replay plus live equals the log', () => {
  it('gives every subscriber exactly the matching log from its offset, across random interleavings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArb, { maxLength: 60 }),
        fc.array(opArb, { minLength: 1, maxLength: 14 }),
        async (prefill, ops) => {
          const t = await startTestServer();
          const clients: WsClient[] = [];
          try {
            if (prefill.length > 0) expect((await postEvents(t.base, prefill)).status).toBe(201);
            const publisher = await WsClient.open(`${t.wsBase}/ws/publish`);
            clients.push(publisher);
            let wsOutstanding = 0;
            const wsAcks: Message[] = [];
            const rest: Promise<{ status: number }>[] = [];
            const subscriptions: Subscription[] = [];
            for (const op of ops) {
              if (op.kind === 'publish' && op.via === 'ws') {
                publisher.send(op.events);
                wsOutstanding++;
              } else if (op.kind === 'publish') {
                rest.push(postEvents(t.base, op.events));
              } else if (op.kind === 'subscribe') {
                const request = {
                  ...op.filter,
                  ...(op.from === null ? {} : { from_offset: op.from }),
                  batch: op.batch,
                };
                const opened = subscribe(t.wsBase, request);
                void opened.then(
                  (s) => clients.push(s.client),
                  () => undefined,
                );
                subscriptions.push({ op, opened });
              } else {
                wsAcks.push(...(await publisher.take(wsOutstanding)));
                wsOutstanding = 0;
                await Promise.all(rest);
              }
            }
            wsAcks.push(...(await publisher.take(wsOutstanding)));
            for (const ack of wsAcks) expect(ack.status).toBe('ok');
            for (const res of await Promise.all(rest)) expect(res.status).toBe(201);

            const log = await allEvents(t.base);
            // Offsets are gap-free from 1.
            expect(log.map((r) => r.offset)).toEqual(log.map((_, i) => i + 1));
            for (const { op, opened } of subscriptions) {
              const { client, ack } = await opened;
              // A from_offset beyond the head starts at the head (the ack says so), so live records from head+1 are due.
              const head = ack.head_offset as number;
              const start = op.from === null ? head + 1 : Math.min(Math.max(1, op.from), head + 1);
              if (op.from !== null && op.from > head + 1) expect(ack.from_offset).toBe(head + 1);
              const expected = log.filter((r) => r.offset >= start && matches(op.filter, r));
              const got = await collect(client, expected.length);
              expect({ from: op.from, offsets: got.records.map((r) => r.offset) }).toEqual({
                from: op.from,
                offsets: expected.map((r) => r.offset),
              });
              expect(got.records).toEqual(expected);
              expect(got.extra).toEqual([]);
            }
          } finally {
            await closeAll(clients);
            await t.stop();
          }
        },
      ),
      { numRuns: 15 },
    );
  });

  it('hands a subscriber replaying from offset 1 over to live with no gap or duplicate while producers keep publishing', async () => {
    const t = await startTestServer();
    const clients: WsClient[] = [];
    try {
      const event = (i: number): EventBody => ({
        event_type: TYPES[i % 3]!,
        source: 'load',
        session_id: `s${i % 4}`,
        user_id: null,
        payload: { i, pad: 'x'.repeat(200) },
      });
      // Several replay pages' worth already in the log.
      for (let page = 0; page < 3; page++) {
        expect(
          (
            await postEvents(
              t.base,
              Array.from({ length: 1000 }, (_, i) => event(page * 1000 + i)),
            )
          ).status,
        ).toBe(201);
      }
      const publisher = await WsClient.open(`${t.wsBase}/ws/publish`);
      clients.push(publisher);
      const batches = 60;
      const perBatch = 50;
      let sent = 0;
      const produce = async () => {
        // Keep a few batches in flight at all times so commits land throughout the replay.
        const acks: Message[] = [];
        for (let b = 0; b < batches; b++) {
          publisher.send(Array.from({ length: perBatch }, () => event(3000 + sent++)));
          if (b >= 4) acks.push(await publisher.next());
        }
        acks.push(...(await publisher.take(4)));
        return acks;
      };
      const producing = produce();
      const everything = await subscribe(t.wsBase, { from_offset: 1 });
      const oneSession = await subscribe(t.wsBase, { from_offset: 1, session_id: 's1', batch: true });
      const fromMiddle = await subscribe(t.wsBase, { from_offset: 2500, event_types: ['answer_submitted'] });
      clients.push(everything.client, oneSession.client, fromMiddle.client);
      // The subscribes really did start while the producer was still going.
      expect(everything.ack.head_offset as number).toBeLessThan(3000 + batches * perBatch);
      const acks = await producing;
      expect(acks.every((a) => a.status === 'ok')).toBe(true);
      const log = await allEvents(t.base);
      expect(log).toHaveLength(3000 + batches * perBatch);

      const all = await collect(everything.client, log.length);
      expect(all.records.map((r) => r.offset)).toEqual(log.map((r) => r.offset));
      expect(all.records).toEqual(log);
      expect(all.extra).toEqual([]);
      const s1 = log.filter((r) => r.session_id === 's1');
      const gotS1 = await collect(oneSession.client, s1.length);
      expect(gotS1.records).toEqual(s1);
      expect(gotS1.extra).toEqual([]);
      const middle = log.filter((r) => r.offset >= 2500 && r.event_type === 'answer_submitted');
      const gotMiddle = await collect(fromMiddle.client, middle.length);
      expect(gotMiddle.records).toEqual(middle);
      expect(gotMiddle.extra).toEqual([]);
    } finally {
      await closeAll(clients);
      await t.stop();
    }
  });
});
