import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { eventBody, waitFor } from './support/pipelineRest.js';
import { startTestServer, type TestServer } from './support/testServer.js';

/**
 * A POST whose body is one small event padded with 300 KB of whitespace: valid JSON, under every payload bound. From
 * `address` when given, as the trusted proxy on loopback says (X-Forwarded-For).
 */
async function paddedPost(base: string, address?: string): Promise<Response> {
  const body = JSON.stringify(eventBody()) + ' '.repeat(300_000);
  const from: Record<string, string> = address === undefined ? {} : { 'X-Forwarded-For': address };
  return fetch(`${base}/events`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...from }, body });
}

/** A client that sends `sent` bytes of a body of `length` and then nothing: a body that arrives in pieces. */
async function partialPost(port: number, address: string | undefined, length: number, sent: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const from = address === undefined ? '' : `X-Forwarded-For: ${address}\r\n`;
  socket.write(
    `POST /events HTTP/1.1\r\nHost: x\r\n${from}Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`,
  );
  socket.write(Buffer.alloc(sent, 0x20));
  return socket;
}

/** 900 KB of a 1 MB body and then nothing (under MAX_BODY_BYTES, so not a 413). */
const stalledPost = (port: number, address?: string) => partialPost(port, address, 1_000_000, 900_000);

/** The first HTTP answer on a raw socket, once its JSON body is complete. */
function answerOn(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (data: Buffer) => {
      text += data.toString();
      if (/\r\n\r\n\{[\s\S]*\}$/.test(text)) resolve(text);
    });
  });
}

const ONE_MIB = String(1024 * 1024);

/** Wait until the server holds `bytes` of bodies being received (its /metrics gauge), so the next body meets them. */
async function bodyBytesReach(t: TestServer, bytes: number): Promise<void> {
  const held = async () => Number(/^pipeline_request_body_bytes (\d+)$/m.exec(await t.server.metrics.scrape())?.[1]);
  await waitFor(async () => (await held()) >= bytes || null, `${bytes} bytes of bodies received`);
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
    t = await startTestServer({ MAX_BODY_BYTES: ONE_MIB, MAX_BODY_BUFFER_BYTES: ONE_MIB });
    stalled = await stalledPost(t.server.port);
    const base = t.base;
    await bodyBytesReach(t, 900_000);
    // 900 KB held and 300 KB more pass the 1 MiB total.
    const refused = await paddedPost(base);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual({
      detail: 'the server is receiving too many request bodies at once (MAX_BODY_BUFFER_BYTES: 1048576); retry shortly',
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^pipeline_memory_bound_refusals_total\{setting="MAX_BODY_BUFFER_BYTES"\} [1-9]/m);
    // The stalled client goes away: what its body held is free again.
    stalled.destroy();
    const taken = await waitFor(async () => {
      const res = await paddedPost(base);
      return res.status === 201 ? res : null;
    }, 'the body taken again');
    expect(((await taken.json()) as { offset: number }).offset).toBeGreaterThan(0);
  });

  it("refuses one address past its share with a 429 while another address's body is taken, and counts both", async () => {
    t = await startTestServer({ MAX_BODY_BYTES: ONE_MIB, MAX_BODY_BUFFER_BYTES_PER_IP: ONE_MIB });
    stalled = await stalledPost(t.server.port, '203.0.113.7');
    const base = t.base;
    await bodyBytesReach(t, 900_000);
    // A second body from that address, also in pieces: 900 KB held and 200 KB more pass its 1 MiB share.
    const second = await partialPost(t.server.port, '203.0.113.7', 500_000, 200_000);
    const refused = await answerOn(second);
    second.destroy();
    expect(refused).toMatch(/^HTTP\/1\.1 429 /);
    expect(refused).toMatch(/\r\nRetry-After: 1\r\n/i);
    expect(JSON.parse(refused.slice(refused.indexOf('\r\n\r\n') + 4))).toEqual({
      detail:
        'this address is sending too many request bodies at once (MAX_BODY_BUFFER_BYTES_PER_IP: 1048576); retry shortly',
    });
    expect((await paddedPost(base, '203.0.113.8')).status).toBe(201);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^pipeline_memory_bound_refusals_total\{setting="MAX_BODY_BUFFER_BYTES_PER_IP"\} [1-9]/m);
    expect(metrics).toMatch(/^pipeline_request_body_bytes 9\d{5}$/m);
    stalled.destroy();
    const taken = await waitFor(async () => {
      const res = await paddedPost(base, '203.0.113.7');
      return res.status === 201 ? res : null;
    }, 'the address taken again once its stalled body is gone');
    expect(taken.status).toBe(201);
  });
});
