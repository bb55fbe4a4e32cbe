import { upgradeClientError, upgradeRefusal } from './closePlan.js';
import { errorText, messageText, type WebSocketLike } from './webSocket.js';

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
  /** Closed, with `reason` to report; `refused` is the upgrade's status when no retry can change it, else null. */
  close(reason: string, refused: number | null): void;
}

/** Hand `socket`'s events to `hooks`, each while the socket is live, through `hooks.run`. */
export function listenTo(socket: WebSocketLike, hooks: PublishSocketHooks): void {
  let lastError = '';
  const whileLive = (work: () => void) => void (hooks.live() && hooks.run(work));
  socket.onopen = () => whileLive(() => hooks.open());
  socket.onerror = (event) => (lastError = errorText(event));
  socket.onmessage = (event) => whileLive(() => hooks.message(messageText(event.data)));
  socket.onclose = ({ code, reason }) =>
    whileLive(() => {
      const text = reason || lastError;
      const refused = upgradeRefusal(code, text) ?? (hooks.openedBefore() ? null : upgradeClientError(code, text));
      hooks.close(`closed ${code} ${text}`.trim(), refused);
    });
}
