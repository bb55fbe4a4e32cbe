import { describe, expect, it } from 'vitest';
import { Publisher, subscribe } from '../src/client/index.js';
import { FakeSocket } from './support/scriptedClient.js';

const url = 'http://test';

/** What `make` throws (null: nothing). */
function thrown(make: () => unknown): unknown {
  try {
    make();
    return null;
  } catch (error) {
    return error;
  }
}

describe('backoff', () => {
  // Hint (probe): `{ initialMs: 0 }` or `{ maxMs: 0 }` turned backoff off: ~210 reconnects a second to a down server.
  it('refuses a zero or sub-millisecond delay with a RangeError naming it, in both clients, opening no socket', () => {
    FakeSocket.all = [];
    const why =
      'must be at least 1 ms (less turns backoff off: a client reconnects at once, hundreds of times a second)';
    for (const [name, value] of [
      ['initialMs', 0],
      ['maxMs', 0],
      ['initialMs', 0.5],
    ] as const) {
      const error = new RangeError(`backoff.${name}: ${why}, got ${value}`);
      expect(thrown(() => new Publisher({ url, WebSocket: FakeSocket, backoff: { [name]: value } }))).toEqual(error);
      expect(thrown(() => subscribe({ url, WebSocket: FakeSocket, backoff: { [name]: value } }))).toEqual(error);
    }
    expect(FakeSocket.all).toEqual([]);
  });

  it('takes 1 ms, and still refuses a negative delay as not a duration', () => {
    expect(thrown(() => new Publisher({ url, WebSocket: FakeSocket, backoff: { initialMs: 1, maxMs: 1 } }))).toBeNull();
    expect(thrown(() => new Publisher({ url, backoff: { initialMs: -1 } }))).toEqual(
      new RangeError('backoff.initialMs: must be a finite number of milliseconds ≥ 0, got -1'),
    );
  });
});
