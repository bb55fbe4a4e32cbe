import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event, publish } from './support/httpCall.js';
import { waitFor } from './support/pipelineRest.js';
import { startTestServer, type TestServer } from './support/testServer.js';

/** Records of this many payload characters: 600 of them (18 MB) outlast what the sockets' kernel buffers take in. */
const PAD = 30_000;
const RECORDS = 600;
const QUERY = `/events?limit=${RECORDS}`;
const REFUSAL =
  'too many answers still being sent to this address (MAX_HTTP_STREAMS_PER_IP: 2); read or close them first';

/** A client that asks for a long answer, takes its first bytes and stops reading. */
async function stalledReader(port: number, forwardedFor?: string): Promise<{ socket: Socket; status: string }> {
  const socket = connect(port, '127.0.0.1');
  const forwarded = forwardedFor === undefined ? '' : `X-Forwarded-For: ${forwardedFor}\r\n`;
  socket.write(`GET ${QUERY} HTTP/1.1\r\nHost: test\r\n${forwarded}\r\n`);
  const first = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
  socket.pause();
  return { socket, status: first.toString('latin1', 9, 12) };
}

describe('answers still being sent, per client address (MAX_HTTP_STREAMS_PER_IP)', () => {
  let t: TestServer;
  let port: number;
  beforeAll(async () => {
    t = await startTestServer({ MAX_HTTP_STREAMS_PER_IP: '2' });
    port = Number(new URL(t.base).port);
    for (let from = 0; from < RECORDS; from += 100) {
      const batch = Array.from({ length: 100 }, (_, i) => event({ payload: { i: from + i, pad: 'x'.repeat(PAD) } }));
      expect((await publish(t.base, batch)).status).toBe(201);
    }
  });
  afterAll(async () => {
    await t.stop();
  });

  it('frees its place when an answer is read to the end', async () => {
    for (let i = 0; i < 4; i++) {
      const answer = await fetch(`${t.base}${QUERY}`);
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as unknown[]).length).toBe(RECORDS);
    }
  });

  it('refuses one more from an address whose readers stopped reading, with 429 naming the limit, until one goes', async () => {
    const stalled = [await stalledReader(port), await stalledReader(port)];
    try {
      expect(stalled.map((s) => s.status)).toEqual(['200', '200']);
      const refused = await fetch(`${t.base}${QUERY}`);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toEqual({ detail: REFUSAL });
      // Short answers too: the place is taken before the answer's length is known.
      expect((await fetch(`${t.base}/events?limit=1`)).status).toBe(429);
      // Another client (behind the trusted loopback proxy) has places of its own.
      const other = await fetch(`${t.base}${QUERY}`, { headers: { 'X-Forwarded-For': '10.9.9.9' } });
      expect(other.status).toBe(200);
      expect(((await other.json()) as unknown[]).length).toBe(RECORDS);
      // Other routes are not counted; the metrics count the refusals.
      const metrics = await (await fetch(`${t.base}/metrics`)).text();
      expect(metrics).toContain('pipeline_rate_limit_refusals_total{limit="http_streams"} 2');

      stalled[0]?.socket.destroy();
      const after = await waitFor(async () => {
        const answer = await fetch(`${t.base}/events?limit=1`);
        await answer.body?.cancel();
        return answer.status === 200;
      }, 'the closed reader to free its place');
      expect(after).toBe(true);
    } finally {
      for (const { socket } of stalled) socket.destroy();
    }
  });
});
