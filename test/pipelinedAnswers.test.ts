import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapturingLogger } from './support/capturingLogger.js';
import { event, publish } from './support/httpCall.js';
import { waitFor } from './support/pipelineRest.js';
import { parseResponses, type RawResponse } from './support/rawHttp.js';
import { startTestServer, type TestServer } from './support/testServer.js';

/** 1,000 records of about 950 bytes: an answer of about 0.95 MB, under the ~1 MiB above which it would be chunked. */
const QUERY = '/events?limit=1000&order=asc';
const BUNDLE = '/docs/swagger-ui-bundle.js';
const BUNDLE_BYTES = 1_732_839;
const PIPELINED = 300;
const REFUSAL =
  'too many answers still being sent to this address (MAX_HTTP_STREAMS_PER_IP: 2); read or close them first';

const get = (path: string, address: string) =>
  `GET ${path} HTTP/1.1\r\nHost: test\r\nX-Forwarded-For: ${address}\r\n\r\n`;

/** A connection that does not read (its kernel buffers fill, and then the server's socket does not take more). */
async function stalledConnection(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.pause();
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

/**
 * Read `socket` from now until the server closes it, `waitMs` pass, or what came is `complete` (asked once `atLeast`
 * bytes came): what came, and whether the server closed it.
 */
function readToEnd(
  socket: Socket,
  waitMs: number,
  complete: (text: string) => boolean = () => false,
  atLeast = 0,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= atLeast && complete(Buffer.concat(chunks).toString('latin1'))) finish(false);
    });
    socket.once('close', () => finish(true));
    socket.resume();
  });
}

/** An answer whose body came to its Content-Length. */
const whole = (answer: RawResponse) => answer.body.length === Number(answer.headers.get('content-length'));

describe('answers on a connection that does not read (MAX_HTTP_STREAMS_PER_IP)', () => {
  let t: TestServer;
  const logger = new CapturingLogger();
  beforeAll(async () => {
    t = await startTestServer({ MAX_HTTP_STREAMS_PER_IP: '2', LOG_REQUESTS: 'true', LOG_LEVEL: 'info' }, { logger });
    for (let from = 0; from < 1000; from += 100) {
      const batch = Array.from({ length: 100 }, (_, i) => event({ payload: { i: from + i, pad: 'x'.repeat(800) } }));
      expect((await publish(t.base, batch)).status).toBe(201);
    }
  });
  afterAll(async () => {
    await t.stop();
  });

  const underWay = async () =>
    Number(/^pipeline_http_answers_under_way (\d+)$/m.exec(await t.server.metrics.scrape())?.[1]);
  const linesFrom = (address: string) => logger.lines.filter((line) => line.obj.client === address).length;

  it('holds one answer of GETs pipelined without reading, not all of them, and serves others meanwhile', async () => {
    const socket = await stalledConnection(t.server.port);
    const rssBefore = process.memoryUsage().rss;
    socket.write(get(QUERY, '198.51.100.1').repeat(PIPELINED));
    let peak = rssBefore;
    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      peak = Math.max(peak, process.memoryUsage().rss);
      // Another client is answered at once.
      expect((await fetch(`${t.base}/health`, { signal: AbortSignal.timeout(1_000) })).status).toBe(200);
    }
    // Before, uWS kept a copy of each of the 300 answers (0.95 MB each) for the connection: RSS grew by ~290 MB.
    expect(peak - rssBefore).toBeLessThan(100 * 1024 * 1024);
    const { text, closed } = await readToEnd(socket, 20_000);
    const answers = parseResponses(text);
    const complete = answers.filter(whole);
    // What the kernel took came whole and in order; the answer held when the next request came was cut off, as uWS
    // closes a connection with a request pipelined behind an answer not yet sent (the client sees a short body).
    expect(closed).toBe(true);
    expect(complete.length).toBeGreaterThan(0);
    expect(complete.length).toBeLessThan(PIPELINED / 10);
    for (const answer of complete) {
      expect(answer.status).toBe(200);
      expect((JSON.parse(answer.body) as { payload: { i: number } }[]).map((r) => r.payload.i)).toEqual(
        Array.from({ length: 1000 }, (_, i) => i),
      );
    }
    await waitFor(async () => (await underWay()) === 0, 'the cut answer to be released');
  });

  /**
   * A connection from `address` that asks for the Swagger UI bundle (1.7 MB) a request at a time, without reading,
   * until the server holds an answer the socket did not take at once.
   */
  async function holdingConnection(address: string): Promise<{ socket: Socket; sent: number }> {
    const socket = await stalledConnection(t.server.port);
    for (let sent = 1; sent <= 20; sent++) {
      const held = await underWay();
      const answered = linesFrom(address);
      socket.write(get(BUNDLE, address));
      await waitFor(() => linesFrom(address) > answered, 'the request to be answered');
      if ((await underWay()) > held) return { socket, sent };
    }
    throw new Error('20 answers of 1.7 MB all went out at once to a connection that does not read');
  }

  it('counts answers held for an address: one more large answer gets 429 with Retry-After, small ones are served', async () => {
    const address = '198.51.100.2';
    const holding = [await holdingConnection(address), await holdingConnection(address)];
    try {
      expect(await underWay()).toBe(2);
      const refused = await fetch(`${t.base}${BUNDLE}`, { headers: { 'X-Forwarded-For': address } });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toEqual({ detail: REFUSAL });
      expect((await fetch(`${t.base}/health`, { headers: { 'X-Forwarded-For': address } })).status).toBe(200);
      // Another address has places of its own.
      const other = await fetch(`${t.base}${BUNDLE}`, { headers: { 'X-Forwarded-For': '198.51.100.3' } });
      expect([other.status, (await other.arrayBuffer()).byteLength]).toEqual([200, BUNDLE_BYTES]);
      expect(await t.server.metrics.scrape()).toMatch(
        /^pipeline_rate_limit_refusals_total\{limit="http_streams"\} 1$/m,
      );
      // A held answer goes out whole once its client reads, and its place is free again.
      const { socket, sent } = holding[0]!;
      const allWhole = (text: string) => parseResponses(text).filter(whole).length === sent;
      const { text } = await readToEnd(socket, 10_000, allWhole, sent * BUNDLE_BYTES);
      expect(parseResponses(text).map((answer) => [answer.status, whole(answer)])).toEqual(
        Array.from({ length: sent }, () => [200, true]),
      );
      const again = await waitFor(async () => {
        const answer = await fetch(`${t.base}${BUNDLE}`, { headers: { 'X-Forwarded-For': address } });
        await answer.arrayBuffer();
        return answer.status === 200;
      }, 'the read answer to free its place');
      expect(again).toBe(true);
    } finally {
      for (const { socket } of holding) socket.destroy();
    }
  });
});
