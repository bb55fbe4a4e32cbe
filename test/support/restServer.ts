import type { us_listen_socket } from 'uWebSockets.js';
import type { Logger } from '../../src/actors/logger.js';
import type { RateLimiters } from '../../src/http/rateLimits.js';
import { registerRestApi } from '../../src/http/restApi.js';
import { loadNativeUws } from '../../src/http/uws.js';
import type { TestServer } from './testServer.js';

/** One captured log line. */
export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly obj: Record<string, unknown>;
  readonly msg: string | undefined;
}

/** A Logger that keeps every line, for asserting what was logged. */
export class CapturingLogger implements Logger {
  readonly lines: LogLine[] = [];
  info(obj: object, msg?: string): void {
    this.lines.push({ level: 'info', obj: { ...obj }, msg });
  }
  warn(obj: object, msg?: string): void {
    this.lines.push({ level: 'warn', obj: { ...obj }, msg });
  }
  error(obj: object, msg?: string): void {
    this.lines.push({ level: 'error', obj: { ...obj }, msg });
  }
}

/** A second uWS app serving only the REST API over a test server's pipeline, with the optional deps set. */
export interface RestOnlyServer {
  readonly base: string;
  readonly port: number;
  close(): void;
}

/**
 * Serve REST for `t`'s pipeline on another ephemeral port, passing `logger` and `limiters` (which server.ts may
 * not pass yet): the real handlers, uWS and SQLite, with the optional dependencies under test.
 */
export async function startRestOnly(t: TestServer, extra: { logger?: Logger; limiters?: RateLimiters; now?: () => number } = {}): Promise<RestOnlyServer> {
  const uws = loadNativeUws();
  const app = uws.App();
  registerRestApi(app, { config: t.config, pipeline: t.server.pipeline, now: extra.now ?? Date.now, version: 'test', ...withDefined(extra) });
  const socket = await new Promise<us_listen_socket | false>((resolve) => app.listen('127.0.0.1', 0, resolve));
  if (socket === false) throw new Error('could not listen');
  const port = uws.us_socket_local_port(socket);
  return { base: `http://127.0.0.1:${port}`, port, close: () => uws.us_listen_socket_close(socket) };
}

function withDefined(extra: { logger?: Logger; limiters?: RateLimiters }): { logger?: Logger; limiters?: RateLimiters } {
  const out: { logger?: Logger; limiters?: RateLimiters } = {};
  if (extra.logger !== undefined) out.logger = extra.logger;
  if (extra.limiters !== undefined) out.limiters = extra.limiters;
  return out;
}
