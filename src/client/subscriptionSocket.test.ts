import { describe, expect, it, vi } from 'vitest';
import { heldTimers, recordingSocket } from '../../test/support/clientDoubles.js';
import { type SocketHandlers, SubscriptionSocket } from './subscriptionSocket.js';

const recording = (): SocketHandlers & { seen: string[] } => {
  const seen: string[] = [];
  return {
    seen,
    opened: () => void seen.push('opened'),
    frame: (text) => void seen.push(`frame ${text}`),
    lost: (code, reason, upgrade) =>
      void seen.push(`lost ${code} ${reason}${upgrade === null ? '' : ` [${upgrade.status}]`}`),
    threw: (error) => void seen.push(`threw ${error.message}`),
  };
};

/** A probe that learns nothing (a network failure, or a server that answers 426). */
const nothingAsked = () => Promise.resolve(null);

describe('SubscriptionSocket', () => {
  it('gives up on a connection not open, or not acked, within 10 s', () => {
    for (const [readyState, what] of [
      [0, 'connection not open'],
      [1, 'no subscribe ack'],
    ] as const) {
      const { scheduler, advance } = heldTimers();
      const { socket, calls } = recordingSocket(readyState);
      const handlers = recording();
      new SubscriptionSocket(socket, scheduler, 0, undefined, handlers, nothingAsked);
      advance(9_999);
      expect(handlers.seen).toEqual([]);
      advance(1);
      expect(handlers.seen).toEqual([`lost 1006 ${what} within 10000 ms`]);
      expect(calls).toEqual(['terminate']);
    }
  });

  it('keeps an acked connection past 10 s, and gives up on it when idle, terminated at once', () => {
    const { scheduler, advance } = heldTimers();
    const { socket, calls } = recordingSocket();
    const handlers = recording();
    const connection = new SubscriptionSocket(socket, scheduler, 30_000, undefined, handlers, nothingAsked);
    socket.onopen?.({});
    connection.subscribed();
    advance(29_999);
    socket.onmessage?.({ data: '{"type":"keepalive"}' });
    advance(29_999);
    expect(handlers.seen).toEqual(['opened', 'frame {"type":"keepalive"}']);
    advance(1);
    expect(handlers.seen.at(-1)).toBe('lost 4001 idle: nothing heard for 30000 ms');
    expect(calls).toEqual(['terminate']);
  });

  it('hands what a handler throws to threw, and nothing of a socket it let go', () => {
    const { scheduler } = heldTimers();
    const { socket } = recordingSocket();
    const handlers = recording();
    const connection = new SubscriptionSocket(
      socket,
      scheduler,
      0,
      undefined,
      {
        ...handlers,
        frame: () => {
          throw new Error('handler failed');
        },
      },
      nothingAsked,
    );
    expect(() => socket.onmessage?.({ data: '[]' })).not.toThrow();
    expect(handlers.seen).toEqual(['threw handler failed']);
    const onclose = socket.onclose;
    connection.end(1000, 'closed');
    onclose?.({ code: 1006, reason: '' });
    expect(handlers.seen).toEqual(['threw handler failed']);
  });

  it('ends at once a socket that errs before it opens (undici fires no close), with what the server says when asked', async () => {
    const { scheduler, advance } = heldTimers();
    const { socket } = recordingSocket(0);
    const handlers = recording();
    const asked: string[] = [];
    const answer = { status: 401, detail: 'Invalid or missing API key', retryAfterMs: null };
    new SubscriptionSocket(socket, scheduler, 0, undefined, handlers, () => {
      asked.push('asked');
      return Promise.resolve(answer);
    });
    socket.onerror?.({ message: 'Received network error or non-101 status code.' });
    await vi.waitFor(() =>
      expect(handlers.seen).toEqual([
        'lost 1006 the server refused the API key (401: Invalid or missing API key) [401]',
      ]),
    );
    expect(asked).toEqual(['asked']);
    advance(10_000);
    expect(handlers.seen).toHaveLength(1);
  });
});
