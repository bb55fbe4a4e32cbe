import WebSocket from 'ws';

/** Options shared by every benchmark WebSocket client. */
export const CLIENT_OPTIONS: WebSocket.ClientOptions = {
  perMessageDeflate: false,
  maxPayload: 512 * 1024 * 1024,
  // Hint: an all-zero mask makes ws skip the XOR pass; the server unmasks either way, so client CPU goes to load.
  generateMask: (mask: Buffer) => void mask.fill(0),
};

/** Open a WebSocket, rejecting on error, a non-101 answer or after `timeoutMs`. */
export function openSocket(url: string, timeoutMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, CLIENT_OPTIONS);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`connect to ${url} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.once('unexpected-response', (_request, response) => {
      clearTimeout(timer);
      ws.terminate();
      reject(new Error(`upgrade refused with HTTP ${response.statusCode ?? '?'}`));
    });
    ws.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Run `task` for each index with at most `concurrency` in flight; resolves with every result (errors included). */
export async function mapLimited<T>(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<T>,
): Promise<PromiseSettledResult<T>[]> {
  const results: PromiseSettledResult<T>[] = new Array<PromiseSettledResult<T>>(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const index = next++;
      try {
        results[index] = { status: 'fulfilled', value: await task(index) };
      } catch (error) {
        results[index] = { status: 'rejected', reason: error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return results;
}

/** The first bytes of a successful publish ack (both the single and the batch form). */
const OK_PREFIX = Buffer.from('{"status":"ok"');

/** True when a publish reply is a success ack, checked on bytes so the hot path never parses JSON. */
export function isOkAck(data: Buffer): boolean {
  return data.length >= OK_PREFIX.length && data.compare(OK_PREFIX, 0, OK_PREFIX.length, 0, OK_PREFIX.length) === 0;
}

/** Buffer form of a received message (ws hands out Buffer, Buffer[] or ArrayBuffer). */
export function asBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
