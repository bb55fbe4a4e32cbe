import { describe, expect, it } from 'vitest';
import { Publisher, subscribe } from '../src/client/index.js';
import { FakeSocket, thrown } from './support/scriptedClient.js';

const url = 'http://test';

describe('backoff', () => {
  // Hint (probe): `{ initialMs: 0 }` or `{ maxMs: 0 }` turned backoff off: ~210 reconnects a second to a down server.
  it('refuses a zero or sub-millisecond delay with a RangeError naming it, in both clients, opening no socket', () => {
    FakeSocket.all = [];
    const why = 'ms (less lets a client reconnect to a down server hundreds of times a second)';
    for (const [name, value, least] of [
      ['initialMs', 0, 1],
      ['maxMs', 0, 10],
      ['initialMs', 0.5, 1],
      // Hint (review): a timer of 1 ms fires as soon as one of 0 ms: maxMs 1 reconnected 282 times a second.
      ['maxMs', 1, 10],
      ['maxMs', 9.5, 10],
    ] as const) {
      const error = new RangeError(`backoff.${name}: must be at least ${least} ${why}, got ${value}`);
      expect(thrown(() => new Publisher({ url, WebSocket: FakeSocket, backoff: { [name]: value } }))).toEqual(error);
      expect(thrown(() => subscribe({ url, WebSocket: FakeSocket, backoff: { [name]: value } }))).toEqual(error);
    }
    expect(FakeSocket.all).toEqual([]);
  });

  it('takes a first delay of 1 ms and a largest of 10 ms, and still refuses a negative delay as not a duration', () => {
    expect(
      thrown(() => new Publisher({ url, WebSocket: FakeSocket, backoff: { initialMs: 1, maxMs: 10 } })),
    ).toBeNull();
    expect(thrown(() => new Publisher({ url, backoff: { initialMs: -1 } }))).toEqual(
      new RangeError('backoff.initialMs: must be a finite number of milliseconds ≥ 0, got -1'),
    );
  });
});
