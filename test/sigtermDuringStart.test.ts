import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnMain, stablePort } from './support/childServer.js';
import { LoneNatsServer } from './support/loneNatsServer.js';

/**
 * A SIGTERM while the server is still starting. Before: the handlers were set once it listened, so a signal during a
 * long start (an integrity check, a cluster to reach) met Node's default action: exit 143 instead of a clean stop.
 * The start is held here, deterministically, by a proxy in front of NATS that passes nothing on until released.
 */
describe('SIGTERM during the start', () => {
  let nats: LoneNatsServer;
  const dir = mkdtempSync(join(tmpdir(), 'sigterm-start-'));
  beforeAll(async () => {
    nats = await LoneNatsServer.start(['jetstream { store_dir: "STORE" }']);
  });
  afterAll(async () => {
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops cleanly with exit 0 once the start is done, having said so', async () => {
    const held: Socket[] = [];
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let connected = () => {};
    const reached = new Promise<void>((resolve) => (connected = resolve));
    const target = new URL(nats.url);
    const proxy = createServer((client) => {
      held.push(client);
      connected();
      void released.then(() => {
        const upstream = connect(Number(target.port), target.hostname);
        client.pipe(upstream).pipe(client);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
      });
    });
    const proxyPort = await stablePort();
    await new Promise<void>((resolve) => proxy.listen(proxyPort, '127.0.0.1', resolve));
    // Hint: exactly these settings, on PATH alone, so none from the caller's shell leaks in.
    const { proc, exited, output } = spawnMain(
      {
        HOST: '127.0.0.1',
        PORT: '0',
        DATABASE_PATH: join(dir, 'replica.db'),
        LOG_LEVEL: 'info',
        LOG_BACKEND: 'jetstream',
        NATS_URL: `nats://127.0.0.1:${proxyPort}`,
        NATS_REPLICAS: '1',
        NATS_STREAM: 'EVENTS',
      },
      undefined,
      { PATH: process.env.PATH ?? '' },
    );
    try {
      // The server is inside its start now: its connection to the cluster waits at the proxy.
      await reached;
      expect(output()).not.toContain('event pipeline listening');
      proc.kill('SIGTERM');
      // Its 'shutting down' line says the signal was taken while the start still waits; only then is it let go on.
      const deadline = Date.now() + 10_000;
      while (!output().includes('shutting down') && proc.exitCode === null && proc.signalCode === null) {
        if (Date.now() > deadline) throw new Error(`no 'shutting down' within 10 s:\n${output()}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      release();
      expect(await exited).toEqual({ code: 0, signal: null });
      const lines = output()
        .split('\n')
        .filter((line) => /shutting down|listening|"stopped"/.test(line));
      expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
        'shutting down',
        'event pipeline listening',
        'stopped',
      ]);
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
