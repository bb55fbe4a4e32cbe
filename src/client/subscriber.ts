import { ackPlan, droppedText } from './ackPlan.js';
import { closePlan, IdleWatchdog, type Refusal, reconnectingMessage } from './closePlan.js';
import { SubscriptionRejectedError } from './errors.js';
import type { PositionTracker } from './positionTracker.js';
import { ReceiveBuffer } from './receiveBuffer.js';
import { runCallbacks } from './runCallbacks.js';
import { OneShotTimer, realScheduler, type Scheduler } from './scheduler.js';
import {
  checkSubscribeOptions,
  type SubscribeOptions,
  secondConsumer,
  startPoint,
  subscribeRequest,
  trackerFor,
} from './subscribeOptions.js';
import { classifyFrame, type SubscribedAck, type SubscriptionNotice } from './subscriptionAck.js';
import type { EventRecord, Position } from './types.js';
import { detectWebSocket, errorText, messageText, openSocket, type WebSocketLike } from './webSocket.js';

export type { LogReplacedChoice, SubscribeOptions } from './subscribeOptions.js';

/** A resumable subscription: an async iterable of records in offset order, with no gap and no duplicate. */
export class Subscription implements AsyncIterable<EventRecord> {
  private readonly scheduler: Scheduler;
  private readonly buffer = new ReceiveBuffer((notice) => this.options.onNotice?.(notice));
  private socket: WebSocketLike | null = null;
  private epoch: string | null = null;
  private readonly tracker: PositionTracker;
  private lastHanded = 0;
  private attempt = 0;
  private failure: Error | null = null;
  private closed = false;
  private paused = false;
  private acked = false;
  private reconnecting = false; // a `reconnecting` notice was given: the next ack gives `resumed`
  private consumed = false; // an iterator was handed out (to onEvent's loop or a for-await): no second consumer
  private readonly reconnectTimer: OneShotTimer;
  private readonly idle: IdleWatchdog;
  private readonly started: Promise<void>;

