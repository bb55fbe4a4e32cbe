import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import { type SubscribeOptions, type Subscription, subscribe } from '../src/client/index.js';
import { ManualScheduler } from './support/scriptedClient.js';
import { type ScriptedServer, scriptedServer, wireAck, wireRecord } from './support/scriptedServer.js';

/**
 * The subscriber against real sockets of a server that breaks the protocol: it never crashes the host, never hands
 * out a record it cannot vouch for (malformed, out of order, not matching its filters), says so, and resumes from the
 * last offset it received in order.
 */

let server: ScriptedServer | undefined;
let sub: Subscription | undefined;
afterEach(async () => {
  await sub?.close();
  sub = undefined;
  await server?.close();
  server = undefined;
});

const send = (ws: WebSocket, ...frames: unknown[]) => {
  for (const frame of frames) ws.send(JSON.stringify(frame));
};

/** Subscribe from offset 1 with fast backoff; what it hands out and tells, as lines. */
function following(options: Partial<SubscribeOptions> = {}) {
  const got: string[] = [];
  const notices: string[] = [];
  let failure: unknown = null;
  sub = subscribe({
    url: server!.url,
    from: 1,
    backoff: { initialMs: 10, maxMs: 20 },
    onNotice: (notice) => notices.push(`${notice.kind}: ${notice.message}`),
    ...options,
  });
  const running = sub;
  void (async () => {
    try {
      for await (const record of running)
        got.push(`${record.offset}${record.session_id === 's1' ? '' : ` ${record.session_id}`}`);
    } catch (error) {
      failure = error;
    }
  })();
  return { got, notices, failure: () => failure };
}

describe('a subscriber on a server that breaks the protocol', () => {
  it('takes an ack whose beyond_head is null as none (it threw from the socket handler and crashed the host)', async () => {
    server = await scriptedServer({
      onSubscribe: (ws) => send(ws, wireAck({ beyond_head: null, retention: null }), [wireRecord(1)]),
    });
    const run = following();
    await vi.waitFor(() => expect(run.got).toEqual(['1']));
    expect(run.notices).toEqual([]);
  });

  it.each([
    ['offset 1.5', wireRecord(1.5), 'record [1]: offset: must be an integer from 1 to 2^53-1, got 1.5'],
    ['offset 1e300', wireRecord(1e300), 'record [1]: offset: must be an integer from 1 to 2^53-1, got 1e+300'],
    [
      'fields missing',
      { offset: 2, event_type: 'quiz_started' },
      'record [1] (offset 2): id: must be a string, got nothing',
    ],
  ])(
    'hands out nothing of a frame holding a record with %s, says why, and resumes after the last good offset',
    async (_, bad, reason) => {
      server = await scriptedServer({
        onSubscribe: (ws, _request, n) =>
          send(ws, wireAck(), n === 1 ? [wireRecord(1), bad, wireRecord(2)] : [wireRecord(2), wireRecord(3)]),
      });
      const run = following();
      await vi.waitFor(() => expect(run.got).toEqual(['2', '3']));
      expect(server.requests.map((r) => r.from_offset)).toEqual([1, 1]);
      // Hint: the reconnect is told at once; the protocol error where it happened, once the records before it are out.
      expect(run.notices[1]).toBe(`protocol: protocol error: ${reason}; not handed out`);
      expect(run.notices[0]).toMatch(
        /^reconnecting: closed 4002 \(protocol error\); reconnecting in \d+ ms from offset 1$/,
      );
    },
  );

  it('does not drop records below a checkpoint silently: a protocol error, and it resumes after the checkpoint', async () => {
    server = await scriptedServer({
      onSubscribe: (ws, _request, n) =>
        n === 1
          ? send(ws, wireAck(), { type: 'checkpoint', offset: 100 }, [wireRecord(50), wireRecord(99), wireRecord(101)])
          : send(ws, wireAck({ head_offset: 102 }), [wireRecord(101), wireRecord(102)]),
    });
    const run = following();
    await vi.waitFor(() => expect(run.got).toEqual(['101', '102']));
    expect(server.requests.map((r) => r.from_offset)).toEqual([1, 101]);
    expect(run.notices).toContain(
      'protocol: protocol error: record at offset 50 is not after offset 100 (a checkpoint): records must come in offset order; not handed out',
    );
  });

  it("hands out no record that does not match the subscription's filters, and names those it kept back", async () => {
    server = await scriptedServer({
      onSubscribe: (ws) =>
        send(ws, wireAck(), [
          wireRecord(1),
          wireRecord(2, { session_id: 'OTHER' }),
          wireRecord(3, { event_type: 'timer_tick' }),
          wireRecord(4),
        ]),
    });
    const run = following({ filters: { session_id: 's1', event_types: ['quiz_started'] } });
    await vi.waitFor(() => expect(run.got).toEqual(['1', '4']));
    await vi.waitFor(() => expect(run.notices.length).toBe(1));
    expect(run.notices[0]).toMatch(
      /^protocol: protocol error: the server sent record\(s\) that do not match .*\(offsets 2, 3\): not handed out$/,
    );
  });

  it('refuses an ack without an epoch (the position was saved without one), and takes the next good one', async () => {
    server = await scriptedServer({
      onSubscribe: (ws, _request, n) =>
        send(ws, n === 1 ? { status: 'subscribed', subscriber_id: 's', head_offset: 0 } : wireAck(), [
          wireRecord(1),
          wireRecord(2),
        ]),
    });
    const run = following();
    await vi.waitFor(() => expect(run.got).toEqual(['1', '2']));
    expect(run.notices).toContain(
      'protocol: protocol error: subscribe ack: epoch: must be a non-empty string, got nothing; not handed out',
    );
    await vi.waitFor(() => expect(sub!.current).toEqual({ offset: 2, epoch: 'ep1' }));
  });

  it('fails the subscription, not the host, when a callback throws inside a socket event', async () => {
    server = await scriptedServer({ onSubscribe: (ws) => ws.terminate() });
    const run = following({
      onNotice: () => {
        throw new Error('notice handler failed');
      },
    });
    await vi.waitFor(() => expect(run.failure()).toEqual(new Error('notice handler failed')));
  });

  it('survives an onError that throws after a failed handler: the subscription closes, the host goes on', async () => {
    server = await scriptedServer({ onSubscribe: (ws) => send(ws, wireAck(), [wireRecord(1)]) });
    const seen: string[] = [];
    sub = subscribe({
      url: server.url,
      from: 1,
      onEvent: () => {
        seen.push('event');
        throw new Error('handler failed');
      },
      onError: (error) => {
        seen.push(error.message);
        throw new Error('onError failed too');
      },
    });
    await vi.waitFor(() => expect(seen).toEqual(['event', 'handler failed']));
    await vi.waitFor(() => expect(sub!.nextOffset).toBe(2));
  });
});

