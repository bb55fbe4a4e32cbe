import { describe, expect, it } from 'vitest';
import { type Position, type Scheduler, subscribe, type WebSocketLike } from '../src/client/index.js';

/** Timers that run only when the test says so. */
class HeldTimers implements Scheduler {
  private readonly timers = new Map<number, () => void>();
  private nextId = 1;
  now = () => 0;
  setTimeout = (fn: () => void) => {
    const id = this.nextId++;
    this.timers.set(id, fn);
    return id;
  };
  clearTimeout = (handle: unknown) => void this.timers.delete(handle as number);
  /** Run every timer set so far. */
  runAll(): void {
    const due = [...this.timers.values()];
    this.timers.clear();
    for (const fn of due) fn();
  }
}

/** A socket the test answers by hand. */
class HandSocket implements WebSocketLike {
  static last: HandSocket | null = null;
  readyState = 0;
  bufferedAmount = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { readonly data: unknown }) => void) | null = null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  constructor(readonly url: string) {
    HandSocket.last = this;
  }
  send(): void {}
  close(): void {
    this.readyState = 3;
  }
  reply(body: unknown): void {
    this.onmessage?.({ data: JSON.stringify(body) });
  }
}

const record = (offset: number) => ({
  id: `evt_${offset}`,
  offset,
  event_type: 'quiz_started',
  source: 'quiz_engine',
  session_id: 's1',
  user_id: null,
  timestamp: '2026-01-01T00:00:00.000Z',
  payload: {},
});

describe('subscribe: close() saves the last position', () => {
  it('hands out no buffered record and writes nothing to the store after close(), even with a handler running at close', async () => {
    const saves: Position[] = [];
    let closedAt = -1;
    const store = { load: () => null, save: (_key: string, position: Position) => void saves.push(position) };
    const timers = new HeldTimers();
    let release: () => void = () => undefined;
    let entered: () => void = () => undefined;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    const handled: number[] = [];
    const sub = subscribe({
      url: 'http://test',
      WebSocket: HandSocket,
      scheduler: timers,
      store,
      key: 'k',
      from: 1,
      onEvent: async (event) => {
        handled.push(event.offset);
        if (event.offset === 2) {
          entered();
          await new Promise<void>((resolve) => (release = resolve));
        }
      },
    });
    await new Promise((resolve) => setImmediate(resolve));
    const socket = HandSocket.last!;
    socket.readyState = 1;
    socket.onopen?.({});
    socket.reply({ status: 'subscribed', subscriber_id: 'sub_1', filters: {}, head_offset: 2, epoch: 'e1' });
    socket.reply([record(1), record(2), record(3)]);
    await inHandler;
    await sub.close();
    closedAt = saves.length;
    expect(saves.at(-1)).toEqual({ offset: 1, epoch: 'e1' });
    // The handler of offset 2 finishes after close(); a successor under the same key may save by now, and it
    // resumes at 2: offset 3, buffered at close, must not be handed out here too.
    release();
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    timers.runAll();
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(handled).toEqual([1, 2]);
    expect(saves.slice(closedAt)).toEqual([]);
  });
});