  constructor(private readonly options: SubscribeOptions) {
    checkSubscribeOptions(options);
    this.scheduler = options.scheduler ?? realScheduler;
    this.reconnectTimer = new OneShotTimer(this.scheduler);
    this.idle = new IdleWatchdog(this.scheduler, options.idleTimeoutMs ?? 75_000);
    this.tracker = trackerFor(options, this.scheduler);
    this.started = this.start();
    this.started.catch((error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))));
    if (options.onEvent !== undefined) void runCallbacks(this, options.onEvent, (error) => options.onError?.(error));
  }

  /** The last position handed to the consumer (records and checkpoints it has moved past). */
  get current(): Position {
    return this.tracker.position;
  }

  /** The next offset this subscription will ask the server for, or null before the first ack of a head start. */
  get nextOffset(): number | null {
    return this.buffer.next;
  }

  /** Write the current position to the store now. */
  savePosition(): Promise<void> {
    return this.tracker.save();
  }

  /** Stop: close the socket, save the position, end the iteration. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearTimers();
    this.socket?.close(1000, 'subscriber closed');
    this.socket = null;
    this.buffer.wake();
    await this.started.catch(() => undefined);
    await this.savePosition();
  }

  [Symbol.asyncIterator](): AsyncIterator<EventRecord> {
    if (this.consumed && !this.closed && this.failure === null)
      throw secondConsumer(this.options.onEvent !== undefined);
    this.consumed = true;
    // Hint: `break` in a for-await runs return() after the loop body finished the last record, so it counts as handled.
    return {
      next: () => this.take(),
      return: async () => {
        this.handOver();
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  private async start(): Promise<void> {
    const saved = await this.tracker.load();
    const start = startPoint(this.options.from, saved);
    this.buffer.next = start.next;
    this.epoch = start.epoch;
    this.lastHanded = (start.next ?? 1) - 1;
    this.tracker.reset({ offset: this.lastHanded, epoch: start.epoch });
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed || this.failure !== null) return;
    const Ctor = this.options.WebSocket ?? (await detectWebSocket());
    const socket = openSocket(Ctor, this.options, 'ws/subscribe');
    this.socket = socket;
    this.acked = false;
    let lastError = '';
    let refusal: Refusal | null = null;
    socket.onopen = () => {
      socket.send(subscribeRequest(this.options.filters, this.buffer.next));
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

  /** Handle one frame; returns a retryable refusal received before the ack, if any. */
  private onFrame(text: string, socket: WebSocketLike): Refusal | null {
    const frame = classifyFrame(text);
    if (frame.kind === 'ack') this.onAck(frame.ack, socket);
    else if (frame.kind === 'records') this.onRecords(frame.records);
    else if (frame.kind === 'checkpoint' && this.acked) this.buffer.addCheckpoint(frame.offset);
    else if (frame.kind === 'retention') this.buffer.addNotice({ kind: 'retention', message: frame.message });
    else if (frame.kind === 'error' && !this.acked) {
      // Hint: "at capacity" and a refusal marked retryable mean retry later, whatever close follows; others are final.
      if (frame.retryable || /capacity/i.test(frame.message)) return { message: frame.message, retryable: true };
      this.fail(new SubscriptionRejectedError(frame.message));
    }
    return null;
  }

  private onAck(ack: SubscribedAck, socket: WebSocketLike): void {
    this.acked = true;
    const choice = this.options.onLogReplaced ?? 'error';
    const plan = ackPlan(ack, this.epoch, this.buffer.next, choice, this.tracker.position.offset);
    if ('fatal' in plan) return void this.fail(plan.fatal);
    this.epoch = ack.epoch;
    if ('restart' in plan) {
      this.tracker.reset({ offset: 0, epoch: ack.epoch });
      this.lastHanded = 0;
      // Hint: records of the old log still waiting would be saved as a position under the new log's epoch.
      this.buffer.next = plan.restart;
      this.notice('reconnecting', plan.notice + droppedText(this.buffer.clear()));
      this.socket = null;
      socket.close(1000, 'log replaced');
      return void this.connect();
    }
    if (this.tracker.position.epoch === null)
      this.tracker.reset({ offset: this.tracker.position.offset, epoch: ack.epoch });
    this.buffer.next = plan.next;
    // Hint: an ack's retention or beyond_head notice marks where its gap is: after the records received before it.
    for (const notice of plan.notices) this.buffer.addNotice(notice);
    if (this.reconnecting) this.notice('resumed', `following again from offset ${plan.next}`);
  }

  private onRecords(records: readonly EventRecord[]): void {
    if (!this.acked) return;
    this.buffer.addRecords(records);
    this.attempt = 0;
    this.buffer.wake();
    if (this.buffer.length >= (this.options.maxBufferedEvents ?? 10_000) && this.socket !== null) {
      this.paused = true;
      this.socket.close(1000, 'consumer busy');
    }
  }

  private onClosed(code: number, reason: string, refusal: Refusal | null): void {
    this.idle.stop();
    if (this.closed || this.failure !== null || this.paused) return;
    const plan = closePlan(code, reason, refusal, this.attempt++, this.options, this.epoch === null);
    if ('fatal' in plan) return void this.fail(plan.fatal);
    this.notice('reconnecting', reconnectingMessage(code, reason, plan.delayMs, this.buffer.next));
    this.reconnectTimer.start(plan.delayMs, () => {
      void this.connect().catch((error: unknown) => this.onClosed(1006, errorText(error), null));
    });
  }

  private async take(): Promise<IteratorResult<EventRecord>> {
    for (;;) {
      if (this.closed) return { done: true, value: undefined }; // close() saved: hand out and save nothing more
      this.handOver();
      const item = this.buffer.shift();
      if (item !== undefined) {
        this.resumeIfDrained();
        if ('checkpoint' in item) {
          this.tracker.advance(item.checkpoint, this.epoch);
          continue;
        }
        this.lastHanded = item.offset;
        return { done: false, value: item };
      }
      if (this.failure !== null) throw this.failure;
      await this.buffer.wait();
    }
  }

  /** The consumer asked for more, so the record handed out before is done: it becomes the position. */
  private handOver(): void {
    this.tracker.advance(this.lastHanded, this.epoch);
  }

  private resumeIfDrained(): void {
    if (!this.paused || this.buffer.length > (this.options.maxBufferedEvents ?? 10_000) / 2) return;
    this.paused = false;
    void this.connect();
  }

  private fail(error: Error): void {
    if (this.failure !== null || this.closed) return;
    this.failure = error;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, 'subscriber failed');
    this.buffer.wake();
  }

  private notice(kind: SubscriptionNotice['kind'], message: string): void {
    this.reconnecting = kind === 'reconnecting';
    this.options.onNotice?.({ kind, message });
  }
  private touch(): void {
    this.idle.touch(() => this.socket?.close(4001, 'idle: no keepalive'));
  }

  private clearTimers(): void {
    this.idle.stop();
    this.reconnectTimer.clear();
    this.tracker.stop();
  }
}

/** Subscribe with resume built in; consume with `for await` or with `onEvent`. */
export function subscribe(options: SubscribeOptions): Subscription {
  return new Subscription(options);
}
