import { backoffDelay, type BackoffOptions } from './backoff.js';
import { ClientClosedError, LogReplacedError, SubscriptionRejectedError } from './errors.js';
import type { PositionStore } from './positionStore.js';
import { realScheduler, type Scheduler, type TimerHandle } from './scheduler.js';
import { classifyFrame, type SubscribedAck, type SubscriptionNotice } from './subscriptionAck.js';
import type { EventFilter, EventRecord, Position } from './types.js';
import { detectWebSocket, endpointUrl, errorText, messageText, type WebSocketConstructor, type WebSocketLike } from './webSocket.js';

/** What to do when the log's epoch is not the saved one. */
export type LogReplacedChoice = 'error' | 'from-start' | 'from-head';

/** How a Subscription starts, resumes and is consumed. */
export interface SubscribeOptions {
  /** Server base URL, e.g. `http://localhost:8001`. */
  readonly url: string;
  readonly apiKey?: string;
  readonly WebSocket?: WebSocketConstructor;
  readonly filters?: EventFilter;
  /** First offset to deliver, `'head'` (only what comes next; the default) or a saved Position (resume after it). */
  readonly from?: number | 'head' | Position;
  /** Saved positions; a position found under `key` wins over `from`. */
  readonly store?: PositionStore;
  /** Key in the store (default: the filters as JSON). */
  readonly key?: string;
  /** Default `'error'`: fail with LogReplacedError. `'from-start'`/`'from-head'`: carry on in the new log. */
  readonly onLogReplaced?: LogReplacedChoice;
  /** Callback consumption (instead of `for await`): called in offset order, awaited one at a time. */
  readonly onEvent?: (record: EventRecord) => void | Promise<void>;
  readonly onError?: (error: Error) => void;
  readonly onNotice?: (notice: SubscriptionNotice) => void;
  /** Records buffered for a slow consumer before the socket is let go (resumed from the next offset later). */
  readonly maxBufferedEvents?: number;
  /** How often the position is written to the store, in ms (default 1000; also on close). */
  readonly saveIntervalMs?: number;
  /** Reconnect when nothing arrives this long (the server sends keepalives every 30 s); default 75 s, 0 off. */
  readonly idleTimeoutMs?: number;
  readonly backoff?: BackoffOptions;
  readonly scheduler?: Scheduler;
  readonly random?: () => number;
}

type Item = EventRecord | { readonly checkpoint: number };

/** A resumable subscription: an async iterable of records in offset order, with no gap and no duplicate. */
export class Subscription implements AsyncIterable<EventRecord> {
  private readonly scheduler: Scheduler;
  private readonly buffer: Item[] = [];
  private wake: (() => void) | null = null;
  private socket: WebSocketLike | null = null;
  private next: number | null = null;
  private epoch: string | null = null;
  private position: Position = { offset: 0, epoch: null };
  private lastHanded = 0;
  private attempt = 0;
  private failure: Error | null = null;
  private closed = false;
  private paused = false;
  private acked = false;
  private reconnectTimer: TimerHandle | null = null;
  private idleTimer: TimerHandle | null = null;
  private saveTimer: TimerHandle | null = null;
  private readonly started: Promise<void>;

