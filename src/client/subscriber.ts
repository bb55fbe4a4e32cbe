import { ackPlan, droppedText } from './ackPlan.js';
import { closePlan, type Refusal, reconnectingMessage, refusalOf } from './closePlan.js';
import { SubscriptionRejectedError } from './errors.js';
import type { PositionTracker } from './positionTracker.js';
import { ReceiveBuffer } from './receiveBuffer.js';
import { runCallbacks } from './runCallbacks.js';
import { OneShotTimer, realScheduler, type Scheduler } from './scheduler.js';
import type { Admission } from './streamOrder.js';
import {
  checkSubscribeOptions,
  type SubscribeOptions,
  secondConsumer,
  startPoint,
  subscribeRequest,
  trackerFor,
} from './subscribeOptions.js';
import { readSubscriberFrame, type SubscriberFrame } from './subscriberFrames.js';
import type { SubscribedAck, SubscriptionNotice } from './subscriptionAck.js';
import { SubscriptionSocket } from './subscriptionSocket.js';
import type { EventRecord, Position } from './types.js';
import type { UpgradeAnswer } from './upgradeAnswer.js';
import { detectWebSocket, errorText } from './webSocket.js';

export type { LogReplacedChoice, SubscribeOptions } from './subscribeOptions.js';

/** A resumable subscription: an async iterable of records in offset order, with no gap and no duplicate. */
export class Subscription implements AsyncIterable<EventRecord> {
  private readonly scheduler: Scheduler;
  private readonly buffer = new ReceiveBuffer(
    (notice) => this.options.onNotice?.(notice),
    (error) => this.fail(error),
  );
  private socket: SubscriptionSocket | null = null;
  private epoch: string | null = null;
  private readonly tracker: PositionTracker;
  private attempt = 0;
  private failure: Error | null = null;
  private closed = false;
  private paused = false;
  private reconnecting = false; // a `reconnecting` notice was given: the next ack gives `resumed`
  private consumed = false; // an iterator was handed out (to onEvent's loop or a for-await): no second consumer
  private readonly reconnectTimer: OneShotTimer;
  private readonly started: Promise<void>;

  constructor(private readonly options: SubscribeOptions) {
    checkSubscribeOptions(options);
    this.scheduler = options.scheduler ?? realScheduler;
    this.reconnectTimer = new OneShotTimer(this.scheduler);
    this.tracker = trackerFor(options, this.scheduler);
    this.started = this.start();
    this.started.catch((error: unknown) => this.fail(error));
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
    this.reconnectTimer.clear();
    this.tracker.freeze();
    this.socket?.end(1000, 'subscriber closed');
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
        this.tracker.handOver(this.epoch);
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
    this.tracker.reset({ offset: (start.next ?? 1) - 1, epoch: start.epoch });
    await this.connect();
  }

  private async connect(): Promise<void> {
    const Ctor = this.options.WebSocket ?? (await detectWebSocket());
    // Hint: after that await (it may yield): a close() or failure during it found no socket to end, so none may open.
    if (this.closed || this.failure !== null) return;
    const socket: SubscriptionSocket = SubscriptionSocket.open(Ctor, this.options, this.scheduler, {
      opened: () => socket.socket.send(subscribeRequest(this.options.filters, this.buffer.next)),
      frame: (text) => {
        if (this.socket === socket) this.onFrame(socket, readSubscriberFrame(text));
      },
      lost: (code, reason, upgrade) => {
        if (this.socket !== socket) return;
        this.socket = null;
        this.onClosed(code, reason, socket.refusal, upgrade);
      },
      threw: (error) => this.fail(error),
    });
    this.socket = socket;
  }

  /** Reconnect now; a connect that throws counts as a failed attempt (a notice that throws then fails the subscription). */
  private reconnect(): void {
    this.connect()
      .catch((error: unknown) => this.onClosed(1006, errorText(error), null))
      .catch((error: unknown) => this.fail(error));
  }

  /** Handle one frame of the current connection. Hint: an error after the ack is told by the close that follows. */
  private onFrame(socket: SubscriptionSocket, frame: SubscriberFrame): void {
    const { order } = socket;
    if (frame.kind === 'invalid') this.protocolError(frame.reason);
    else if (frame.kind === 'retention') this.buffer.addNotice({ kind: 'retention', message: frame.message });
    else if (frame.kind === 'ack' && order.started) this.protocolError('a second subscribe ack');
    else if (frame.kind === 'ack') this.onAck(frame.ack);
    else if (frame.kind === 'records') this.onRecords(order.admit(frame.records));
    else if (frame.kind === 'checkpoint' && order.checkpoint(frame.offset)) this.buffer.addCheckpoint(frame.offset);
    else if (frame.kind === 'error' && !order.started) {
      socket.refusal = refusalOf(frame.message, frame.retryable);
      if (!socket.refusal.retryable) this.fail(new SubscriptionRejectedError(frame.message));
    }
  }

