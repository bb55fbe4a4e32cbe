import type { Unit } from '../../src/client/publishBatcher.js';
import type { Scheduler } from '../../src/client/scheduler.js';
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

/** Timers the test runs by hand, on a clock it moves. */
export function heldTimers() {
  let time = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let next = 1;
  const scheduler: Scheduler = {
    now: () => time,
    setTimeout: (fn, ms) => {
      timers.set(next, { at: time + ms, fn });
      return next++;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
  };
  const advance = (ms: number) => {
    time += ms;
    for (const [id, timer] of [...timers].sort((a, b) => a[1].at - b[1].at))
      if (timer.at <= time && timers.delete(id)) timer.fn();
  };
  return { scheduler, advance, pending: () => timers.size };
}

/** A `ws`-like socket that records what was done to it. */
export function recordingSocket(readyState = 1) {
  const calls: string[] = [];
  const socket: WebSocketLike & { terminate(): void } = {
    readyState,
    bufferedAmount: 0,
    send: (data) => void calls.push(`send ${data}`),
    close: (code, reason) => void calls.push(`close ${code} ${reason}`),
    terminate: () => void calls.push('terminate'),
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
  };
  return { socket, calls };
}
