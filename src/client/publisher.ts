import { backoffDelay } from './backoff.js';
import { ClientClosedError, PublishRejectedError, PublishTimeoutError } from './errors.js';
import { InFlightWindow } from './inFlightWindow.js';
import {
  asSolo,
  type BatchAck,
  type Message,
  messageText,
  type ServerReply,
  settleFromAck,
  splitToSolo,
  takeMessage,
  type Unit,
  withId,
} from './publishBatcher.js';
import { type PublisherOptions, type ResolvedPublisherOptions, withDefaults } from './publisherOptions.js';
import type { TimerHandle } from './scheduler.js';
import type { PublishAck, PublishEvent } from './types.js';
import {
  detectWebSocket,
  endpointUrl,
  errorText,
  messageText as frameText,
  OPEN,
  type WebSocketLike,
} from './webSocket.js';

export type { PublisherOptions };

/** Pipelined, batching, retrying producer over one `/ws/publish` socket; every publish resolves after the commit. */
export class Publisher {
  private readonly opts: ResolvedPublisherOptions;
  private queue: Unit[] = [];
  private inflight: Message[] = [];
  private unsettled = 0;
  private drained: Array<() => void> = [];
  private readonly window: InFlightWindow;
  private socket: WebSocketLike | null = null;
  private connecting = false;
  private attempt = 0;
  private pausedUntil = 0;
  private timer: TimerHandle | null = null;
  private lingering = false;
  private flushing = 0;
  private nextRef = 1;
  private closed = false;

  constructor(options: PublisherOptions) {
    this.opts = withDefaults(options);
    this.window = new InFlightWindow(this.opts.maxInFlightEvents);
  }

  /** Publish one event; resolves with its id and offset once it is committed. */
  publish(event: PublishEvent): Promise<PublishAck> {
    return this.enqueue([event]).then((acks) => acks[0]!);
  }

  /** Publish events all or nothing; resolves with each id and offset, in order, once they are committed. */
  publishBatch(events: readonly PublishEvent[]): Promise<PublishAck[]> {
    if (events.length === 0) return Promise.resolve([]);
    return this.enqueue(events);
  }

  /** Resolves when the in-flight window has room for `events` more events (back-pressure for streaming callers). */
  ready(events = 1): Promise<void> {
    return this.window.wait(events, false);
  }

  /** Events queued or awaiting their ack. */
  get inFlight(): number {
    return this.window.size;
  }

