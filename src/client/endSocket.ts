import type { Scheduler } from './scheduler.js';
import { OPEN, type WebSocketLike } from './webSocket.js';

/** How long a closed socket may take to finish its close handshake before it is terminated. */
export const CLOSE_GRACE_MS = 2_000;

/** `terminate()` where the socket has one (`ws`), else `close()`; never throws. */
function terminate(socket: WebSocketLike): void {
  try {
    const hard: unknown = Reflect.get(socket, 'terminate');
    if (typeof hard === 'function') hard.call(socket);
    else socket.close();
  } catch {
    // Already closed, or a platform that refuses: nothing more can be done with it.
  }
}

/**
 * Stop listening to `socket` and close it: with `code` and `reason` when open and `graceMs` > 0, terminated if the
 * close has not finished within `graceMs`; else terminated at once. Hint: frames that arrive meanwhile are dropped
 * unread; a server that ignored the close frame streamed into the buffer for ws's 30 s close timeout (1.4 GB), and a
 * stalled connection held the closed client's process open that long (the CLI's Ctrl-C exited 35 s after SIGINT).
 */
export function endSocket(
  socket: WebSocketLike,
  code: number,
  reason: string,
  scheduler: Scheduler,
  graceMs: number,
): void {
  socket.onmessage = null;
  socket.onopen = null;
  // Hint: `ws` throws an error event no one listens to; an abort of a handshake emits one.
  socket.onerror = () => undefined;
  socket.onclose = null;
  if (graceMs <= 0 || socket.readyState !== OPEN) return void terminate(socket);
  try {
    socket.close(code, reason);
  } catch {
    return void terminate(socket);
  }
  const timer = scheduler.setTimeout(() => terminate(socket), graceMs);
  socket.onclose = () => scheduler.clearTimeout(timer);
}
