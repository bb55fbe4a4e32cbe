import { keptRefusal } from './keepRefusalBody.js';
import { answerOfText, refusalText, type UpgradeAnswer } from './upgradeAnswer.js';
import { errorText, type WebSocketLike } from './webSocket.js';

/** How a socket ended: its close code, the reason to report, and the refused upgrade's answer when one is known. */
export interface SocketEnd {
  readonly code: number;
  readonly reason: string;
  readonly upgrade: UpgradeAnswer | null;
}

/** Asks the server why an upgrade failed (askUpgrade); resolves null when nothing was learned, never rejects. */
export type UpgradeProbe = () => Promise<UpgradeAnswer | null>;

/**
 * Whether an error event is a network failure (`ws`'s errors carry Node's code: ECONNREFUSED, ENOTFOUND, a TLS
 * error): no server answered, so asking again with a GET would only fail the same way.
 */
function networkFailure(event: unknown): boolean {
  const error: unknown = typeof event === 'object' && event !== null ? Reflect.get(event, 'error') : undefined;
  return typeof error === 'object' && error !== null && typeof Reflect.get(error, 'code') === 'string';
}

/**
 * Report `socket`'s end to `ended`, once: its close, or an error before it opened. Hint: undici (Node's platform
 * WebSocket) fires `error` and never `close` for a refused upgrade, so it waited for the handshake deadline; and
 * neither it nor a browser (`error`, then 1006) says the status, so then `probe` asks the server, and a wrong key
 * fails at once as with `ws`. Returns what to call when the socket opens (an error after that is told by its close).
 */
export function watchEnd(socket: WebSocketLike, probe: UpgradeProbe, ended: (end: SocketEnd) => void): () => void {
  let opened = false;
  let over = false;
  let lastError = '';
  const end = (code: number, reason: string, upgrade: UpgradeAnswer | null) => {
    if (over) return;
    over = true;
    ended({ code, reason, upgrade });
  };
  socket.onerror = (event) => {
    lastError = errorText(event);
    if (opened || over) return;
    // Hint: ws's own text for a refusal, also when keepRefusalBody ended it to read the body first.
    const read = keptRefusal(socket);
    if (read !== null) lastError = `Unexpected server response: ${read.status}`;
    const said = read ?? answerOfText(1006, lastError);
    if (said !== null || networkFailure(event)) return end(1006, lastError, said);
    const text = lastError;
    over = true; // Hint: a browser's close (1006) follows at once; the answer decides, not it.
    void probe()
      .catch(() => null)
      .then((asked) => {
        over = false;
        end(1006, asked === null ? text : refusalText(asked), asked);
      });
  };
  socket.onclose = (event) => {
    const reason = event.reason || lastError;
    end(event.code, reason, answerOfText(event.code, reason));
  };
  return () => {
    opened = true;
  };
}