  /** The server broke the protocol: say so where in the stream, and reconnect from the last offset received in order. */
  private protocolError(reason: string): void {
    this.buffer.addNotice({ kind: 'protocol', message: `protocol error: ${reason}; not handed out` });
    this.socket?.abandon(4002, 'protocol error');
  }

  private onAck(ack: SubscribedAck): void {
    this.socket?.subscribed();
    const choice = this.options.onLogReplaced ?? 'error';
    const plan = ackPlan(ack, this.epoch, this.buffer.next, choice, this.tracker.position.offset);
    if ('fatal' in plan) return void this.fail(plan.fatal);
    this.epoch = ack.epoch;
    if ('restart' in plan) {
      // Hint: the position in the new log is the offset before where it restarts (from-head: its head, not 0).
      this.tracker.reset({ offset: plan.restart - 1, epoch: ack.epoch });
      // Hint: records of the old log still waiting would be saved as a position under the new log's epoch.
      this.buffer.next = plan.restart;
      this.notice('reconnecting', plan.notice + droppedText(this.buffer.clear()));
      this.socket?.end(1000, 'log replaced');
      this.socket = null;
      return void this.reconnect();
    }
    // Hint: from 'head' or past it, the position starts where the server does; a retention gap stays ahead (its notice).
    const start = ack.beyond_head === undefined ? (this.buffer.next ?? plan.next) : ack.head_offset + 1;
    this.tracker.confirm(ack.epoch, start - 1);
    this.buffer.next = plan.next;
    // Hint: past a beyond_head below what was received, the server sends again from its head; the buffer skips those.
    this.socket?.order.start(ack.beyond_head === undefined ? plan.next : ack.head_offset + 1);
    // Hint: an ack's retention or beyond_head notice marks where its gap is: after the records received before it.
    for (const notice of plan.notices) this.buffer.addNotice(notice);
    if (this.reconnecting) this.notice('resumed', `following again from offset ${plan.next}`);
  }

  private onRecords(admitted: Admission): void {
    this.buffer.addRecords(admitted.records);
    for (const message of admitted.notices) this.buffer.addNotice({ kind: 'protocol', message });
    // Hint: only progress resets the backoff, so a server that breaks the protocol on every connect is not hammered.
    if (admitted.records.length > 0) this.attempt = 0;
    this.buffer.wake();
    if (admitted.violation !== null) return void this.protocolError(admitted.violation);
    if (this.buffer.length >= (this.options.maxBufferedEvents ?? 10_000) && this.socket !== null) {
      this.paused = true;
      // Hint: what the server sends after this is not kept; the next connection resumes from the next offset.
      this.socket.end(1000, 'consumer busy');
      this.socket = null;
    }
  }

  private onClosed(code: number, reason: string, refusal: Refusal | null, upgrade: UpgradeAnswer | null = null): void {
    if (this.closed || this.failure !== null || this.paused) return;
    const plan = closePlan(code, reason, refusal, this.attempt++, this.options, this.epoch === null, upgrade);
    if ('fatal' in plan) return void this.fail(plan.fatal);
    // Hint: started first, so an onNotice that calls close() clears it (started after, it held the process).
    this.reconnectTimer.start(plan.delayMs, () => this.reconnect());
    this.notice('reconnecting', reconnectingMessage(code, reason, plan.delayMs, this.buffer.next));
  }

  private async take(): Promise<IteratorResult<EventRecord>> {
    for (;;) {
      if (this.closed) return { done: true, value: undefined }; // close() saved: hand out and save nothing more
      this.tracker.handOver(this.epoch);
      const item = this.buffer.shift();
      if (item !== undefined) {
        this.resumeIfDrained();
        if ('checkpoint' in item) {
          this.tracker.advance(item.checkpoint, this.epoch);
          continue;
        }
        this.tracker.hand(item.offset);
        return { done: false, value: item };
      }
      if (this.failure !== null) throw this.failure;
      await this.buffer.wait();
    }
  }

  private resumeIfDrained(): void {
    if (!this.paused || this.buffer.length > (this.options.maxBufferedEvents ?? 10_000) / 2) return;
    this.paused = false;
    this.reconnect();
  }

  private fail(error: unknown): void {
    if (this.failure !== null || this.closed) return;
    this.failure = error instanceof Error ? error : new Error(String(error));
    this.reconnectTimer.clear();
    this.tracker.stop();
    this.socket?.end(1000, 'subscriber failed');
    this.socket = null;
    this.buffer.wake();
  }

  private notice(kind: SubscriptionNotice['kind'], message: string): void {
    this.reconnecting = kind === 'reconnecting';
    this.options.onNotice?.({ kind, message });
  }
}

/** Subscribe with resume built in; consume with `for await` or with `onEvent`. */
export function subscribe(options: SubscribeOptions): Subscription {
  return new Subscription(options);
}
