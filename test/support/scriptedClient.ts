import {
  type EventRecord,
  type Scheduler,
  type SubscribeOptions,
  subscribe,
  type WebSocketLike,
} from '../../src/client/index.js';

/** A manual clock: timers run only when the test advances time. */
export class ManualScheduler implements Scheduler {
  private time = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;
  now = () => this.time;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  };
  clearTimeout = (handle: unknown) => void this.timers.delete(handle as number);
  /** Timers set and not yet run or cleared. */
  get pending(): number {
    return this.timers.size;
  }
  /** Advance the clock by `ms`, running due timers in order. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
      await Promise.resolve();
    }
    this.time = target;
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

/** A socket the test answers by hand. */
export class FakeSocket implements WebSocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  bufferedAmount = 0;
  sent: string[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { readonly data: unknown }) => void) | null = null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string): void {
    this.sent.push(data);
  }
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  reply(body: object): void {
    this.onmessage?.({ data: JSON.stringify(body) });
  }
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

/** A record at `offset`, as the server sends one to a subscriber. */
export const record = (offset: number): EventRecord => ({
  id: `e${offset}`,
  offset,
  event_type: 'timer_tick',
  source: 't',
  session_id: null,
  user_id: null,
  payload: {},
  timestamp: '2026-12-01T00:00:00.000Z',
});

/**
 * A subscription from offset 1 on a scripted, opened socket and a manual clock (`options` added or overriding); its
 * notices as "kind: message".
 */
export async function scriptedFromStart(options: Partial<SubscribeOptions> = {}) {
  FakeSocket.all = [];
  const scheduler = new ManualScheduler();
  const notices: string[] = [];
  const sub = subscribe({
    url: 'http://test',
    WebSocket: FakeSocket,
    scheduler,
    from: 1,
    idleTimeoutMs: 0,
    onNotice: (notice) => notices.push(`${notice.kind}: ${notice.message}`),
    ...options,
  });
  await scheduler.advance(0);
  const socket = FakeSocket.all[0]!;
  socket.open();
  return { sub, scheduler, notices, socket };
}

/** What a promise has come to so far: 'pending', 'resolved' or the error it was rejected with. */
export function outcomeOf(promise: Promise<unknown>): () => unknown {
  let outcome: unknown = 'pending';
  promise.then(
    () => (outcome = 'resolved'),
    (error: unknown) => (outcome = error),
  );
  return () => outcome;
}

/** What `make` throws (null: nothing). */
export function thrown(make: () => unknown): unknown {
  try {
    make();
    return null;
  } catch (error) {
    return error;
  }
}

/** A `/ws/publish` message a Publisher sent. */
export type SentMessage = { ref: number; events: Array<{ id: string; source: string }> };

/** The messages a Publisher sent on `socket`, in order. */
export const sentOn = (socket: FakeSocket): SentMessage[] => socket.sent.map((text) => JSON.parse(text) as SentMessage);

/** Answer message `m` on `socket` with a clean ack of its events from `offset` on. */
export function ack(socket: FakeSocket, m: SentMessage, offset: number): void {
  const ids = m.events.map((e) => e.id);
  socket.reply({
    status: 'ok',
    count: ids.length,
    event_ids: ids,
    first_offset: offset,
    last_offset: offset + ids.length - 1,
    ref: m.ref,
  });
}