  /** Send everything queued now and wait until every publish asked for so far has settled. */
  async flush(): Promise<void> {
    this.flushing++;
    try {
      this.pump();
      while (this.unsettled > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
    } finally {
      this.flushing--;
    }
  }

  /** Drain (as flush) and close the socket; later publishes fail with ClientClosedError. */
  async close(): Promise<void> {
    if (!this.closed) await this.flush();
    this.closed = true;
    this.clearTimer();
    this.socket?.close(1000, 'publisher closed');
    this.socket = null;
  }

  /** Close now: every unsettled publish fails with ClientClosedError. */
  destroy(): void {
    this.closed = true;
    this.clearTimer();
    const error = new ClientClosedError('publisher destroyed');
    for (const unit of [...this.inflight.flatMap((m) => m.units), ...this.queue]) unit.reject(error);
    this.inflight = [];
    this.queue = [];
    this.socket?.close(1000, 'publisher destroyed');
    this.socket = null;
  }

  private enqueue(events: readonly PublishEvent[]): Promise<PublishAck[]> {
    if (this.closed) return Promise.reject(new ClientClosedError('publisher closed'));
    // Hint: the common case has room now; skipping the extra await saves a promise and a tick per event.
    if (this.window.tryTake(events.length)) return this.enqueueNow(events);
    return this.window.wait(events.length, true).then(() => {
      if (!this.closed) return this.enqueueNow(events);
      this.window.release(events.length);
      throw new ClientClosedError('publisher closed');
    });
  }

  private enqueueNow(events: readonly PublishEvent[]): Promise<PublishAck[]> {
    const count = events.length;
    const ids = events.map((event) => event.id ?? this.opts.newId());
    const texts = events.map((event, i) =>
      event.id !== undefined ? JSON.stringify(event) : withId(JSON.stringify(event), ids[i]!),
    );
    const done = new Promise<PublishAck[]>((resolve, reject) => {
      this.unsettled++;
      const settle = () => {
        this.window.release(count);
        if (--this.unsettled === 0) for (const wake of this.drained.splice(0)) wake();
      };
      this.queue.push({
        events: texts,
        ids,
        bytes: texts.reduce((sum, text) => sum + text.length + 1, 0),
        solo: false,
        deadline: this.opts.scheduler.now() + this.opts.deliveryTimeoutMs,
        resolve: (acks) => (settle(), resolve(acks)),
        reject: (error) => (settle(), reject(error)),
      });
    });
    this.pump();
    return done;
  }

  private queuedEvents(): number {
    let count = 0;
    for (const unit of this.queue) count += unit.events.length;
    return count;
  }

  /** Send what the window allows; a partial batch waits `lingerMs` unless flushing. */
  private pump(): void {
    if (this.closed && this.flushing === 0) return;
    if (this.queue.length === 0) return;
    if (this.socket === null || this.socket.readyState !== OPEN) return this.connect();
    if (this.opts.scheduler.now() < this.pausedUntil) return;
    const limits = { maxEvents: this.opts.maxBatchEvents, maxBytes: this.opts.maxBatchBytes };
    while (this.queue.length > 0 && this.inflight.length < this.opts.maxInFlightMessages) {
      // Hint: queue.length bounds the count from below, so the O(n) count only runs on short queues.
      const max = this.opts.maxBatchEvents;
      const full = this.queue[0]!.solo || this.queue.length >= max || this.queuedEvents() >= max;
      if (!full && !this.lingering && this.flushing === 0) {
        if (this.timer === null) this.startTimer(this.opts.lingerMs, true);
        return;
      }
      const units = takeMessage(this.queue, limits);
      const message: Message = {
        ref: this.nextRef++,
        units,
        eventCount: units.reduce((n, u) => n + u.events.length, 0),
      };
      this.inflight.push(message);
      this.socket.send(messageText(message.ref, units));
    }
    this.lingering = false;
  }

  private startTimer(ms: number, linger: boolean): void {
    this.clearTimer();
    this.timer = this.opts.scheduler.setTimeout(() => {
      this.timer = null;
      if (linger) this.lingering = true;
      this.pump();
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer !== null) this.opts.scheduler.clearTimeout(this.timer);
    this.timer = null;
  }

  private connect(): void {
    if (this.connecting || this.timer !== null) return;
    this.connecting = true;
    void this.open().catch((error: unknown) => this.lost(errorText(error)));
  }

  private async open(): Promise<void> {
    const Ctor = this.opts.WebSocket ?? (await detectWebSocket());
    const socket = new Ctor(endpointUrl(this.opts.url, 'ws/publish', this.opts.apiKey));
    this.socket = socket;
    let lastError = '';
    socket.onopen = () => {
      this.connecting = false;
      this.pump();
    };
    socket.onerror = (event) => (lastError = errorText(event));
    socket.onmessage = (event) => this.onReply(frameText(event.data));
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.lost(`closed ${event.code} ${event.reason || lastError}`.trim());
    };
  }

  /** The socket is gone: everything unacknowledged goes back to the front of the queue (ids make resends safe). */
  private lost(reason: string): void {
    this.connecting = false;
    this.queue = [...this.inflight.flatMap((m) => m.units), ...this.queue];
    this.inflight = [];
    if (this.closed && this.flushing === 0) return;
    if (/\b40[13]\b/.test(reason)) {
      // Hint: a refused key or origin will not change by retrying; fail now rather than at the delivery timeout.
      for (const unit of this.queue.splice(0))
        unit.reject(new PublishRejectedError(`connection refused: ${reason}`, 401));
      return;
    }
    this.expire(reason);
    if (this.queue.length === 0) return;
    this.startTimer(backoffDelay(this.attempt++, this.opts.backoff, this.opts.random), false);
  }

  /** Fail units past their delivery deadline. */
  private expire(reason: string): void {
    const now = this.opts.scheduler.now();
    this.queue = this.queue.filter((unit) => {
      if (unit.deadline > now) return true;
      unit.reject(
        new PublishTimeoutError(`not acknowledged within ${this.opts.deliveryTimeoutMs} ms (last: ${reason})`),
      );
      return false;
    });
  }

  private onReply(text: string): void {
    let reply: ServerReply & Partial<BatchAck>;
    try {
      reply = JSON.parse(text) as ServerReply & Partial<BatchAck>;
    } catch {
      return;
    }
    const index = typeof reply.ref === 'number' ? this.inflight.findIndex((m) => m.ref === reply.ref) : 0;
    const message = this.inflight[index];
    if (message === undefined) return;
    this.inflight.splice(index, 1);
    if (reply.status === 'ok') {
      this.attempt = 0;
      if (!settleFromAck(message, reply as BatchAck)) this.queue.unshift(...splitToSolo(message.units));
    } else if (reply.retryable === true) {
      this.queue.unshift(...message.units);
      this.expire(reply.message ?? 'retryable error');
      this.pausedUntil = this.opts.scheduler.now() + backoffDelay(this.attempt++, this.opts.backoff, this.opts.random);
      this.startTimer(this.pausedUntil - this.opts.scheduler.now(), true);
      return;
    } else if (message.units.length > 1) {
      // Hint: one bad event refuses the whole message; resend each unit alone so only the bad one fails.
      this.queue.unshift(...asSolo(message.units));
    } else {
      const unit = message.units[0]!;
      // Hint: the client always sends an envelope, so the server says `[0].source`; a single publish reads `source`.
      const text = reply.message ?? 'rejected';
      unit.reject(
        new PublishRejectedError(unit.events.length === 1 ? text.replace(/^\[0\]\./, '') : text, reply.code ?? null),
      );
    }
    this.pump();
  }
}
