import type { PublishQueue } from './publishQueue.js';
import type { Scheduler } from './scheduler.js';
import { OPEN, type WebSocketLike } from './webSocket.js';

/** A handshake, or an answer owed, this long with nothing heard (deliveryTimeoutMs if shorter): presumed dead. */
export const LIVENESS_MS = 10_000;

/**
 * Judges when a publisher's socket is presumed dead: a handshake unanswered (`ws` has no handshake timeout), or an
 * answer owed with nothing heard since, for `ms`. Hint: never from a unit's deadline: after an outage, the units
 * resent on a fresh socket are due at once, and they condemned every fresh socket within milliseconds.
 */
export class SocketLiveness {
  /** How long a handshake or an owed answer may take. */
  readonly ms: number;
  private connectingSince = 0;
  private heardAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly scheduler: Scheduler,
    deliveryTimeoutMs: number,
    private readonly queue: PublishQueue,
  ) {
    this.ms = Math.min(deliveryTimeoutMs, LIVENESS_MS);
  }

  /** A socket begins to connect now; returns when it will be presumed dead if it does not open. */
  connecting(): number {
    this.connectingSince = this.scheduler.now();
    return this.connectingSince + this.ms;
  }

  /** A frame came from the socket now: it is alive. */
  heard(): void {
    this.heardAt = this.scheduler.now();
  }

  /** When `socket` will be presumed dead (Infinity: no socket, or an open one that owes no answer). */
  deadAt(socket: WebSocketLike | null): number {
    if (socket === null) return Number.POSITIVE_INFINITY;
    if (socket.readyState !== OPEN) return this.connectingSince + this.ms;
    return Math.max(this.heardAt, this.queue.oldestSentAt()) + this.ms;
  }

  /** Why `socket` was presumed dead, for the timeouts of the units it held. */
  reason(socket: WebSocketLike): string {
    return `${socket.readyState === OPEN ? 'no acknowledgement' : 'connection not open'} within ${this.ms} ms`;
  }
}
