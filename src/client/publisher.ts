import { RetryPacing } from './backoff.js';
import { connectionRefused } from './closePlan.js';
import { allAcks, firstAck, notABatch, type UnitContext } from './createUnit.js';
import { DeliveryWatchdog } from './deliveryWatchdog.js';
import { CLOSE_GRACE_MS, endSocket } from './endSocket.js';
import { ClientClosedError, PipelineClientError } from './errors.js';
import { InFlightWindow } from './inFlightWindow.js';
import { batchLimits } from './messageSize.js';
import { readyCountError } from './optionChecks.js';
import { type AdmissionParts, admit } from './publishAdmission.js';
import { type BatchLimits, messageText } from './publishBatcher.js';
import { PublisherNotices } from './publisherNotices.js';
import { type PublisherOptions, type ResolvedPublisherOptions, withDefaults } from './publisherOptions.js';
import { PublishQueue } from './publishQueue.js';
import { answerFrame } from './publishReply.js';
import { openPublishSocket } from './publishSocket.js';
import { OneShotTimer } from './scheduler.js';
import { SocketLiveness } from './socketLiveness.js';
import type { PublishAck, PublishEvent } from './types.js';
import { UnsettledCount } from './unsettledCount.js';
import type { UpgradeAnswer } from './upgradeAnswer.js';
import { detectWebSocket, errorText, OPEN, type WebSocketLike } from './webSocket.js';

export type { PublisherOptions };

/** Pipelined, batching, retrying producer over one `/ws/publish` socket; every publish resolves after the commit. */
export class Publisher {
  private readonly opts: ResolvedPublisherOptions;
  private readonly queue = new PublishQueue();
  private readonly unsettled = new UnsettledCount();
  private readonly window: InFlightWindow;
  private readonly units: UnitContext; // what this publisher's units share (see createUnit)
  private readonly limits: BatchLimits;
  private socket: WebSocketLike | null = null;
  private connecting = false;
  private readonly pacing: RetryPacing;
  private readonly timer: OneShotTimer;
  /** A socket opened once: a 4xx upgrade answer after that is a proxy's (redeploying), before it a wrong URL. */
  private opened = false;
  private lingering = false;
  private flushing = 0;
  /** 'closing' while close() drains: what was asked before it is sent, what is asked after it is refused. */
  private closed: boolean | 'closing' = false;
  private readonly watchdog: DeliveryWatchdog;
  private readonly liveness: SocketLiveness;
  private readonly notices: PublisherNotices;
  private readonly admission: AdmissionParts;

  /** Throws a TypeError naming `url` when it is not an http(s) or ws(s) URL, a RangeError naming a bad number. */
  constructor(options: PublisherOptions) {
    this.opts = withDefaults(options);
    this.window = new InFlightWindow(this.opts.maxInFlightEvents);
    this.units = { newId: this.opts.newId, messageCap: this.opts.maxMessageBytes, settled: (n) => this.settled(n) };
    this.limits = batchLimits(this.opts);
    this.liveness = new SocketLiveness(this.opts.scheduler, this.opts.deliveryTimeoutMs, this.queue);
    const deadAt = () => this.liveness.deadAt(this.socket);
    const due = (stale: boolean, why: string) => this.safely(() => this.due(stale, why));
    this.watchdog = new DeliveryWatchdog(this.opts, this.queue, due, deadAt);
    this.timer = new OneShotTimer(this.opts.scheduler);
    this.pacing = new RetryPacing(() => this.opts.scheduler.now(), this.opts.backoff, this.opts.random);
    // Hint: what admitting a publish reads and calls (see admit): the window, the queue and the deadline's clock.
    const { window, queue, unsettled, watchdog, units, opts } = this;
    const parts = { window, queue, unsettled, watchdog, units, deliveryTimeoutMs: opts.deliveryTimeoutMs };
    const pump = () => this.safely(() => this.pump());
    this.admission = { ...parts, pump, now: () => opts.scheduler.now(), closed: () => this.closed };
    this.notices = new PublisherNotices(options.onNotice, (error) => this.failAll('onNotice threw', error));
  }

  /** Publish one event; resolves with its id and offset once it is committed. */
  publish(event: PublishEvent): Promise<PublishAck> {
    return admit(this.admission, [event], firstAck);
  }

  /** Publish events all or nothing; resolves with each id and offset, in order, once they are committed. */
  publishBatch(events: readonly PublishEvent[]): Promise<PublishAck[]> {
    if (!Array.isArray(events)) return Promise.reject(notABatch(events));
    if (events.length === 0) return Promise.resolve([]);
    return admit(this.admission, events, allAcks);
  }

  /** Resolves when the in-flight window has room for `events` more events (back-pressure for streaming callers). */
  ready(events = 1): Promise<void> {
    const refused = readyCountError(events);
    return refused === null ? this.window.wait(events, false) : Promise.reject(refused);
  }

  /** Events queued or awaiting their ack (at most maxInFlightEvents, but for one larger batch); see `waiting`. */
  get inFlight(): number {
    return this.window.size;
  }

  /** Events of publish calls still waiting for room in the window, not in inFlight: without ready(), unbounded. */
  get waiting(): number {
    return this.window.waiting;
  }

  /** Send everything queued now and wait until every publish asked for so far has settled. */
  async flush(): Promise<void> {
    this.flushing++;
    this.safely(() => this.pump());
    await this.unsettled.drained();
    this.flushing--;
  }

  /** Drain what was asked before it (as flush), then close the socket; what is asked after it fails at once. */
  async close(): Promise<void> {
    if (this.closed === false) this.closed = 'closing';
    if (this.closed === 'closing') await this.flush();
    this.shut('publisher closed');
  }

