import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { LogWriteError } from '../eventLog.js';
import { StreamPublisher } from './streamPublisher.js';

/** A core connection that records publishes and lets the test answer them on the publisher's inbox. */
function fakeConnection() {
  const sent: Array<{ reply: string }> = [];
  let deliver: (msg: Msg) => void = () => undefined;
  const nc = {
    subscribe: (_subject: string, options: { callback: (error: unknown, msg: Msg) => void }) => {
      deliver = (msg) => options.callback(null, msg);
      return { unsubscribe: () => undefined };
    },
    publish: (_subject: string, _data: string, options: { reply: string }) => void sent.push(options),
  } as Pick<NatsConnection, 'subscribe' | 'publish'> as NatsConnection;
  const answer = (index: number, body: object) =>
    deliver({ subject: sent[index]!.reply, data: new TextEncoder().encode(JSON.stringify(body)) } as Msg);
  return { nc, sent, answer };
}

describe('StreamPublisher', () => {
  const publishers: StreamPublisher[] = [];
  afterEach(() => {
    for (const publisher of publishers.splice(0)) publisher.close();
  });

  it("takes an error reply that carries seq 0 as a refusal naming JetStream's reason, never as an ack", async () => {
    const { nc, sent, answer } = fakeConnection();
    const publisher = new StreamPublisher(nc, 'EV.event', { attemptMs: 100, deadlineMs: 300 });
    publishers.push(publisher);
    const outcome = publisher.publish('id-1', '{}').then(
      (ack) => ack,
      (error: unknown) => error,
    );
    answer(0, { error: { code: 503, err_code: 10077, description: 'maximum messages exceeded' }, seq: 0 });
    const error = await outcome;
    expect(error).toBeInstanceOf(LogWriteError);
    expect((error as Error).message).toBe(
      'the JetStream cluster did not acknowledge the event (maximum messages exceeded)',
    );
    // Refused attempts are sent again with the same id until the deadline.
    expect(sent.length).toBeGreaterThan(1);
  });

  it('resolves a PubAck with its sequence', async () => {
    const { nc, answer } = fakeConnection();
    const publisher = new StreamPublisher(nc, 'EV.event');
    publishers.push(publisher);
    const acked = publisher.publish('id-2', '{}');
    answer(0, { stream: 'EV', seq: 7, duplicate: true });
    expect(await acked).toEqual({ seq: 7, duplicate: true });
  });
});
