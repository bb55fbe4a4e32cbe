import type { EventFilter } from '../protocol/eventFilter.js';
import { askUpgrade } from './askUpgrade.js';
import { IdleWatchdog, type Refusal } from './closePlan.js';
import { CLOSE_GRACE_MS, endSocket } from './endSocket.js';
import { OneShotTimer, type Scheduler } from './scheduler.js';
import { type SocketEnd, type UpgradeProbe, watchEnd } from './socketEnd.js';
import { LIVENESS_MS } from './socketLiveness.js';
import { StreamOrder } from './streamOrder.js';
import type { UpgradeAnswer } from './upgradeAnswer.js';
import {
  messageText,
  OPEN,
  openSocket,
  type SocketTarget,
  type WebSocketConstructor,
  type WebSocketLike,
} from './webSocket.js';

/** What a subscription hears from its socket. */
export interface SocketHandlers {
  /** The socket opened: send the subscribe request. */
  opened(): void;
  /** A frame arrived. */
  frame(text: string): void;
  /** The socket closed, or was given up on; `code` and `reason` say why, `upgrade` what a refused upgrade answered. */
  lost(code: number, reason: string, upgrade: UpgradeAnswer | null): void;
  /** A handler threw (a bug, or a user callback such as onNotice that threw): the subscription fails with it. */
  threw(error: Error): void;
}

/**
 * One connection of a subscription: its handlers, guarded so nothing thrown in them reaches the socket's event loop
 * (where it would crash the host), a handshake deadline, an idle watchdog, and the connection's protocol state (its
 * offset order, a refusal before its ack). Hint: the Publisher gives up on a socket unanswered for LIVENESS_MS (10 s);
 * without a deadline here, a server that accepted and never answered left subscribe() waiting forever, with no notice.
 */
export class SubscriptionSocket {
  /** The order of this connection's records (and whether its ack came). */
  readonly order: StreamOrder;
  /** A retryable refusal received before the ack. */
  refusal: Refusal | null = null;
  private ended = false;
  private readonly handshake: OneShotTimer;
  private readonly idle: IdleWatchdog;

  constructor(
    readonly socket: WebSocketLike,
    private readonly scheduler: Scheduler,
    private readonly idleTimeoutMs: number,
    filters: EventFilter | undefined,
    private readonly handlers: SocketHandlers,
    probe: UpgradeProbe,
  ) {
    this.order = new StreamOrder(filters);
    this.handshake = new OneShotTimer(scheduler);
    this.idle = new IdleWatchdog(scheduler, idleTimeoutMs);
    const opened = watchEnd(
      socket,
      probe,
      this.guard(({ code, reason, upgrade }: SocketEnd) => {
        if (this.ended) return;
        this.stop();
        handlers.lost(code, reason, upgrade);
      }),
    );
    socket.onopen = this.guard(() => {
      opened();
      this.touch();
      handlers.opened();
    });
    socket.onmessage = this.guard((event: { readonly data: unknown }) => {
      this.touch();
      handlers.frame(messageText(event.data));
    });
    this.handshake.start(
      LIVENESS_MS,
      this.guard(() => {
        const what = socket.readyState === OPEN ? 'no subscribe ack' : 'connection not open';
        this.abandon(1006, `${what} within ${LIVENESS_MS} ms`);
      }),
    );
  }

  /** Open a socket to /ws/subscribe for `target` and watch it; a failed upgrade's status is asked (askUpgrade). */
  static open(
    Ctor: WebSocketConstructor,
    target: SocketTarget & { readonly idleTimeoutMs?: number; readonly filters?: EventFilter },
    scheduler: Scheduler,
    handlers: SocketHandlers,
  ): SubscriptionSocket {
    const socket = openSocket(Ctor, target, 'ws/subscribe');
    const ask = () => askUpgrade(target, 'ws/subscribe');
    return new SubscriptionSocket(socket, scheduler, target.idleTimeoutMs ?? 75_000, target.filters, handlers, ask);
  }

  /** The server acked the subscription: the handshake is over. */
  subscribed(): void {
    this.handshake.clear();
  }

  /** Give up on the socket: terminate it now (no close handshake to wait for) and report it lost. */
  abandon(code: number, reason: string): void {
    if (this.ended) return;
    this.end(code, reason, 0);
    this.handlers.lost(code, reason, null);
  }

  /** Let go of the socket without reporting it lost (see endSocket). */
  end(code: number, reason: string, graceMs = CLOSE_GRACE_MS): void {
    if (this.ended) return;
    this.ended = true;
    this.stop();
    endSocket(this.socket, code, reason, this.scheduler, graceMs);
  }

  private touch(): void {
    this.idle.touch(this.guard(() => this.abandon(4001, `idle: nothing heard for ${this.idleTimeoutMs} ms`)));
  }

  private stop(): void {
    this.handshake.clear();
    this.idle.stop();
  }

  /** `fn` with anything it throws handed to `threw`: a last resort, so a bug fails the subscription, not the host. */
  private guard<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return (...args) => {
      try {
        fn(...args);
      } catch (error) {
        try {
          this.handlers.threw(error instanceof Error ? error : new Error(String(error)));
        } catch {
          // Hint: nowhere left to report it; the host process must not die of it.
        }
      }
    };
  }
}
