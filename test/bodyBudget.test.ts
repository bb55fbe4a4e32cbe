import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { eventBody, waitFor } from './support/pipelineRest.js';
import { startTestServer, type TestServer } from './support/testServer.js';

/** A POST whose body is one small event padded with 300 KB of whitespace: valid JSON, under every payload bound. */
async function paddedPost(base: string): Promise<Response> {
  const body = JSON.stringify(eventBody()) + ' '.repeat(300_000);
  return fetch(`${base}/events`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
}

// Bodies still being received hold memory until answered; all of them together are bounded, and a refusal says so.
describe('request bodies being received, all together (MAX_BODY_BUFFER_BYTES)', () => {
  let t: TestServer | null = null;
  let stalled: Socket | null = null;
  afterEach(async () => {
    stalled?.destroy();
    await t?.stop();
    t = null;
  });

  it('refuses a body past the budget with a retryable 503 while another stalls, and takes it once that one goes', async () => {
    t = await startTestServer({ MAX_BODY_BUFFER_BYTES: String(1024 * 1024) });
    const port = t.server.port;
    // A client that sends 900 KB of a 2 MB body and then nothing (under MAX_BODY_BYTES, so not a 413).
    stalled = connect(port, '127.0.0.1');
    await new Promise((resolve) => stalled!.once('connect', resolve));
    stalled.write(
      'POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n',
    );
    stalled.write(Buffer.alloc(900_000, 0x20));
    const base = t.base;
    const refused = await waitFor(async () => {
      const res = await paddedPost(base);
      return res.status === 503 ? res : null;
    }, 'a body refused past the budget');
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual({
      detail: 'the server is receiving too many request bodies at once (MAX_BODY_BUFFER_BYTES: 1048576); retry shortly',
    });
    // The stalled client goes away: what its body held is free again.
    stalled.destroy();
    const taken = await waitFor(async () => {
      const res = await paddedPost(base);
      return res.status === 201 ? res : null;
    }, 'the body taken again');
    expect(((await taken.json()) as { offset: number }).offset).toBeGreaterThan(0);
  });
});