  /** Close now: every unsettled publish fails with ClientClosedError. */
  destroy(): void {
    this.shut('publisher destroyed');
    this.queue.rejectAll(new ClientClosedError('publisher destroyed'));
  }

  private shut(reason: string): void {
    this.closed = true;
    this.timer.clear();
    this.watchdog.stop();
    if (this.socket !== null) endSocket(this.socket, 1000, reason, this.opts.scheduler, CLOSE_GRACE_MS);
    this.socket = null;
  }

  /** A unit settled (acked or failed): free its window and wake flush() once nothing is unsettled. */
  private settled(events: number): void {
    this.window.release(events);
    if (this.unsettled.settle()) this.watchdog.stop();
  }

  /** Send what the window allows; a partial batch waits `lingerMs` unless flushing. */
  private pump(): void {
    if ((this.closed && this.flushing === 0) || this.queue.units.length === 0) return;
    // Hint: a socket whose close began (the server's close frame came; `ws` emits `close` a round trip later) is
    // lost now: a new one opened beside it orphaned its messages in flight, which failed at deliveryTimeoutMs.
    if (this.socket !== null && this.socket.readyState > OPEN) return void this.drop('connection closing');
    if (this.socket?.readyState !== OPEN) return void this.connect();
    const paused = this.pacing.pausedFor();
    // Hint: a reconnect shorter than the pause replaced its timer; without one, nothing would send until a deadline.
    if (paused > 0) return void (this.timer.pending || this.startTimer(paused, true));
    while (this.queue.units.length > 0 && this.queue.inflight.length < this.opts.maxInFlightMessages) {
      if (!this.queue.fullMessage(this.opts.maxBatchEvents) && !this.lingering && this.flushing === 0) {
        if (!this.timer.pending) this.startTimer(this.opts.lingerMs, true);
        return;
      }
      const message = this.queue.takeMessage(this.limits, this.opts.scheduler.now());
      this.socket.send(messageText(message.ref, message.units));
      this.watchdog.armBy(this.liveness.deadAt(this.socket));
    }
    this.lingering = false;
  }

  private startTimer(ms: number, linger: boolean): void {
    this.timer.start(ms, () =>
      this.safely(() => {
        if (linger) this.lingering = true;
        this.pump();
      }),
    );
  }

  private connect(): void {
    if (this.connecting || this.timer.pending) return;
    this.connecting = true;
    void this.open().catch((error: unknown) => this.safely(() => this.lost(errorText(error))));
  }

  private async open(): Promise<void> {
    const Ctor = this.opts.WebSocket ?? (await detectWebSocket());
    // Hint: detection yields; a destroy() or close() meanwhile found no socket to close, so none may open after it.
    if (this.closed === true) return;
    const socket: WebSocketLike = openPublishSocket(Ctor, this.opts, {
      live: () => this.socket === socket,
      run: (work) => this.safely(work),
      openedBefore: () => this.opened,
      open: () => {
        this.connecting = false;
        this.opened = true;
        this.notices.opened();
        this.watchdog.connected();
        this.pump();
      },
      message: (text) => this.onReply(text),
      close: (reason, refused, waitMs) => this.lost(reason, refused, waitMs),
    });
    this.socket = socket;
    this.watchdog.armBy(this.liveness.connecting());
  }

  /** The socket is gone: everything unacknowledged goes back to the front of the queue (ids make resends safe). */
  private lost(reason: string, refused: UpgradeAnswer | null = null, waitMs = 0): void {
    this.socket = null;
    this.connecting = false;
    this.queue.requeueInflight();
    if (this.closed && this.flushing === 0) return;
    if (refused !== null) return void this.queue.rejectAll(connectionRefused(refused, this.opts));
    this.watchdog.expire(reason);
    if (this.queue.units.length === 0) return;
    const delay = Math.max(this.pacing.nextDelay(), waitMs);
    this.startTimer(delay, false);
    this.notices.lost(reason, delay, this.window.size);
  }

  /** Fail the units past their deadline; a socket presumed dead (SocketLiveness) is dropped and the rest resent. */
  private due(stale: boolean, reason: string): void {
    if (this.socket === null || !stale) return void this.watchdog.expire(reason);
    this.drop(this.liveness.reason(this.socket), 0); // Hint: presumed dead, it would not answer a close either
  }

  /** Let go of the socket (endSocket: its events are no longer heard) and reconnect for what is left. */
  private drop(why: string, graceMs = CLOSE_GRACE_MS): void {
    if (this.socket !== null) endSocket(this.socket, 1000, why, this.opts.scheduler, graceMs);
    this.lost(why);
  }

  private onReply(text: string): void {
    this.liveness.heard();
    const { acked, retry } = answerFrame(this.queue, text);
    if (acked) {
      this.pacing.acked();
      this.watchdog.acknowledged();
    }
    if (retry !== null) {
      this.watchdog.expire(retry);
      this.pacing.pause();
      this.notices.refused(retry, this.pacing.pausedFor());
    }
    this.pump(); // while paused, this only makes sure a timer ends the pause
  }

  /**
   * Run a socket handler or a timer's work. Hint: a throw there would end the host process (nothing can catch it);
   * as a last resort, a bug (or a socket that throws) fails every unsettled publish with it instead.
   */
  private safely(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.failAll('publisher failed', error);
    }
  }

  /** Fail every unsettled publish with `error` (`what` says whose), and start again on a new socket. */
  private failAll(what: string, error: unknown): void {
    this.queue.rejectAll(new PipelineClientError(`${what}: ${errorText(error)}`, { cause: error }));
    this.drop(what);
  }
}
