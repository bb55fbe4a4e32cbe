import { askUpgrade } from './askUpgrade.js';
import { type UpgradeProbe, watchEnd } from './socketEnd.js';
import { fatalStatus, type UpgradeAnswer } from './upgradeAnswer.js';
import {
  messageText,
  openSocket,
  type SocketTarget,
  type WebSocketConstructor,
  type WebSocketLike,
} from './webSocket.js';

/** What a publisher does with its socket's events. */
export interface PublishSocketHooks {
  /** Whether the socket is still the publisher's: a dropped socket's late events (a reply) answer nothing now. */
  live(): boolean;
  /** Runs each handler's work: Publisher.safely, since a throw in a socket handler would end the host process. */
  run(work: () => void): void;
  /** Whether a socket of this publisher opened before: then a 4xx upgrade answer is a proxy's (redeploying). */
  openedBefore(): boolean;
  open(): void;
  message(text: string): void;
  /** Asks the server why the upgrade failed, where the socket could not say (askUpgrade). */
  ask: UpgradeProbe;
  /**
   * Closed, with `reason` to report; `refused` is the upgrade's answer when no retry can change it (fatalStatus), else
   * null; `waitMs` how long the server asked to wait before the next try (its Retry-After; 0 when it did not say).
   */
  close(reason: string, refused: UpgradeAnswer | null, waitMs: number): void;
}

/** Open a `/ws/publish` socket for `target` and hand its events to `hooks` (listenTo), asking why when refused. */
export function openPublishSocket(
  Ctor: WebSocketConstructor,
  target: SocketTarget,
  hooks: Omit<PublishSocketHooks, 'ask'>,
): WebSocketLike {
  const socket = openSocket(Ctor, target, 'ws/publish');
  listenTo(socket, { ...hooks, ask: () => askUpgrade(target, 'ws/publish') });
  return socket;
}

/** Hand `socket`'s events to `hooks`, each while the socket is live, through `hooks.run`. */
function listenTo(socket: WebSocketLike, hooks: PublishSocketHooks): void {
  const whileLive = (work: () => void) => void (hooks.live() && hooks.run(work));
  const opened = watchEnd(socket, hooks.ask, ({ code, reason, upgrade }) =>
    whileLive(() => {
      const refused = fatalStatus(upgrade, !hooks.openedBefore()) === null ? null : upgrade;
      hooks.close(`closed ${code} ${reason}`.trim(), refused, upgrade?.retryAfterMs ?? 0);
    }),
  );
  socket.onopen = () => {
    opened();
    whileLive(() => hooks.open());
  };
  socket.onmessage = (event) => whileLive(() => hooks.message(messageText(event.data)));
}
