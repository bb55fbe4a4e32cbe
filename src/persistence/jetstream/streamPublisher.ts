import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { LogWriteError } from '../eventLog.js';
import { FLOOR_HEADER } from './eventMessage.js';

/** What JetStream answered for one message: its sequence, and whether it was a duplicate of an earlier one. */
export interface PubAck {
  readonly seq: number;
  /** True when the stream already held this Nats-Msg-Id (within its window): `seq` is the original's. */
  readonly duplicate: boolean;
}

/** Timing of the publisher: window, per-attempt timeout, overall deadline (all configurable for tests). */
export interface PublisherOptions {
  /** Messages waiting for their PubAck at once; more wait in a queue. */
  readonly window?: number;
  readonly attemptMs?: number;
  readonly deadlineMs?: number;
  /**
   * Monotonic ms for attempts and deadlines (performance.now by default). Hint: on the wall clock, a step back left
   * an unanswered publish waiting for the whole step (60 s+ seen), and a step forward failed every one in flight.
   */
  readonly monotonic?: () => number;
}

const WINDOW = 4_096;
const ATTEMPT_MS = 1_500;
const DEADLINE_MS = 10_000;
/** Pause before an attempt refused outright (no responders, a JetStream error) is sent again. */
const RETRY_MS = 100;
const SCAN_MS = 50;

interface Pending {
  readonly msgId: string;
  readonly data: string;
  readonly floor: number | undefined;
  readonly token: string;
  readonly deadline: number;
  /** When the current attempt times out (or, after a refusal, when to send again). */
  due: number;
  /** False while waiting to be sent again after a refusal. */
  sent: boolean;
  lastError: string;
  readonly resolve: (ack: PubAck) => void;
  readonly reject: (error: Error) => void;
}

const decoder = new TextDecoder();
/** What the NATS client throws for a message over the servers' max_payload (it is never sent). */
const TOO_LARGE = /max_payload/;
/** JetStream's error code for a message over the stream's max_msg_size. */
const MESSAGE_TOO_LARGE = 10054;

/**
 * Pipelined publishing to the stream on the core connection: each message goes out with `nc.publish` and a reply
 * subject under one private inbox, and PubAcks come back to one wildcard subscription, matched by reply token. A
 * bounded window of messages is in flight; an attempt that gets no answer within `attemptMs`, or a refusal (no
 * stream leader yet, a JetStream error), is sent again with the same Nats-Msg-Id until the deadline, so an attempt
 * that was stored but whose ack was lost is deduped by the stream rather than stored twice.
 *
 * Hint: the jetstream client's `js.publish` (a promise, a request and a timer per message) measured ~20k msg/s here,
 * which one message per event cannot afford.
 */
