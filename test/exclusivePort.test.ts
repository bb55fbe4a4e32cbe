import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChildServer, killServer, runMain, spawnServer } from './support/childServer.js';

describe('one server per port', () => {
  let dir: string;
  let first: ChildServer | undefined;
  let holder: Server | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rep-port-'));
  });
  afterEach(async () => {
    await killServer(first);
    first = undefined;
    await new Promise<void>((resolve) => (holder === undefined ? resolve() : holder.close(() => resolve())));
    holder = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('a second server on a taken port exits 4 with one line, and the first keeps all the traffic', async () => {
    first = await spawnServer(join(dir, 'first.db'));
    const epoch = ((await (await fetch(`${first.base}/health`)).json()) as { epoch: string }).epoch;
    // Hint: another DATABASE_PATH, so it is the port that refuses it and not the log's lock.
    const second = await runMain({
      HOST: '127.0.0.1',
      PORT: String(first.port),
      DATABASE_PATH: join(dir, 'second.db'),
      LOG_LEVEL: 'warn',
    });
    expect(second.code).toBe(4);
    expect(second.stderr).toBe(
      `refusing to start: could not listen on 127.0.0.1:${first.port}: the port is already in use\n`,
    );
    // With SO_REUSEPORT both would answer and /health would alternate epochs; now only the first one does.
    for (let i = 0; i < 20; i++) {
      const health = (await (await fetch(`${first.base}/health`)).json()) as { epoch: string };
      expect(health.epoch).toBe(epoch);
    }
    expect(first.proc.exitCode).toBeNull();
  });

  it('a port held by a plain node:net server is refused the same way', async () => {
    const server = createServer();
    holder = server;
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        if (typeof address === 'object' && address !== null) resolve(address.port);
        else reject(new Error('no port'));
      });
    });
    const run = await runMain({
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_PATH: join(dir, 'events.db'),
      LOG_LEVEL: 'warn',
    });
    expect(run.code).toBe(4);
    expect(run.stderr).toBe(`refusing to start: could not listen on 127.0.0.1:${port}: the port is already in use\n`);
    expect(server.listening).toBe(true);
  });
});
