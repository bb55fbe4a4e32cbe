import { UPGRADE_REFUSAL_HEADER } from '../protocol/upgradeRefusal.js';
import { detailOf, REFUSAL_BODY_BYTES, retryAfterOf, type UpgradeAnswer } from './upgradeAnswer.js';
import type { WebSocketLike } from './webSocket.js';

/** The answers keepRefusalBody read, by socket, until the socket's end takes them. */
const kept = new WeakMap<WebSocketLike, UpgradeAnswer>();

/** The parts of Node's http.IncomingMessage that `ws` hands to `unexpected-response`. */
interface RefusedResponse {
  readonly statusCode?: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'end' | 'error' | 'aborted', listener: () => void): unknown;
}

/**
 * `ws` only (Node 20): read a refused upgrade's body, so the refusal can name the server's reason and Retry-After
 * (keptRefusal). Hint: without a listener `ws` drops the body and reports only `Unexpected server response: 401`; with
 * one it leaves the handshake to the listener, which ends it here with `terminate()` once the body is read (an error
 * and close 1006, as without it). A body that never ends is cut by the SDK's handshake deadline, as a silent server
 * is. Other WebSockets (browsers, undici) have no `on` and are left alone.
 */
export function keepRefusalBody(socket: WebSocketLike): void {
  const on: unknown = Reflect.get(socket, 'on');
  const terminate: unknown = Reflect.get(socket, 'terminate');
  if (typeof on !== 'function' || typeof terminate !== 'function') return;
  on.call(socket, 'unexpected-response', (_request: unknown, response: RefusedResponse) => {
    const status = response.statusCode ?? 0;
    const decoder = new TextDecoder();
    let text = '';
    let bytes = 0;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      try {
        const retryAfter = response.headers['retry-after'];
        const detail = detailOf(text + decoder.decode());
        const retryAfterMs = retryAfterOf(typeof retryAfter === 'string' ? retryAfter : null);
        // Hint: as askUpgrade, only the server's mark makes it its verdict; a proxy's 403 must not end a subscription.
        const marked = response.headers[UPGRADE_REFUSAL_HEADER.toLowerCase()] !== undefined;
        kept.set(socket, marked ? { status, detail, retryAfterMs } : { status, detail, retryAfterMs, unmarked: true });
      } finally {
        terminate.call(socket);
      }
    };
    response.on('data', (chunk) => {
      if (ended) return;
      text += decoder.decode(chunk, { stream: true });
      bytes += chunk.byteLength;
      if (bytes >= REFUSAL_BODY_BYTES) end();
    });
    response.on('end', end);
    response.on('error', end);
    response.on('aborted', end);
  });
}

/** The refused upgrade's answer keepRefusalBody read for `socket`, or null. */
export function keptRefusal(socket: WebSocketLike): UpgradeAnswer | null {
  return kept.get(socket) ?? null;
}