  constructor(private readonly options: SubscribeOptions) {
    this.scheduler = options.scheduler ?? realScheduler;
    this.started = this.start();
    this.started.catch((error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))));
    if (options.onEvent !== undefined) void this.runCallbacks(options.onEvent);
  }

  /** The last position handed to the consumer (records and checkpoints it has moved past). */
  get current(): Position {
    return this.position;
  }

  /** The next offset this subscription will ask the server for, or null before the first ack of a head start. */
  get nextOffset(): number | null {
    return this.next;
  }

  /** Write the current position to the store now. */
  async savePosition(): Promise<void> {
    if (this.options.store !== undefined && this.position.epoch !== null) await this.options.store.save(this.key(), this.position);
  }

  /** Stop: close the socket, save the position, end the iteration. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearTimers();
    this.socket?.close(1000, 'subscriber closed');
    this.socket = null;
    this.wake?.();
    await this.started.catch(() => undefined);
    await this.savePosition();
  }

  [Symbol.asyncIterator](): AsyncIterator<EventRecord> {
    // Hint: `break` in a for-await runs return() after the loop body finished the last record, so it counts as handled.
    return { next: () => this.take(), return: async () => (this.handOver(), await this.close(), { done: true, value: undefined }) };
  }

  private key(): string {
    return this.options.key ?? JSON.stringify(this.options.filters ?? {});
  }

  private async start(): Promise<void> {
    const from = this.options.from ?? 'head';
    const saved = this.options.store === undefined ? null : await this.options.store.load(this.key());
    const resume = saved ?? (typeof from === 'object' ? from : null);
    if (resume !== null) {
      this.next = resume.offset + 1;
      this.epoch = resume.epoch;
      this.position = resume;
      this.lastHanded = resume.offset;
    } else if (typeof from === 'number') {
      this.next = Math.max(1, from);
      this.position = { offset: this.next - 1, epoch: null };
      this.lastHanded = this.next - 1;
    }
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed || this.failure !== null) return;
    const Ctor = this.options.WebSocket ?? (await detectWebSocket());
    const socket = new Ctor(endpointUrl(this.options.url, 'ws/subscribe', this.options.apiKey));
    this.socket = socket;
    this.acked = false;
    let lastError = '';
    let refusal: string | null = null;
    socket.onopen = () => {
      const request: Record<string, unknown> = { ...this.options.filters, batch: true, checkpoints: true };
      if (this.next !== null) request.from_offset = this.next;
      socket.send(JSON.stringify(request));
      this.touch();
    };
    socket.onerror = (event) => (lastError = errorText(event));
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      this.touch();
      refusal = this.onFrame(messageText(event.data), socket) ?? refusal;
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.onClosed(event.code, event.reason || lastError, refusal);
    };
  }

  /** Handle one frame; returns a refusal message received before the ack, if any. */
  private onFrame(text: string, socket: WebSocketLike): string | null {
    const frame = classifyFrame(text);
    if (frame.kind === 'ack') this.onAck(frame.ack, socket);
    else if (frame.kind === 'records') this.onRecords(frame.records);
    else if (frame.kind === 'checkpoint') this.onCheckpoint(frame.offset);
    else if (frame.kind === 'error' && !this.acked) {
      // Hint: "at capacity" is followed by close 1013 (back off and retry); any other refusal is final.
      if (/capacity/i.test(frame.message)) return frame.message;
      this.fail(new SubscriptionRejectedError(frame.message));
    }
    return null;
  }

  private onAck(ack: SubscribedAck, socket: WebSocketLike): void {
    this.acked = true;
    if (this.epoch !== null && ack.epoch !== this.epoch) return this.logReplaced(ack, socket);
    this.epoch = ack.epoch;
    if (this.position.epoch === null) this.position = { offset: this.position.offset, epoch: ack.epoch };
    const requested = this.next;
    if (requested === null || ack.beyond_head !== undefined) this.next = ack.head_offset + 1;
    if (ack.beyond_head !== undefined) this.notice('beyond_head', ack.beyond_head.message ?? 'from_offset beyond the head');
    if (ack.retention?.truncated === true) {
      this.next = Math.max(this.next ?? 1, ack.retention.first_available_offset);
      this.notice('retention', ack.retention.message ?? `offsets before ${ack.retention.first_available_offset} were deleted`);
    }
  }

  private logReplaced(ack: SubscribedAck, socket: WebSocketLike): void {
    const choice = this.options.onLogReplaced ?? 'error';
    const saved = this.epoch ?? '';
    if (choice === 'error') return this.fail(new LogReplacedError(saved, ack.epoch, this.position.offset));
    this.epoch = ack.epoch;
    this.position = { offset: 0, epoch: ack.epoch };
    this.lastHanded = 0;
    this.next = choice === 'from-start' ? 1 : ack.head_offset + 1;
    this.notice('reconnecting', `log replaced (epoch ${saved} → ${ack.epoch}); continuing ${choice}`);
    this.socket = null;
    socket.close(1000, 'log replaced');
    void this.connect();
  }

  private onRecords(records: readonly { readonly offset: number }[] & readonly EventRecord[]): void {
    if (!this.acked) return;
    for (const record of records) {
      // Hint: a reconnect may replay what an earlier connection already delivered; offsets make that visible.
      if (this.next !== null && record.offset < this.next) continue;
      this.buffer.push(record);
      this.next = record.offset + 1;
    }
    this.attempt = 0;
    this.signal();
    if (this.buffer.length >= (this.options.maxBufferedEvents ?? 10_000) && this.socket !== null) {
      this.paused = true;
      this.socket.close(1000, 'consumer busy');
    }
  }

  private onCheckpoint(offset: number): void {
    if (!this.acked || (this.next !== null && offset < this.next)) return;
    this.next = offset + 1;
    this.buffer.push({ checkpoint: offset });
    this.signal();
  }

  private onClosed(code: number, reason: string, refusal: string | null): void {
    this.clearIdle();
    if (this.closed || this.failure !== null || this.paused) return;
    if (/\b401\b/.test(reason)) return this.fail(new SubscriptionRejectedError(`unauthorized: ${reason}`));
    if (refusal !== null && code !== 1013) return this.fail(new SubscriptionRejectedError(refusal));
    // Hint: 1013 and 429 mean the server is full: start the backoff higher than for a restart (1001) or a drop.
    const crowded = code === 1013 || /\b429\b/.test(reason);
    const base = this.options.backoff ?? {};
    const delay = backoffDelay(this.attempt++, crowded ? { ...base, initialMs: Math.max(1_000, base.initialMs ?? 0) } : base, this.options.random);
    this.notice('reconnecting', `closed ${code}${reason === '' ? '' : ` (${reason})`}; reconnecting in ${delay} ms from offset ${this.next ?? 'head'}`);
    this.reconnectTimer = this.scheduler.setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect().catch((error: unknown) => this.onClosed(1006, errorText(error), null));
    }, delay);
  }

  private async take(): Promise<IteratorResult<EventRecord>> {
    for (;;) {
      this.handOver();
      const item = this.buffer.shift();
      if (item !== undefined) {
        this.resumeIfDrained();
        if ('checkpoint' in item) {
          this.advance(item.checkpoint);
          continue;
        }
        this.lastHanded = item.offset;
        return { done: false, value: item };
      }
      if (this.failure !== null) throw this.failure;
      if (this.closed) return { done: true, value: undefined };
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  /** The consumer asked for more, so the record handed out before is done: it becomes the position. */
  private handOver(): void {
    if (this.lastHanded > this.position.offset) this.advance(this.lastHanded);
  }

  private advance(offset: number): void {
    if (offset <= this.position.offset) return;
    this.position = { offset, epoch: this.epoch };
    if (this.options.store !== undefined && this.saveTimer === null) {
      this.saveTimer = this.scheduler.setTimeout(() => {
        this.saveTimer = null;
        this.savePosition().catch((error: unknown) => this.options.onError?.(error instanceof Error ? error : new Error(String(error))));
      }, this.options.saveIntervalMs ?? 1_000);
    }
  }

  private resumeIfDrained(): void {
    if (!this.paused || this.buffer.length > (this.options.maxBufferedEvents ?? 10_000) / 2) return;
    this.paused = false;
    void this.connect();
  }

  private async runCallbacks(onEvent: (record: EventRecord) => void | Promise<void>): Promise<void> {
    try {
      for await (const record of this) await onEvent(record);
    } catch (error) {
      if (!(error instanceof ClientClosedError)) this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
      await this.close();
    }
  }

  private fail(error: Error): void {
    if (this.failure !== null || this.closed) return;
    this.failure = error;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, 'subscriber failed');
    this.signal();
  }

  private notice(kind: SubscriptionNotice['kind'], message: string): void {
    this.options.onNotice?.({ kind, message });
  }

  private signal(): void {
    this.wake?.();
  }

  private touch(): void {
    const ms = this.options.idleTimeoutMs ?? 75_000;
    if (ms <= 0) return;
    this.clearIdle();
    this.idleTimer = this.scheduler.setTimeout(() => this.socket?.close(4001, 'idle: no keepalive'), ms);
  }

  private clearIdle(): void {
    if (this.idleTimer !== null) this.scheduler.clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private clearTimers(): void {
    this.clearIdle();
    for (const timer of [this.reconnectTimer, this.saveTimer]) if (timer !== null) this.scheduler.clearTimeout(timer);
    this.reconnectTimer = null;
    this.saveTimer = null;
  }
}

/** Subscribe with resume built in; consume with `for await` or with `onEvent`. */
export function subscribe(options: SubscribeOptions): Subscription {
  return new Subscription(options);
}
