import { spawn } from 'node:child_process';
import { type ChildServer, freePort, MAIN_JS } from './childServer.js';

/** A child server that can be SIGKILLed and started again on the same port and database. */
export class RestartableServer {
  private current: ChildServer | undefined;
  private constructor(
    readonly port: number,
    private databasePath: string,
    private readonly env: Record<string, string>,
  ) {}

  /** Start `dist/src/main.js` on a free port; resolves once /health answers. */
  static async start(databasePath: string, env: Record<string, string> = {}): Promise<RestartableServer> {
    const server = new RestartableServer(await freePort(), databasePath, env);
    await server.boot();
    return server;
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** SIGKILL the process and wait for it to go. */
  async kill(): Promise<void> {
    const child = this.current;
    this.current = undefined;
    if (child === undefined) return;
    if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
    await child.exited;
  }

  /** Kill, then start again on the same port (optionally on another database, which has another epoch). */
  async restart(databasePath = this.databasePath): Promise<void> {
    await this.kill();
    this.databasePath = databasePath;
    await this.boot();
  }

  private async boot(): Promise<void> {
    const proc = spawn(process.execPath, [MAIN_JS], {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(this.port),
        DATABASE_PATH: this.databasePath,
        LOG_LEVEL: 'warn',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc.once('exit', (code, signal) => resolve({ code, signal })),
    );
    this.current = {
      proc,
      port: this.port,
      base: this.base,
      wsBase: `ws://127.0.0.1:${this.port}`,
      exited,
      output: () => output,
    };
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`server exited before it was ready:\n${output}`);
      try {
        if ((await fetch(`${this.base}/health`)).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`server not ready within 15 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** Every record in the log, in offset order, paged through GET /events. */
export async function readLog(
  base: string,
): Promise<
  Array<{ id: string; offset: number; event_type: string; session_id: string | null; payload: Record<string, unknown> }>
> {
  const out: Array<{
    id: string;
    offset: number;
    event_type: string;
    session_id: string | null;
    payload: Record<string, unknown>;
  }> = [];
  let after = 0;
  for (;;) {
    const response = await fetch(`${base}/events?order=asc&limit=1000&after_offset=${after}`);
    const page = (await response.json()) as typeof out;
    if (page.length === 0) return out;
    out.push(...page);
    after = page[page.length - 1]!.offset;
  }
}
