import { afterEach, describe, expect, it } from 'vitest';
import { type PublishEvent, Publisher } from '../src/client/index.js';
import { cli, cliBinary } from './support/cliRun.js';
import { cleanAck, type FakePublishServer, fakePublishServer, type SentMessage } from './support/fakePublishServer.js';

// What the SDK's publisher and the CLI's publish do when the server (or a proxy) answers /ws/publish with replies of
// the wrong shape: each publish fails at once with an error naming what was wrong, nothing is sent again, and the
// process lives on (before, each of these threw in the socket's message handler and ended the process, or resent the
// message at once without end and overflowed the stack at its deadline).

let server: FakePublishServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

const event = (n: number): PublishEvent => ({ event_type: 'timer_tick', source: 'hostile_test', payload: { n } });
const ids = (m: SentMessage) => m.events.map((e) => e.id);

/** Bad replies, each with the field the error must name (null: the reply as a whole). */
const BAD_REPLIES: Array<[string, (m: SentMessage) => unknown, string | null]> = [
  ['null', () => null, null],
  ['a number', () => 5, null],
  ['a string', () => 'ok', null],
  [
    'an ack without event_ids',
    (m) => ({ status: 'ok', ref: m.ref, count: 1, first_offset: 5, last_offset: 5 }),
    'event_ids',
  ],
  ['an ack that is only its status', (m) => ({ status: 'ok', ref: m.ref }), 'count'],
  ['an error whose message is a number', (m) => ({ status: 'error', ref: m.ref, message: 5 }), 'message'],
  ['an error whose message is a number, without ref', () => ({ status: 'error', message: 5 }), 'message'],
  ['an error without message', (m) => ({ status: 'error', ref: m.ref }), 'message'],
  ['first_offset a string', (m) => ({ ...ackOf(m), first_offset: 'abc', last_offset: 'abc' }), 'first_offset'],
  ['first_offset null', (m) => ({ ...ackOf(m), first_offset: null }), 'first_offset'],
  ['a negative offset', (m) => ({ ...ackOf(m), first_offset: -3, last_offset: -3 }), 'first_offset'],
  ['offsets a string', (m) => ({ ...ackOf(m), offsets: 'x' }), 'offsets'],
  ['event_ids a string', (m) => ({ ...ackOf(m), event_ids: 'zz' }), 'event_ids'],
  ['the id of another event', (m) => ({ ...ackOf(m), event_ids: ['evt_other'] }), 'event_ids[0]'],
  ['a count one too many', (m) => ({ ...ackOf(m), count: 2, event_ids: [...ids(m), 'x'], last_offset: 8 }), 'count'],
  ['a count of 0', (m) => ({ ...ackOf(m), count: 0, event_ids: [] }), 'count'],
  ['a ref the SDK never sent', (m) => ({ ...ackOf(m), ref: String(m.ref) }), 'ref'],
];

function ackOf(m: SentMessage): Record<string, unknown> {
  return JSON.parse(cleanAck(m, 7)) as Record<string, unknown>;
}

