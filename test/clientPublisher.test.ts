import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type PublishAck, type PublishEvent, Publisher, PublishRejectedError } from '../src/client/index.js';
import { RestartableServer, readLog } from './support/restartableServer.js';
import { startTestServer } from './support/testServer.js';

let server: RestartableServer | undefined;
let dir: string | undefined;

afterEach(async () => {
  await server?.kill();
  server = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const event = (i: number): PublishEvent => ({
  event_type: 'answer_submitted',
  source: 'sdk_test',
  session_id: `s-${i % 50}`,
  payload: { i },
});

/** Poll a condition over real I/O, with a bounded deadline. */
async function until(condition: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('Publisher against a real server', () => {
  // Hint: every event is handed to the publisher at once; the first kill is sent from the ack that brings the count
  // to 2,000, the second once the first restart is done and the count has reached 6,000. Acks from the new process
  // can run thousands ahead of that, so 20,000 events keep thousands unresolved at each kill (checked below); they
  // prove the same as the 50,000 this test used to send.
  it('publishes 20,000 events across two SIGKILL restarts: every resolved event is in the log exactly once, none is forgotten', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sdk-pub-'));
    server = await RestartableServer.start(join(dir, 'events.db'));
    const running = server;
    const publisher = new Publisher({ url: running.base, backoff: { initialMs: 20, maxMs: 300 } });
    const total = 20_000;
    const resolved = new Map<string, PublishAck>();
    const rejected: unknown[] = [];
    const settled: Array<Promise<void>> = [];
    const killAt = [2_000, 6_000];
    const unresolvedAtKill: number[] = [];
    // Hint: restart() sends SIGKILL synchronously, before its first await, so the count taken just before it is the
    // number in flight at the kill; a second restart waits for the first.
    const kill = () => {
      unresolvedAtKill.push(total - resolved.size - rejected.length);
      return running.restart();
    };
    let restarts: Promise<void> = Promise.resolve();
    const onAck = (id: string, ack: PublishAck) => {
      resolved.set(id, ack);
      if (killAt.includes(resolved.size)) restarts = restarts.then(kill);
    };
    for (let i = 0; i < total; i++) {
      const id = `p-${i}`;
      settled.push(
        publisher.publish({ ...event(i), id }).then(
          (ack) => onAck(id, ack),
          (error: unknown) => void rejected.push(error),
        ),
      );
    }
    await until(() => unresolvedAtKill.length === 2, 'both kills');
    await restarts;
    expect(unresolvedAtKill[0]).toBeGreaterThan(1_000);
    expect(unresolvedAtKill[1]).toBeGreaterThan(1_000);
    await Promise.all(settled);
    await publisher.close();

    expect(resolved.size + rejected.length).toBe(total);
    expect(rejected).toEqual([]);
    const log = await readLog(running.base);
    const byId = new Map<string, number>();
    for (const record of log) byId.set(record.id, (byId.get(record.id) ?? 0) + 1);
    expect(log.length).toBe(total);
    expect(log.map((r) => r.offset)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    for (const [id, ack] of resolved) {
      expect(byId.get(id), id).toBe(1);
      expect(log[ack.offset - 1]!.id).toBe(id);
    }
  }, 120_000);

  it('batches, resolves publishBatch in order, and rejects only the invalid event of a merged message with its field', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sdk-pub-'));
    server = await RestartableServer.start(join(dir, 'events.db'));
    const publisher = new Publisher({ url: server.base, lingerMs: 20 });
    const good = publisher.publish(event(1));
    const bad = publisher.publish({ event_type: 'answer_submitted', source: 'bad source!' });
    const batch = publisher.publishBatch([event(2), event(3), event(4)]);
    // The same problem in a batch names the index in the batch too, whatever else shared its message.
    const badBatch = publisher.publishBatch([event(5), { event_type: 'answer_submitted', source: 'bad source!' }]);
    await expect(bad).rejects.toBeInstanceOf(PublishRejectedError);
    await expect(bad).rejects.toMatchObject({ field: 'source' });
    await expect(badBatch).rejects.toMatchObject({ name: 'PublishRejectedError', field: '[1].source' });
    await expect(badBatch).rejects.toThrow(/^\[1\]\.source: /);
    const [one, acks] = await Promise.all([good, batch]);
    await publisher.close();
    const log = await readLog(server.base);
    expect(log.map((r) => r.id)).toEqual(expect.arrayContaining([one.id, ...acks.map((a) => a.id)]));
    expect(log.length).toBe(4);
    const offsets = acks.map((a) => a.offset);
    expect(offsets).toEqual([offsets[0]!, offsets[0]! + 1, offsets[0]! + 2]);
    for (const ack of [one, ...acks]) expect(log.find((r) => r.offset === ack.offset)!.id).toBe(ack.id);
  });

  it('stores an event published with id null under the producer id the SDK gave it, not one of the server', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sdk-pub-'));
    server = await RestartableServer.start(join(dir, 'events.db'));
    const publisher = new Publisher({ url: server.base, newId: () => 'sdk-made-1' });
    // What a JavaScript caller may pass (the server reads `"id": null` as no id).
    const withNullId = { ...event(1), id: null } as unknown;
    const ack = await publisher.publish(withNullId as PublishEvent);
    await publisher.close();
    expect(ack).toEqual({ id: 'sdk-made-1', offset: 1 });
    expect((await readLog(server.base)).map((r) => r.id)).toEqual(['sdk-made-1']);
  });

  it('passes on the fields the server did not read, so a typo such as sessionId shows in the ack', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sdk-pub-'));
    server = await RestartableServer.start(join(dir, 'events.db'));
    const publisher = new Publisher({ url: server.base });
    const typo = { event_type: 'quiz_started', source: 'sdk_test', sessionId: 's1' } as PublishEvent;
    const [withTypo, clean] = await Promise.all([publisher.publish(typo), publisher.publish(event(1))]);
    await publisher.close();
    expect(withTypo.ignored).toEqual(['sessionId']);
    expect(clean.offset).toBe(withTypo.offset + 1);
    const alone = new Publisher({ url: server.base });
    expect(await alone.publish(event(2))).not.toHaveProperty('ignored');
    await alone.close();
  });

  it('resolves a batch holding a stored producer id with each offset from its one ack, sending no event again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sdk-pub-'));
    server = await RestartableServer.start(join(dir, 'events.db'));
    const sent: string[] = [];
    class CountingSocket extends WebSocket {
      override send(data: string): void {
        sent.push(data);
        super.send(data);
      }
    }
    const publisher = new Publisher({ url: server.base, WebSocket: CountingSocket });
    const old = await publisher.publish({ ...event(1), id: 'sdk-old' });
    expect(old).toEqual({ id: 'sdk-old', offset: 1 });
    const acks = await publisher.publishBatch([
      { ...event(2), id: 'sdk-a' },
      { ...event(1), id: 'sdk-old' },
      { ...event(3), id: 'sdk-b' },
    ]);
    // The same id alone again: the server stores nothing new and the ack says so.
    const again = await publisher.publish({ ...event(1), id: 'sdk-old' });
    await publisher.close();
    expect(acks).toEqual([
      { id: 'sdk-a', offset: 2 },
      { id: 'sdk-old', offset: old.offset, duplicate: true },
      { id: 'sdk-b', offset: 3 },
    ]);
    expect(again).toEqual({ id: 'sdk-old', offset: old.offset, duplicate: true });
    expect((await readLog(server.base)).map((r) => [r.id, r.offset])).toEqual([
      ['sdk-old', 1],
      ['sdk-a', 2],
      ['sdk-b', 3],
    ]);
    // One message for the single event and one for the batch: no event went again one per message.
    expect(sent.map((text) => (JSON.parse(text) as { events: unknown[] }).events.length)).toEqual([1, 3, 1]);
  });

  it('resends, not fails, the valid events awaiting their answer when the server closes it for too many invalid messages', async () => {
    const t = await startTestServer();
    try {
      // Hint: one message at a time, so a valid event is on the wire when the 1,001st invalid one closes the socket.
      const publisher = new Publisher({ url: t.base, maxInFlightMessages: 1, maxBatchEvents: 1 });
      const valid: Array<Promise<PublishAck>> = [];
      const invalid: Array<Promise<unknown>> = [];
      for (let i = 0; i < 1_100; i++) {
        invalid.push(publisher.publish({ ...event(i), source: 'bad src' }).catch((error: unknown) => error));
        valid.push(publisher.publish(event(i)));
      }
      const acks = await Promise.all(valid);
      for (const error of await Promise.all(invalid)) expect(error).toMatchObject({ name: 'PublishRejectedError' });
      await publisher.close();
      const log = await readLog(t.base);
      expect(log.map((r) => r.id).sort()).toEqual(acks.map((a) => a.id).sort());
    } finally {
      await t.stop();
    }
  });

  it('fails fast with code 404 when nothing serves its URL, instead of retrying until the delivery timeout', async () => {
    const t = await startTestServer();
    try {
      const lost = new Publisher({ url: `${t.base}/not-a-pipeline`, deliveryTimeoutMs: 60_000 });
      await expect(lost.publish(event(1))).rejects.toMatchObject({ name: 'PublishRejectedError', code: 404 });
      lost.destroy();
    } finally {
      await t.stop();
    }
  });

  it('fails fast with code 401 when the server refuses the key, and publishes with the right one', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sdk-pub-'));
    server = await RestartableServer.start(join(dir, 'events.db'), { REQUIRE_AUTH: 'true', API_KEY: 'sekrit' });
    const refused = new Publisher({ url: server.base, apiKey: 'wrong', deliveryTimeoutMs: 60_000 });
    await expect(refused.publish(event(1))).rejects.toMatchObject({ name: 'PublishRejectedError', code: 401 });
    refused.destroy();
    const allowed = new Publisher({ url: server.base, apiKey: 'sekrit' });
    await expect(allowed.publish(event(2))).resolves.toMatchObject({ offset: 1 });
    await allowed.close();
  });

  it('sends the key in a WebSocket protocol, not the URL, unless apiKeyIn is query', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sdk-pub-'));
    server = await RestartableServer.start(join(dir, 'events.db'), { REQUIRE_AUTH: 'true', API_KEY: 'sekrit' });
    const opened: { url: string; protocols: string[] | undefined }[] = [];
    class Watched extends WebSocket {
      constructor(url: string, protocols?: string[]) {
        opened.push({ url, protocols });
        super(url, protocols);
      }
    }
    const base = server.base;
    const byProtocol = new Publisher({ url: base, apiKey: 'sekrit', WebSocket: Watched });
    await expect(byProtocol.publish(event(1))).resolves.toMatchObject({ offset: 1 });
    await byProtocol.close();
    const byQuery = new Publisher({ url: base, apiKey: 'sekrit', apiKeyIn: 'query', WebSocket: Watched });
    await expect(byQuery.publish(event(2))).resolves.toMatchObject({ offset: 2 });
    await byQuery.close();
    expect(opened).toEqual([
      { url: `${base.replace('http', 'ws')}/ws/publish`, protocols: ['pipeline', 'pipeline.api-key.c2Vrcml0'] },
      { url: `${base.replace('http', 'ws')}/ws/publish?api_key=sekrit`, protocols: undefined },
    ]);
    expect(() => new Publisher({ url: base, apiKeyIn: 'header' as 'query' })).toThrow(
      "apiKeyIn: must be 'protocol' or 'query', got \"header\"",
    );
  });
});
