import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';

/** The built SDK in a child (it needs `npm run build`, as `npm test` does): see the file for what it does. */
const CHILD = fileURLToPath(new URL('./support/earlyCloseClient.mjs', import.meta.url));

let server: Server | null = null;
let child: ChildProcess | null = null;
afterEach(async () => {
  child?.kill('SIGKILL');
  child = null;
  server?.closeAllConnections();
  await new Promise((resolve) => (server === null ? resolve(undefined) : server.close(resolve)));
  server = null;
});

describe('a publisher destroyed, or a subscription closed, right after it started', () => {
  it('opens no socket after it: the process ends by itself and the server keeps no connection', async () => {
    server = createServer();
    const wss = new WebSocketServer({ server });
    let upgrades = 0;
    wss.on('connection', (ws) => {
      upgrades++;
      ws.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const proc = spawn(process.execPath, [CHILD, JSON.stringify({ url })], { stdio: ['ignore', 'pipe', 'inherit'] });
    child = proc;
    let out = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    // Hint: before, a socket opened after destroy() or close() (past their await of the WebSocket class) was never
    // closed, so the child never ended; 8 s is well past the 2 s a close may wait for its handshake.
    const timeout = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 8_000));
    expect(await Promise.race([exited, timeout])).toBe(0);
    expect(out).toBe('let go\n');
    expect(wss.clients.size).toBe(0);
    expect(upgrades).toBeLessThanOrEqual(9); // at most one per subscription, none for the publishers
  });
});
