import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
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

  it("fails at once, naming the size, a message over the servers' max_payload, which no resend can fix", async () => {
    const sent: string[] = [];
    const core = {
      subscribe: (_subject: string, _options: { callback: (error: unknown, msg: Msg) => void }) => ({
        unsubscribe: () => undefined,
      }),
      publish: (_subject: string, data: string, _options: { reply: string }) => {
        sent.push(data);
        // Hint: what nats-core's publish throws when the message and its headers exceed max_payload.
        if (data.length > 1_000) throw new Error("'payload' max_payload size exceeded");
      },
    } as Pick<NatsConnection, 'subscribe' | 'publish'> as NatsConnection;
    const nc: NatsConnection = Object.assign(core, { info: { max_payload: 1_024 } });
    const publisher = new StreamPublisher(nc, 'EV.event', { attemptMs: 60_000, deadlineMs: 60_000 });
    publishers.push(publisher);
    const outcome = publisher.publish('id-3', 'x'.repeat(2_000)).then(
      () => 'acked',
      (error: unknown) => error,
    );
    const settled = await Promise.race([outcome, new Promise((resolve) => setImmediate(() => resolve('pending')))]);
    expect(settled).toBeInstanceOf(LogWriteError);
    expect((settled as LogWriteError).message).toBe(
      "the event's stream message (2000 bytes before its headers) is too large (the NATS servers' max_payload is " +
        '1024 bytes); not committed',
    );
    expect((settled as LogWriteError).uncertain).toBe(false);
    expect(sent).toHaveLength(1);
    expect(publisher.pending).toBe(0);
  });

  it("fails at once a message over the stream's max_msg_size, naming JetStream's reason", async () => {
    const { nc, sent, answer } = fakeConnection();
    const publisher = new StreamPublisher(nc, 'EV.event', { attemptMs: 60_000, deadlineMs: 60_000 });
    publishers.push(publisher);
    const outcome = publisher.publish('id-4', 'x'.repeat(300)).then(
      () => 'acked',
      (error: unknown) => error,
    );
    answer(0, { error: { code: 400, err_code: 10054, description: 'message size exceeds maximum allowed' } });
    const settled = await Promise.race([outcome, new Promise((resolve) => setImmediate(() => resolve('pending')))]);
    expect((settled as Error).message).toBe(
      "the event's stream message (300 bytes before its headers) is too large (the stream refuses it: message size " +
        'exceeds maximum allowed); not committed',
    );
    expect(sent).toHaveLength(1);
  });
});

describe('StreamPublisher, when the system clock steps', () => {
  const T0 = Date.UTC(2026, 0, 31, 12);
  const DAY = 86_400_000;
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A publisher on fake intervals and a fake wall clock, its attempts timed by a manual monotonic clock. */
  function stepped() {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'], now: T0 });
    const clock = { monotonic: 0 };
    const connection = fakeConnection();
    const options = { attemptMs: 100, deadlineMs: 300, monotonic: () => clock.monotonic };
    const publisher = new StreamPublisher(connection.nc, 'EV.event', options);
    const outcome = publisher.publish('id-5', '{}').then(
      (ack) => ack,
      (error: unknown) => error,
    );
    /** `ms` pass, in the publisher's scan steps (50 ms). */
    const pass = (ms: number) => {
      for (let at = 0; at < ms; at += 50) {
        clock.monotonic += 50;
        vi.advanceTimersByTime(50);
      }
    };
    const now = () => Promise.race([outcome, new Promise((resolve) => setImmediate(() => resolve('pending')))]);
    return { ...connection, publisher, pass, now };
  }

  it('after a step back, resends an unanswered message each attempt and fails it at its deadline', async () => {
    const { publisher, sent, pass, now } = stepped();
    try {
      vi.setSystemTime(T0 - DAY);
      pass(200);
      // Before: attempts and the deadline were on the wall clock: nothing was resent, nothing failed, for a day.
      expect(sent).toHaveLength(3);
      expect(await now()).toBe('pending');
      pass(100);
      const settled = await now();
      expect(settled).toBeInstanceOf(LogWriteError);
      expect((settled as Error).message).toBe('the JetStream cluster did not acknowledge the event (no answer)');
    } finally {
      publisher.close();
    }
  });

  it('after a step forward, neither resends nor fails a message before its attempt and deadline are over', async () => {
    const { publisher, sent, pass, now, answer } = stepped();
    try {
      vi.setSystemTime(T0 + DAY);
      pass(50);
      // Before: the first scan after the step found it past its deadline and failed it.
      expect(sent).toHaveLength(1);
      expect(await now()).toBe('pending');
      answer(0, { stream: 'EV', seq: 9 });
      expect(await now()).toEqual({ seq: 9, duplicate: false });
    } finally {
      publisher.close();
    }
  });
});
