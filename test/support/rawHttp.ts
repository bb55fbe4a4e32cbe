import { connect } from 'node:net';

/** One HTTP/1.1 response as it came off the wire. */
export interface RawResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

/** What came back on a raw connection: every byte, and whether the server closed it. */
export interface RawExchange {
  readonly text: string;
  readonly closedByServer: boolean;
}

/**
 * Write `request` to a fresh TCP connection and collect everything until the server closes it, `waitMs` pass, or what
 * came so far satisfies `until`.
 * Raw sockets show exactly what the server sends, also for methods fetch refuses to send. A request given as pieces
 * is written a piece every 50 ms, so the server reads them apart, as from a network that splits them.
 */
export function rawExchange(
  port: number,
  request: string | Buffer | readonly string[],
  waitMs = 2_000,
  until?: (text: string) => boolean,
): Promise<RawExchange> {
  const pieces = Array.isArray(request) ? request : [request];
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      pieces.forEach((piece, i) => {
        setTimeout(() => socket.writable && socket.write(piece), i * 50);
      });
    });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closedByServer });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      if (until?.(Buffer.concat(chunks).toString('latin1'))) finish(false);
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
  });
}

/** Split a byte stream into responses; `bodyless` says which ones (HEAD) carry no body despite Content-Length. */
export function parseResponses(text: string, bodyless: readonly boolean[] = []): RawResponse[] {
  const out: RawResponse[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const lines = rest.slice(0, end).split('\r\n');
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const length = bodyless[out.length] === true ? 0 : Number(headers.get('content-length') ?? 0);
    out.push({ status: Number(lines[0]!.split(' ')[1]), headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

/** Send one request with `Connection: close` and parse the single response (null when none came back). */
export async function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body = '',
): Promise<RawResponse | null> {
  const head = Object.entries({
    Host: '127.0.0.1',
    'Content-Length': String(Buffer.byteLength(body)),
    ...headers,
    Connection: 'close',
  })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const exchange = await rawExchange(port, `${method} ${path} HTTP/1.1\r\n${head}\r\n${body}`);
  return parseResponses(exchange.text, [method === 'HEAD'])[0] ?? null;
}