describe('Publisher against a server whose replies break the protocol', () => {
  it('fails each publish at once with PublishProtocolError naming the field, sending it once', async () => {
    server = await fakePublishServer(() => null);
    for (const [what, reply, field] of BAD_REPLIES) {
      server.received.length = 0;
      server.answer = (m) => JSON.stringify(reply(m));
      const publisher = new Publisher({ url: server.url, lingerMs: 0, deliveryTimeoutMs: 20_000 });
      const error = await publisher.publish(event(1)).catch((e: unknown) => e);
      expect(error, what).toMatchObject({ name: 'PublishProtocolError', field });
      expect((error as Error).message, what).toMatch(/^invalid reply from the server: .*; not acknowledged/);
      expect(server.received, what).toHaveLength(1);
      expect((error as { ids: string[] }).ids).toEqual(ids(server.received[0]!));
      publisher.destroy();
    }
  });

  it('fails a batch whose ack counts one event too many at once, sends it once, and publishes on', async () => {
    server = await fakePublishServer((m) => JSON.stringify({ ...ackOf(m), count: 5, event_ids: [...ids(m), 'x'] }));
    const publisher = new Publisher({ url: server.url, lingerMs: 0, deliveryTimeoutMs: 5_000 });
    const batch = publisher.publishBatch([1, 2, 3, 4].map(event));
    await expect(batch).rejects.toMatchObject({ name: 'PublishProtocolError', field: 'count' });
    expect(server.received).toHaveLength(1);
    // The connection and the publisher go on: a reply that fits is taken.
    server.answer = (m) => cleanAck(m, 41);
    const ack = await publisher.publish(event(5));
    expect(ack).toEqual({ id: ids(server.received[1]!)[0], offset: 41 });
    expect(server.received).toHaveLength(2);
    await publisher.close();
  });

  it('answers each publish of a pipeline by its own reply, a bad one failing only its own message', async () => {
    server = await fakePublishServer((m) => (m.events.length === 2 ? 'null' : cleanAck(m, m.ref * 10)));
    const publisher = new Publisher({ url: server.url, lingerMs: 0, maxBatchEvents: 2 });
    const [good, bad, later] = await Promise.allSettled([
      publisher.publish(event(1)),
      publisher.publishBatch([event(2), event(3)]),
      publisher.publish(event(4)),
    ]);
    expect(good).toMatchObject({ status: 'fulfilled', value: { offset: 10 } });
    expect(bad).toMatchObject({ status: 'rejected', reason: { name: 'PublishProtocolError', field: null } });
    expect(later).toMatchObject({ status: 'fulfilled', value: { offset: 30 } });
    await publisher.close();
  });
});

describe('event-pipeline publish against a server whose replies break the protocol', () => {
  const flags = ['publish', '--type', 'quiz_started', '--source', 'quiz_engine'];

  it('fails the line naming what was wrong (exit 1): no TypeError, no NaN offsets, no resend loop', async () => {
    server = await fakePublishServer(() => 'null');
    const cases: Array<[(m: SentMessage) => unknown, string]> = [
      [() => null, 'the reply is null, not a JSON object'],
      [(m) => ({ status: 'error', ref: m.ref, message: { x: 1 } }), 'message: expected a string, got an object'],
      [
        (m) => ({ ...ackOf(m), first_offset: 'x', last_offset: 'y' }),
        'first_offset: expected a positive integer, got "x"',
      ],
      [
        (m) => ({ ...ackOf(m), count: 2, event_ids: [...ids(m), 'x'] }),
        'count: expected 1 (the message held 1 event), got 2',
      ],
    ];
    for (const [reply, problem] of cases) {
      server.received.length = 0;
      server.answer = (m) => JSON.stringify(reply(m));
      const run = await cli([...flags, '--url', server.url]);
      expect(run.code, problem).toBe(1);
      expect(run.stderr).toContain(`line 1: invalid reply from the server: ${problem}`);
      expect(run.stderr).toContain('published 0 event(s), no offsets; 1 failed');
      expect(run.stderr).not.toMatch(/TypeError|NaN/);
      expect(server.received).toHaveLength(1);
    }
  });

  it('the binary lives on to print its summary when the reply is null', async () => {
    server = await fakePublishServer(() => 'null');
    const run = await cliBinary([...flags, '--url', server.url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'line 1: invalid reply from the server: the reply is null, not a JSON object; not acknowledged (the events may have been stored: publish them again with the same ids)\npublished 0 event(s), no offsets; 1 failed\n',
    );
  });

  it('exits 4 when the WebSocket upgrade refuses the key that /stats took, for publish and import', async () => {
    server = await fakePublishServer(() => null, 401);
    const publish = await cli([...flags, '--url', server.url]);
    expect(publish.stderr).toContain('line 1: the server refused the API key (401)');
    expect(publish.code).toBe(4);
    const line = JSON.stringify({ id: 'evt_1', event_type: 'quiz_started', source: 'quiz_engine', offset: 1 });
    const imported = await cli(['import', '--url', server.url], `${line}\n`);
    expect(imported.stderr).toContain('the server refused the API key (401)');
    expect(imported.code).toBe(4);
  });

  it('exits 4 when the WebSocket upgrade refuses the key that /stats took, for tail --follow, in one line', async () => {
    server = await fakePublishServer(() => null, 401);
    const tail = await cli(['tail', '--follow', '--url', server.url]);
    expect(tail).toEqual({
      code: 4,
      stdout: '',
      stderr: 'tail: /ws/subscribe: the server refused the API key (401)\n',
    });
  });
});