describe('a subscriber on a server that goes silent', () => {
  /** A manual clock for the SDK's timers, over real sockets. */
  async function started(options: Partial<SubscribeOptions> = {}) {
    const scheduler = new ManualScheduler();
    const run = following({ scheduler, random: () => 1, ...options });
    await scheduler.advance(0);
    return { scheduler, ...run };
  }

  it('gives up on a connection whose upgrade is never answered after 10 s, says so, and tries again', async () => {
    server = await scriptedServer({ hangUpgrades: true });
    const { scheduler, notices } = await started();
    await vi.waitFor(() => expect(server!.upgrades.length).toBe(1));
    await scheduler.advance(9_999);
    expect(notices).toEqual([]);
    await scheduler.advance(1);
    expect(notices).toEqual([
      'reconnecting: closed 1006 (connection not open within 10000 ms); reconnecting in 10 ms from offset 1',
    ]);
    await scheduler.advance(10);
    await vi.waitFor(() => expect(server!.upgrades.length).toBe(2));
  });

  it('gives up on a TCP server that accepts and never speaks, and backs off between attempts', async () => {
    const accepted: net.Socket[] = [];
    const closed: net.Socket[] = [];
    const silent = net.createServer((socket) => {
      accepted.push(socket.on('error', () => undefined).on('close', () => closed.push(socket)));
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const scheduler = new ManualScheduler();
      const notices: string[] = [];
      sub = subscribe({
        url: `http://127.0.0.1:${port}`,
        from: 1,
        scheduler,
        random: () => 1,
        backoff: { initialMs: 10, maxMs: 20 },
        onNotice: (notice) => notices.push(notice.message),
      });
      await scheduler.advance(0);
      await vi.waitFor(() => expect(accepted.length).toBe(1));
      await scheduler.advance(10_000);
      await scheduler.advance(10);
      await vi.waitFor(() => expect(accepted.length).toBe(2));
      await scheduler.advance(10_000);
      expect(notices).toEqual([
        'closed 1006 (connection not open within 10000 ms); reconnecting in 10 ms from offset 1',
        'closed 1006 (connection not open within 10000 ms); reconnecting in 20 ms from offset 1',
      ]);
      await vi.waitFor(() => expect(closed).toContain(accepted[0]));
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('gives up on a server that acked and froze at the idle timeout, without waiting for a close handshake', async () => {
    server = await scriptedServer({
      onSubscribe: (ws) => {
        send(ws, wireAck(), [wireRecord(1)]);
        // Hint: the server stops reading: the client's close frame is never answered.
        (Reflect.get(ws, '_socket') as net.Socket).pause();
      },
    });
    const { scheduler, got, notices } = await started({ idleTimeoutMs: 1_000 });
    await vi.waitFor(() => expect(got).toEqual(['1']));
    await scheduler.advance(1_000);
    expect(notices).toEqual([
      'reconnecting: closed 4001 (idle: nothing heard for 1000 ms); reconnecting in 10 ms from offset 2',
    ]);
    await scheduler.advance(10);
    await vi.waitFor(() => expect(server!.requests.map((r) => r.from_offset)).toEqual([1, 2]));
  });

  it('keeps nothing a server sends after the buffer filled, and ends a socket whose close is never answered', async () => {
    let sent = 0;
    let ended = false;
    server = await scriptedServer({
      onSubscribe: (ws, _request, n) => {
        send(ws, wireAck());
        if (n > 1) return;
        const raw = Reflect.get(ws, '_socket') as net.Socket;
        raw.removeAllListeners('data'); // Hint: the close frame is never read, so never answered.
        raw.on('data', () => undefined).on('close', () => (ended = true));
        const flood = () => {
          if (raw.destroyed) return;
          send(
            ws,
            Array.from({ length: 10 }, () => wireRecord(++sent)),
          );
          setImmediate(flood);
        };
        flood();
      },
    });
    const scheduler = new ManualScheduler();
    sub = subscribe({ url: server.url, from: 1, scheduler, maxBufferedEvents: 20 });
    await scheduler.advance(0);
    await vi.waitFor(() => expect(sent).toBeGreaterThan(500));
    expect(sub.nextOffset).toBe(21);
    expect(ended).toBe(false);
    await scheduler.advance(2_000);
    await vi.waitFor(() => expect(ended).toBe(true));
  });
});
