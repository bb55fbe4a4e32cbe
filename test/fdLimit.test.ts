import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildServer, killServer, MAIN_JS, spawnServer } from './support/childServer.js';
import { closeAll, UpgradeRefusedError, WsClient } from './support/wsClient.js';

/** The server's RLIMIT_NOFILE: upgrades are refused from 90% (230) until below 80% (204). */
const NOFILE = 256;

/** An upgrade's answer when it is refused: the status and the body's detail. */
function refusedUpgrade(port: number): Promise<{ status: number; detail: string }> {
  return new Promise((resolve, reject) => {
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    const headers = {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': key,
    };
    const req = request({ host: '127.0.0.1', port, path: '/ws/publish', headers, timeout: 5_000 });
    req.once('upgrade', (_res, socket) => {
      socket.destroy();
      reject(new Error('the upgrade was taken'));
    });
    req.once('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, detail: JSON.parse(body).detail }));
    });
    req.once('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.once('error', reject);
    req.end();
  });
}

/** A GET's status and body over `agent` (false: a connection of its own). */
function get(port: number, path: string, agent: Agent | false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.once('error', reject);
    req.end();
  });
}

/** How a new TCP connection fares: connected, or the error code (ECONNREFUSED once the server stopped listening). */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** The value of `pipeline_ready` on /metrics. */
async function readyGauge(base: string): Promise<string | undefined> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return /^pipeline_ready (\d)$/m.exec(text)?.[1];
}

describe('open file descriptors near RLIMIT_NOFILE (a server under prlimit)', () => {
  let dir: string;
  let server: ChildServer;
  const held: WsClient[] = [];

  beforeAll(async () => {
    // Hint: util-linux's prlimit sets the child's limit; without it this test cannot run, and must say so, not skip.
    execFileSync('prlimit', ['--version']);
    dir = mkdtempSync(join(tmpdir(), 'fd-limit-'));
    const env = { MAX_WS_CONNECTIONS_PER_IP: '1000', LOG_LEVEL: 'info', LOG_REQUESTS: 'false' };
    const command = ['prlimit', `--nofile=${NOFILE}:${NOFILE}`, '--', process.execPath, MAIN_JS] as const;
    server = await spawnServer(join(dir, 'events.db'), env, [], command);
  });
  afterAll(async () => {
    await closeAll(held);
    await killServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses upgrades with 503 before the limit, says why on /readiness, answers /health, and recovers', async () => {
    // Before: at the limit uWS's accept loop spun the main thread and new clients (and /health) got no answer.
    let refusedAt = 0;
    for (let i = 0; i < NOFILE && refusedAt === 0; i++) {
      try {
        held.push(await WsClient.open(`${server.wsBase}/ws/publish`, { handshakeTimeout: 5_000 }));
      } catch (error) {
        if (!(error instanceof UpgradeRefusedError)) throw error;
        expect(error.status).toBe(503);
        refusedAt = held.length;
      }
    }
    // The server's own descriptors (SQLite, threads, epoll) take the rest of the 230.
    expect(refusedAt).toBeGreaterThan(150);
    expect(refusedAt).toBeLessThan(230);
    const refused = await refusedUpgrade(server.port);
    expect(refused).toEqual({
      status: 503,
      detail: expect.stringMatching(/^too many open files: \d+ of the limit 256 \(RLIMIT_NOFILE\)/),
    });
    const readiness = await fetch(`${server.base}/readiness`);
    expect(readiness.status).toBe(503);
    expect(await readiness.json()).toMatchObject({ ready: false, reason: expect.stringMatching(/RLIMIT_NOFILE/) });
    expect(await readyGauge(server.base)).toBe('0');
    expect((await fetch(`${server.base}/health`)).status).toBe(200);
    // The connections held still work.
    held[0]!.send({ event_type: 'quiz_started', source: 'fd_test' });
    expect(await held[0]!.next()).toMatchObject({ status: 'ok' });
    const warnings = () =>
      server
        .output()
        .split('\n')
        .filter((l) => l.includes('RLIMIT_NOFILE): refusing'));
    await expect.poll(() => warnings().length, { timeout: 5_000 }).toBe(1);

    await closeAll(held.splice(0));
    // Hint: the sweep counts once a second; below 80% the refusal ends.
    await expect.poll(async () => (await fetch(`${server.base}/readiness`)).status, { timeout: 5_000 }).toBe(200);
    expect(await readyGauge(server.base)).toBe('1');
    const again = await WsClient.open(`${server.wsBase}/ws/publish`);
    held.push(again);
    await expect.poll(() => server.output(), { timeout: 5_000 }).toMatch(/taking new WebSocket connections again/);
    expect(warnings()).toHaveLength(1);
  });

  it('stops accepting before plain connections take the last descriptors, serves those open, and accepts again', async () => {
    // Before: the sweep's count of /proc/self/fd threw EMFILE at the limit and the process ended on it.
    const keep = new Agent({ keepAlive: true, maxSockets: 1 });
    expect((await get(server.port, '/health', keep)).status).toBe(200);
    const flood: Socket[] = [];
    try {
      for (let i = 0; i < NOFILE + 40; i++) {
        const socket = connect(server.port, '127.0.0.1', () => socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'));
        socket.on('error', () => undefined);
        socket.on('data', () => undefined);
        flood.push(socket);
      }
      // The listening socket closed: a new client is refused at once instead of hanging in the backlog.
      await expect.poll(() => tryConnect(server.port), { timeout: 5_000, interval: 200 }).toBe('ECONNREFUSED');
      const readiness = await get(server.port, '/readiness', keep);
      expect(readiness.status).toBe(503);
      expect(JSON.parse(readiness.body).reason).toMatch(/RLIMIT_NOFILE\); no new connection is accepted until fewer/);
    } finally {
      for (const socket of flood) socket.destroy();
      keep.destroy();
    }
    await expect.poll(async () => (await get(server.port, '/readiness', false)).status, { timeout: 5_000 }).toBe(200);
    expect(server.output()).toMatch(/not accepting new connections/);
    await expect
      .poll(() => server.output(), { timeout: 5_000 })
      .toMatch(/accepting connections and taking new WebSocket connections again/);
    expect(server.output()).not.toMatch(/uncaught/);
  });
});
