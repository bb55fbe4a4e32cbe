import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { connectFailureDetail, probeServer, serverProblems } from './serverProbe.js';

/** A TCP server on an ephemeral loopback port that does `greet` with each connection. */
async function listening(greet: (socket: Socket) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(greet);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, url: `nats://127.0.0.1:${address.port}` };
}

describe('probeServer', () => {
  const servers: Server[] = [];
  afterAll(() => {
    for (const server of servers) server.close();
  });
  const start = async (greet: (socket: Socket) => void) => {
    const made = await listening(greet);
    servers.push(made.server);
    return made.url;
  };

  it('tells a NATS server from a closed port, a silent one and one that speaks something else', async () => {
    const nats = await start((socket) => socket.write('INFO {"server_id":"x"}\r\n'));
    const silent = await start(() => undefined);
    const http = await start((socket) => socket.write('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const closed = await listening(() => undefined);
    await new Promise((resolve) => closed.server.close(resolve));

    expect(await probeServer(nats)).toBeNull();
    expect(await probeServer(nats.replace('nats://', ''))).toBeNull();
    expect(await probeServer(silent, 200)).toBe(
      'accepted a connection but sent no NATS greeting within 200 ms: it may not be a NATS server',
    );
    expect(await probeServer(http)).toBe('answered "HTTP/1.1 400 Bad Req": it is not a NATS server');
    expect(await probeServer(closed.url)).toBe('cannot be reached (ECONNREFUSED)');
    expect(await serverProblems([nats, closed.url])).toEqual([
      `NATS_URL entry ${closed.url} cannot be reached (ECONNREFUSED)`,
    ]);
    // A start that timed out names the entries that are not NATS servers, and only on a timeout.
    expect(await connectFailureDetail([http, closed.url], 'timeout')).toBe(
      ` (NATS_URL entry ${http} answered "HTTP/1.1 400 Bad Req": it is not a NATS server)`,
    );
    expect(await connectFailureDetail([http], 'connection refused')).toBe('');
  });
});
