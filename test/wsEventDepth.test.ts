import { describe, expect, it } from 'vitest';
import { type PublishEvent, Publisher, PublishRejectedError } from '../src/client/index.js';
import { cli, cliServers } from './support/cliRun.js';
import { type EventRecord, publish } from './support/httpCall.js';
import { readLog } from './support/restartableServer.js';
import { closeAll, WsClient } from './support/wsClient.js';

/** A payload nesting `depth` levels in all (the payload object is 1), down a chain of `n` keys. */
function chain(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let level = 1; level < depth; level++) value = { n: value };
  return value;
}

/** An event nested `depth` levels as the README counts them: the event is level 1, its payload level 2. */
const nestedEvent = (depth: number, id?: string): PublishEvent => ({
  event_type: 'answer_submitted',
  source: 'depth_test',
  ...(id === undefined ? {} : { id }),
  payload: chain(depth - 1),
});

const { server } = cliServers('ws-event-depth-');

/**
 * MAX_JSON_DEPTH bounds each event, in every form of a publish. Before, /ws/publish applied it to the whole message:
 * an event of the deepest allowed nesting was refused inside an array or the envelope, so the SDK (always the
 * envelope) and the CLI could not publish it, nor import an export of it.
 */
describe('MAX_JSON_DEPTH per event over REST, /ws/publish, the SDK and the CLI', () => {
  it('takes an event of 32 levels alone, in an array and in the envelope, and names every deeper event as REST does', async () => {
    const t = await server('forms');
    const ok = nestedEvent(32);
    const tooDeep = nestedEvent(33);
    expect((await publish<EventRecord>(t.base, ok)).status).toBe(201);
    expect((await publish<EventRecord[]>(t.base, [ok, ok])).status).toBe(201);
    const rest = await publish<{ detail: { loc: unknown[] }[] }>(t.base, [tooDeep, ok, tooDeep]);
    expect(rest.status).toBe(422);
    expect(rest.body.detail.map((d) => d.loc[1])).toEqual([0, 2]);

    const producer = await WsClient.open(`${t.wsBase}/ws/publish`);
    try {
      // Canonical text takes the fast reader, indented text the general one: both count from the event.
      for (const space of [undefined, 1]) {
        for (const message of [ok, [ok, ok], { ref: 7, events: [ok, ok] }]) {
          producer.send(JSON.stringify(message, null, space));
          expect(await producer.next(), JSON.stringify(message).slice(0, 40)).toMatchObject({ status: 'ok' });
        }
        const path = `payload${'.n'.repeat(31)}`; // the object at level 33
        const named = `[0].${path}: nests deeper than 32 levels (MAX_JSON_DEPTH); [2].${path}: nests deeper than 32 levels (MAX_JSON_DEPTH)`;
        producer.send(JSON.stringify([tooDeep, ok, tooDeep], null, space));
        expect(await producer.next()).toEqual({ status: 'error', message: named });
        producer.send(JSON.stringify({ ref: 'r', events: [tooDeep, ok, tooDeep] }, null, space));
        expect(await producer.next()).toEqual({ status: 'error', message: named, ref: 'r' });
      }
    } finally {
      await closeAll([producer]);
    }
  });

  it('the SDK and the CLI publish an event of 32 levels, alone and in a batch, and export → import carries it to a fresh server', async () => {
    const a = await server('a');
    const publisher = new Publisher({ url: a.base });
    try {
      await publisher.publish(nestedEvent(32, 'deep-1'));
      await publisher.publishBatch([nestedEvent(32, 'deep-2'), nestedEvent(31, 'deep-3')]);
      // One level more is refused, naming the field too deep (before, 31 levels were refused, naming a field 2 short).
      const refused = publisher.publish(nestedEvent(33));
      await expect(refused).rejects.toBeInstanceOf(PublishRejectedError);
      await expect(refused).rejects.toThrow(`payload${'.n'.repeat(31)}: nests deeper than 32 levels (MAX_JSON_DEPTH)`);
    } finally {
      await publisher.close();
    }
    const published = await cli(['publish', '--url', a.base], `${JSON.stringify(nestedEvent(32, 'deep-4'))}\n`);
    expect([published.code, published.stderr]).toEqual([0, 'published 1 event(s), offsets 4–4\n']);
    const exported = await cli(['export', '--url', a.base]);
    expect(exported.code, exported.stderr).toBe(0);
    const b = await server('b');
    const imported = await cli(['import', '--url', b.base], exported.stdout);
    expect([imported.code, imported.stderr]).toEqual([0, 'imported 4 record(s), offsets 1–4\n']);
    const strip = (records: Awaited<ReturnType<typeof readLog>>) =>
      records.map(({ id, offset, payload }) => ({ id, offset, payload }));
    const original = strip(await readLog(a.base));
    expect(original.map((r) => r.id)).toEqual(['deep-1', 'deep-2', 'deep-3', 'deep-4']);
    expect(original[0]!.payload).toEqual(chain(31));
    expect(strip(await readLog(b.base))).toEqual(original);
  });
});
