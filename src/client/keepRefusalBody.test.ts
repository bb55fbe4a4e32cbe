import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { idleSocket } from '../../test/support/clientDoubles.js';
import { keepRefusalBody, keptRefusal } from './keepRefusalBody.js';

/** A `ws`-like socket: its `unexpected-response` listener, and whether it was terminated. */
function wsLike() {
  let listener: ((request: unknown, response: unknown) => void) | null = null;
  let terminated = false;
  const socket = Object.assign(idleSocket(), {
    on: (event: string, fn: (request: unknown, response: unknown) => void) => {
      if (event === 'unexpected-response') listener = fn;
    },
    terminate: () => {
      terminated = true;
    },
  });
  keepRefusalBody(socket);
  /** The upgrade is answered `status` with `headers` and a JSON body holding `detail`. */
  const answer = (status: number, headers: Record<string, string>, detail: string) => {
    const response = Object.assign(new EventEmitter(), { statusCode: status, headers });
    listener?.(null, response);
    response.emit('data', new TextEncoder().encode(JSON.stringify({ detail })));
    response.emit('end');
  };
  return { socket, answer, terminated: () => terminated };
}

describe('keepRefusalBody', () => {
  it("reads a refused upgrade's status, detail and Retry-After, then ends the handshake", () => {
    const { socket, answer, terminated } = wsLike();
    answer(429, { 'x-upgrade-refusal': 'pipeline', 'retry-after': '3' }, 'slow down');
    expect(keptRefusal(socket)).toEqual({ status: 429, detail: 'slow down', retryAfterMs: 3_000 });
    expect(terminated()).toBe(true);
  });

  // Hint: with the platform WebSocket, askUpgrade learns nothing from such an answer, so it was retried there, while
  // on `ws` a proxy's own 403 while the server redeployed ended a live subscription for good.
  it('says when the answer lacks the X-Upgrade-Refusal mark: not the pipeline server verdict (a proxy, say)', () => {
    const { socket, answer } = wsLike();
    answer(403, {}, 'Forbidden by the proxy');
    expect(keptRefusal(socket)).toEqual({
      status: 403,
      detail: 'Forbidden by the proxy',
      retryAfterMs: null,
      unmarked: true,
    });
  });
});
