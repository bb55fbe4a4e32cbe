import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { childError } from './childProcesses.js';
import { MissingTool } from './scenario.js';

/** One nats-server of the harness. */
export interface NatsNode {
  readonly name: string;
  readonly clientPort: number;
  readonly routePort: number;
  /** The monitoring port (/jsz), chosen by the server at each launch (read from its log); 0 before. */
  monitorPort: number;
  readonly conf: string;
  proc: ChildProcess | null;
  output: string;
}

export const NATS_SERVER = process.env.NATS_SERVER_BIN ?? 'nats-server';

/** How the servers are configured: `debug` logging; `advertise` false keeps clients on the servers they were given. */
export interface ClusterOptions {
  readonly debug?: boolean;
  readonly advertise?: boolean;
}

/** The config file of `node`: its ports, its store under `dir`, and routes to `routes` when there are several. */
export function configText(node: NatsNode, dir: string, routes: readonly number[], options: ClusterOptions): string {
  const lines = [
    `server_name: ${node.name}`,
    `listen: 127.0.0.1:${node.clientPort}`,
    // Hint: the server picks the monitoring port itself, so it can never collide (no other process refers to it).
    'http: "127.0.0.1:-1"',
    `jetstream { store_dir: "${join(dir, node.name)}" }`,
  ];
  // Hint: debug logging (elections, votes, catch-ups: about 100 KB per server per failover test) explains a stall.
  if (options.debug === true) lines.push('debug: true');
  if (routes.length > 1) {
    const urls = routes.map((port) => `nats-route://127.0.0.1:${port}`).join(', ');
    // Hint: without no_advertise a client learns every server from the one it reached and reconnects to another, so
    // stopping its one server would not cut it off.
    const advertise = options.advertise === false ? ', no_advertise: true' : '';
    lines.push(`cluster { name: c, listen: 127.0.0.1:${node.routePort}, routes: [${urls}]${advertise} }`);
  }
  return `${lines.join('\n')}\n`;
}

/** Throw a one-line MissingTool when `proc` could not be started at all (no nats-server on PATH, not executable). */
export function unstartable(proc: ChildProcess): void {
  const error = childError(proc);
  if (error === undefined || proc.pid !== undefined) return;
  const named =
    process.env.NATS_SERVER_BIN === undefined
      ? `${NATS_SERVER} not found on PATH`
      : `NATS_SERVER_BIN=${NATS_SERVER} not found`;
  const why = error.code === 'ENOENT' ? named : `${NATS_SERVER} could not be started (${error.code ?? error.message})`;
  throw new MissingTool(`${why}; install it (apt-get install -y nats-server) or set NATS_SERVER_BIN to its path`);
}