export class StreamPublisher {
  private readonly inbox = createInbox();
  private readonly sub: Subscription;
  private readonly inFlight = new Map<string, Pending>();
  /** Waiting for room in the window, from `queueHead` on (an index, not shift(): O(1) per message). */
  private queue: Pending[] = [];
  private queueHead = 0;
  private readonly timer: NodeJS.Timeout;
  private tokens = 0;
  private readonly window: number;
  private readonly attemptMs: number;
  private readonly deadlineMs: number;
  private readonly monotonic: () => number;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subject: string,
    options: PublisherOptions = {},
  ) {
    this.window = options.window ?? WINDOW;
    this.deadlineMs = options.deadlineMs ?? DEADLINE_MS;
    this.attemptMs = Math.min(options.attemptMs ?? ATTEMPT_MS, this.deadlineMs);
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.sub = nc.subscribe(`${this.inbox}.*`, { callback: (_error, msg) => this.answered(msg) });
    this.timer = setInterval(() => this.scan(), SCAN_MS);
    this.timer.unref();
  }

  /**
   * Publish one message with `msgId` (and `floor`, see FLOOR_HEADER); resolves with its PubAck, rejects with
   * LogWriteError after the deadline.
   */
  publish(msgId: string, data: string, floor?: number): Promise<PubAck> {
    return new Promise((resolve, reject) => {
      const token = (++this.tokens).toString(36);
      const now = this.monotonic();
      const pending: Pending = {
        msgId,
        data,
        floor,
        token,
        deadline: now + this.deadlineMs,
        due: now,
        sent: false,
        lastError: 'no answer',
        resolve,
        reject,
      };
      if (this.inFlight.size < this.window) this.send(pending);
      else this.queue.push(pending);
    });
  }

  /** Messages waiting for a PubAck or for room in the window. */
  get pending(): number {
    return this.inFlight.size + this.queue.length - this.queueHead;
  }

  /** Stop: everything pending fails (retryable). */
  close(): void {
    clearInterval(this.timer);
    this.sub.unsubscribe();
    // Hint: a message in flight may have been stored; a queued one was never sent.
    for (const pending of this.inFlight.values())
      pending.reject(new LogWriteError('log is closed', { uncertain: true }));
    for (const pending of this.queue) pending.reject(new LogWriteError('log is closed'));
    this.inFlight.clear();
    this.queue.length = 0;
  }

  private send(pending: Pending): void {
    this.inFlight.set(pending.token, pending);
    pending.sent = true;
    pending.due = this.monotonic() + this.attemptMs;
    const h = headers();
    h.set('Nats-Msg-Id', pending.msgId);
    if (pending.floor !== undefined) h.set(FLOOR_HEADER, String(pending.floor));
    try {
      this.nc.publish(this.subject, pending.data, { reply: `${this.inbox}.${pending.token}`, headers: h });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (TOO_LARGE.test(reason))
        this.tooLarge(pending, `the NATS servers' max_payload is ${this.nc.info?.max_payload ?? 'unknown'} bytes`);
      else this.refused(pending, reason);
    }
  }

  /** Fail a message the servers can never take at once, naming its size: a resend would be refused the same way. */
  private tooLarge(pending: Pending, why: string): void {
    this.settle(pending);
    const bytes = Buffer.byteLength(pending.data);
    pending.reject(
      new LogWriteError(
        `the event's stream message (${bytes} bytes before its headers) is too large (${why}); not committed`,
      ),
    );
  }

  private answered(msg: Msg): void {
    const pending = this.inFlight.get(msg.subject.slice(this.inbox.length + 1));
    if (pending === undefined) return;
    // Hint: an empty answer is a status (503: no responders, the stream has no leader yet).
    if (msg.data.length === 0) {
      this.refused(pending, `status ${msg.headers?.code ?? 'unknown'}`);
      return;
    }
    let answer: { seq?: unknown; duplicate?: unknown; error?: { description?: unknown; err_code?: unknown } };
    try {
      answer = JSON.parse(decoder.decode(msg.data)) as typeof answer;
    } catch {
      this.refused(pending, 'an unreadable PubAck');
      return;
    }
    // Hint: an error reply may carry `"seq":0` beside its error ("maximum messages exceeded" on a discard-new
    // stream): read as an ack, the event looked acked and deleted by retention, and the reason was never shown.
    if (answer.error !== undefined || typeof answer.seq !== 'number' || answer.seq < 1) {
      const reason = String(answer.error?.description ?? `an answer without a sequence`);
      if (answer.error?.err_code === MESSAGE_TOO_LARGE) this.tooLarge(pending, `the stream refuses it: ${reason}`);
      else this.refused(pending, reason);
      return;
    }
    this.settle(pending);
    pending.resolve({ seq: answer.seq, duplicate: answer.duplicate === true });
  }

  private refused(pending: Pending, why: string): void {
    pending.lastError = why;
    pending.sent = false;
    pending.due = this.monotonic() + RETRY_MS;
  }

  private settle(pending: Pending): void {
    this.inFlight.delete(pending.token);
    while (this.queueHead < this.queue.length && this.inFlight.size < this.window)
      this.send(this.queue[this.queueHead++]!);
    if (this.queueHead === this.queue.length && this.queueHead > 0) {
      this.queue = [];
      this.queueHead = 0;
    }
  }

  /** Resend what timed out or was refused; fail what is past its deadline. */
  private scan(): void {
    if (this.inFlight.size === 0) return;
    const now = this.monotonic();
    for (const pending of [...this.inFlight.values()]) {
      if (pending.due > now) continue;
      if (pending.deadline <= now) {
        this.settle(pending);
        pending.reject(
          new LogWriteError(`the JetStream cluster did not acknowledge the event (${pending.lastError})`, {
            uncertain: true,
          }),
        );
      } else this.send(pending);
    }
  }
}
