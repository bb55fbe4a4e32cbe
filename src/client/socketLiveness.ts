import type { PublishQueue } from './publishQueue.js';
import type { Scheduler } from './scheduler.js';
import { OPEN, type WebSocketLike } from './webSocket.js';

/** A handshake this long unanswered (deliveryTimeoutMs if shorter): presumed dead. */
export const LIVENESS_MS = 10_000;

/**
 * An answer owed this long with nothing heard (deliveryTimeoutMs if shorter): presumed dead. Hint: longer than the
 * 10 s a server holds a publish it cannot commit (cluster mode's NATS_PUBLISH_TIMEOUT_MS) before a 503 saying why;
 * at 10 s the socket was dropped just before that answer, and every timeout said only "no acknowledgement" (probe).
 */
export const ANSWER_LIVENESS_MS = 15_000;

/**
 * Judges when a publisher's socket is presumed dead: a handshake unanswered (`ws` has no handshake timeout), or an
 * answer owed with nothing heard since, for `ms`. Hint: never from a unit's deadline: after an outage, the units
 * resent on a fresh socket are due at once, and they condemned every fresh socket within milliseconds.
 */
export class SocketLiveness {
  /** How long a handshake may take. */
  private readonly handshakeMs: number;
  /** How long an owed answer may take with nothing heard. */
  private readonly answerMs: number;
  private connectingSince = 0;
  private heardAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly scheduler: Scheduler,
    deliveryTimeoutMs: number,
    private readonly queue: PublishQueue,
  ) {
    this.handshakeMs = Math.min(deliveryTimeoutMs, LIVENESS_MS);
    this.answerMs = Math.min(deliveryTimeoutMs, ANSWER_LIVENESS_MS);
  }

  /** A socket begins to connect now; returns when it will be presumed dead if it does not open. */
  connecting(): number {
    this.connectingSince = this.scheduler.now();
    return this.connectingSince + this.handshakeMs;
  }

  /** A frame came from the socket now: it is alive. */
  heard(): void {
    this.heardAt = this.scheduler.now();
  }

  /** When `socket` will be presumed dead (Infinity: no socket, or an open one that owes no answer). */
  deadAt(socket: WebSocketLike | null): number {
    if (socket === null) return Number.POSITIVE_INFINITY;
    if (socket.readyState !== OPEN) return this.connectingSince + this.handshakeMs;
    return Math.max(this.heardAt, this.queue.oldestSentAt()) + this.answerMs;
  }

  /** Why `socket` was presumed dead, for the timeouts of the units it held. */
  reason(socket: WebSocketLike): string {
    if (socket.readyState === OPEN) return `no acknowledgement within ${this.answerMs} ms`;
    return `connection not open within ${this.handshakeMs} ms`;
  }
}
