import { describe, expect, it, vi } from 'vitest';
import { idleSocket } from '../../test/support/clientDoubles.js';
import { type SocketEnd, watchEnd } from './socketEnd.js';
import type { UpgradeAnswer } from './upgradeAnswer.js';

/** watchEnd on a bare socket, with a probe answering `answer` and counting its calls. */
function watched(answer: UpgradeAnswer | null = null) {
  const socket = idleSocket();
  const ends: SocketEnd[] = [];
  let asked = 0;
  const opened = watchEnd(
    socket,
    () => {
      asked++;
      return Promise.resolve(answer);
    },
    (end) => ends.push(end),
  );
  return { socket, ends, opened, asked: () => asked };
}

const refused: UpgradeAnswer = { status: 401, detail: 'Invalid or missing API key', retryAfterMs: null };

describe('watchEnd', () => {
  it('takes an error before open as the end, asking the server why when the error says no status', async () => {
    const { socket, ends, asked } = watched(refused);
    socket.onerror?.({ message: 'Received network error or non-101 status code.' });
    // Hint: a browser's close follows its error at once; the answer decides, not it.
    socket.onclose?.({ code: 1006, reason: '' });
    await vi.waitFor(() => expect(ends).toHaveLength(1));
    expect(ends[0]).toEqual({
      code: 1006,
      reason: 'the server refused the API key (401: Invalid or missing API key)',
      upgrade: refused,
    });
    expect(asked()).toBe(1);
  });

  it('keeps the error text when the server says nothing that refuses (426, a network failure)', async () => {
    const { socket, ends } = watched(null);
    socket.onerror?.({});
    await vi.waitFor(() => expect(ends).toEqual([{ code: 1006, reason: 'connection error', upgrade: null }]));
  });

  it("reads ws's status without asking, and does not ask after a network failure (nothing answered)", () => {
    const refusedByWs = watched(refused);
    refusedByWs.socket.onerror?.({ message: 'Unexpected server response: 403' });
    refusedByWs.socket.onclose?.({ code: 1006, reason: '' });
    expect(refusedByWs.ends).toEqual([
      {
        code: 1006,
        reason: 'Unexpected server response: 403',
        upgrade: { status: 403, detail: null, retryAfterMs: null },
      },
    ]);
    const down = watched(refused);
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    down.socket.onerror?.({ message: error.message, error });
    expect(down.ends).toEqual([{ code: 1006, reason: 'connect ECONNREFUSED 127.0.0.1:9', upgrade: null }]);
    expect([refusedByWs.asked(), down.asked()]).toEqual([0, 0]);
  });

  it('leaves an error after the socket opened to the close that follows it', () => {
    const { socket, ends, opened, asked } = watched(refused);
    opened();
    socket.onerror?.({ message: 'read ECONNRESET' });
    expect(ends).toEqual([]);
    socket.onclose?.({ code: 1006, reason: '' });
    expect(ends).toEqual([{ code: 1006, reason: 'read ECONNRESET', upgrade: null }]);
    expect(asked()).toBe(0);
  });
});
