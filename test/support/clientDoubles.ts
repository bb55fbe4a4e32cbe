import type { Unit } from '../../src/client/publishBatcher.js';
import type { WebSocketLike } from '../../src/client/webSocket.js';

/** A socket in `readyState` that sends and closes nowhere; tests call its `on*` handlers themselves. */
export function idleSocket(readyState = 0): WebSocketLike {
  return {
    readyState,
    bufferedAmount: 0,
    send: () => undefined,
    close: () => undefined,
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
  };
}

/** A queued publish unit of one event due at `deadline`; its rejections land in `rejected`. */
export function unitDue(deadline: number, rejected: Error[] = []): Unit {
  return {
    events: ['{}'],
    ids: ['a'],
    bytes: 3,
    solo: false,
    deadline,
    resolve: () => undefined,
    reject: (error) => rejected.push(error),
  };
}
