import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '../../src/config.js';
import { type RunningServer, type ServerDeps, startServer } from '../../src/http/server.js';

/** A real server on an ephemeral port with a temp database; `stop` closes it and removes the directory. */
export interface TestServer {
  readonly server: RunningServer;
  readonly base: string;
  readonly wsBase: string;
  readonly dir: string;
  readonly config: Config;
  /** Close the server (keeping the database), e.g. to restart on the same file. */
  close(): Promise<void>;
  /** Close the server and delete its temp directory. */
  stop(): Promise<void>;
}

/** Start a server in this process; `env` overrides configuration variables (PORT defaults to 0 = ephemeral). */
export async function startTestServer(
  env: Record<string, string> = {},
  deps: ServerDeps = {},
  dir?: string,
): Promise<TestServer> {
  const directory = dir ?? mkdtempSync(join(tmpdir(), 'rep-test-'));
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', DATABASE_PATH: join(directory, 'events.db'), ...env });
  const server = await startServer(config, deps);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await server.close();
  };
  return {
    server,
    base: `http://127.0.0.1:${server.port}`,
    wsBase: `ws://127.0.0.1:${server.port}`,
    dir: directory,
    config,
    close,
    stop: async () => {
      await close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
