import { describe, expect, it } from 'vitest';
import { Publisher, type PublisherOptions, type SubscribeOptions, subscribe } from '../src/client/index.js';
import { FakeSocket, ManualScheduler, thrown } from './support/scriptedClient.js';

const url = 'http://test';
const PUBLISHER_KEYS =
  'url, apiKey, apiKeyIn, WebSocket, maxBatchEvents, maxBatchBytes, maxMessageBytes, lingerMs, maxInFlightEvents, maxInFlightMessages, deliveryTimeoutMs, backoff, scheduler, random, newId, onNotice';
const SUBSCRIBE_KEYS =
  'url, apiKey, apiKeyIn, WebSocket, filters, from, store, key, onLogReplaced, onEvent, onError, onNotice, maxBufferedEvents, saveIntervalMs, idleTimeoutMs, backoff, scheduler, random';

/** Options as a caller without types (plain JavaScript, or JSON config) may pass them. */
const untyped = <T>(options: Record<string, unknown>): T => options as T;

describe('Publisher and subscribe refuse what they would misread, at once', () => {
  it('refuses an unknown option, naming it and the known ones, opening no socket', () => {
    FakeSocket.all = [];
    const sub = (options: Record<string, unknown>) =>
      thrown(() => subscribe(untyped<SubscribeOptions>({ url, WebSocket: FakeSocket, ...options })));
    expect(sub({ filter: { session_id: 'x' } })).toEqual(
      new TypeError(`filter: not an option of subscribe; expected ${SUBSCRIBE_KEYS}`),
    );
    expect(sub({ session_id: 'x' })).toEqual(
      new TypeError(`session_id: not an option of subscribe; expected ${SUBSCRIBE_KEYS}`),
    );
    expect(thrown(() => new Publisher(untyped<PublisherOptions>({ url, lingerMS: 5 })))).toEqual(
      new TypeError(`lingerMS: not an option of Publisher; expected ${PUBLISHER_KEYS}`),
    );
    expect(thrown(() => new Publisher(untyped<PublisherOptions>({ url, backoff: { initial: 5 } })))).toEqual(
      new TypeError('backoff.initial: not an option of backoff; expected initialMs, maxMs'),
    );
    expect(FakeSocket.all).toEqual([]);
  });

  it('refuses an option of the wrong type, naming it, and a missing options object', () => {
    const sub = (options: Record<string, unknown>) =>
      thrown(() => subscribe(untyped<SubscribeOptions>({ url, WebSocket: FakeSocket, ...options })));
    const pub = (options: Record<string, unknown>) =>
      thrown(() => new Publisher(untyped<PublisherOptions>({ url, WebSocket: FakeSocket, ...options })));
    expect(sub({ onEvent: 5 })).toEqual(new TypeError('onEvent: must be a function, got 5'));
    expect(sub({ store: {} })).toEqual(new TypeError('store: must be an object with load and save methods, got {}'));
    expect(sub({ key: 7 })).toEqual(new TypeError('key: must be a string, got 7'));
    expect(pub({ newId: 5 })).toEqual(new TypeError('newId: must be a function, got 5'));
    expect(pub({ scheduler: {} })).toEqual(
      new TypeError('scheduler: must be an object with now, setTimeout and clearTimeout methods, got {}'),
    );
    expect(pub({ WebSocket: 'x' })).toEqual(new TypeError('WebSocket: must be a function, got "x"'));
    expect(pub({ backoff: 'x' })).toEqual(new TypeError('backoff: must be an object, got "x"'));
    expect(sub({ backoff: null })).toEqual(new TypeError('backoff: must be an object, got null'));
    expect(pub({ apiKey: 42 })).toEqual(new TypeError('apiKey: must be a string, got 42'));
    const none = "options: must be an object such as { url: 'http://localhost:8001' }, got undefined";
    expect(thrown(() => Reflect.construct(Publisher, []))).toEqual(new TypeError(`Publisher ${none}`));
    expect(thrown(() => Reflect.apply(subscribe, undefined, [null]))).toEqual(
      new TypeError(`subscribe ${none.replace('undefined', 'null')}`),
    );
  });

  it('refuses a url with white space around it, which every connect would fail on', () => {
    for (const spaced of ['http://127.0.0.1:16001 ', ' http://127.0.0.1:16001', 'http://a\n']) {
      const message = `url: expected an http(s) or ws(s) URL such as http://localhost:8001, got ${JSON.stringify(spaced)} (white space at its start or end)`;
      expect(thrown(() => new Publisher({ url: spaced, WebSocket: FakeSocket }))).toEqual(new TypeError(message));
      expect(thrown(() => subscribe({ url: spaced, WebSocket: FakeSocket }))).toEqual(new TypeError(message));
    }
  });

  it('refuses a duration longer than a timer can wait with a RangeError, and takes the longest one', () => {
    const longest = 2 ** 31 - 1;
    const message = (name: string, got: number) =>
      new RangeError(`${name}: must be at most ${longest} ms (the longest a timer waits), got ${got}`);
    expect(thrown(() => new Publisher({ url, lingerMs: 1e12 }))).toEqual(message('lingerMs', 1e12));
    expect(thrown(() => new Publisher({ url, backoff: { maxMs: longest + 1 } }))).toEqual(
      message('backoff.maxMs', longest + 1),
    );
    expect(thrown(() => subscribe({ url, idleTimeoutMs: 1e12 }))).toEqual(message('idleTimeoutMs', 1e12));
    expect(thrown(() => subscribe({ url, saveIntervalMs: 1e10 }))).toEqual(message('saveIntervalMs', 1e10));
    const scheduler = new ManualScheduler();
    expect(thrown(() => new Publisher({ url, WebSocket: FakeSocket, scheduler, lingerMs: longest }))).toBeNull();
    const sub = subscribe({ url, WebSocket: FakeSocket, scheduler, idleTimeoutMs: longest });
    void sub.close();
  });

  it('refuses a maxMessageBytes that is not a whole number of bytes from 1 to 2^31-1, naming it', () => {
    const pub = (maxMessageBytes: unknown) =>
      thrown(() => new Publisher(untyped<PublisherOptions>({ url, WebSocket: FakeSocket, maxMessageBytes })));
    const count = (got: string) => new RangeError(`maxMessageBytes: must be an integer ≥ 1, got ${got}`);
    expect(pub(0)).toEqual(count('0'));
    expect(pub(-1)).toEqual(count('-1'));
    expect(pub(1.5)).toEqual(count('1.5'));
    expect(pub(Number.NaN)).toEqual(count('NaN'));
    // A string (an environment variable passed on unparsed) is refused, not read as a number.
    expect(pub('8388608')).toEqual(count('string'));
    expect(pub(2 ** 31)).toEqual(
      new RangeError(
        'maxMessageBytes: must be at most 2147483647 (the most a server takes in one message), got 2147483648',
      ),
    );
    const scheduler = new ManualScheduler();
    for (const fits of [1, 8 * 1024 * 1024, 2 ** 31 - 1]) {
      const publisher = new Publisher({ url, WebSocket: FakeSocket, scheduler, maxMessageBytes: fits });
      publisher.destroy();
    }
  });
});
