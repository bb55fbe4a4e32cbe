import { type ChildServer, spawnMain, stablePort } from './childServer.js';
import { forkInspectableServer } from './inspectableChild.js';

/** A child server that can be SIGKILLed and started again on the same port and database. */
export class RestartableServer {
  private current: ChildServer | undefined;
  private ask: ((request: Record<string, unknown>) => Promise<unknown>) | undefined;
  private constructor(
    readonly port: number,
    private databasePath: string,
    private readonly env: Record<string, string>,
    private readonly manualClock: boolean,
  ) {}

  /**
   * Start `dist/src/main.js` on a free port; resolves once /health answers. With `manualClock`, each process is the
   * built server with a manual clock instead (test/support/inspectableServer.mjs): its sweep runs only on `advance`.
   */
  static async start(
    databasePath: string,
    env: Record<string, string> = {},
    options: { readonly manualClock?: boolean } = {},
  ): Promise<RestartableServer> {
    const server = new RestartableServer(await stablePort(), databasePath, env, options.manualClock === true);
    await (server.manualClock ? server.bootManual() : server.boot());
    return server;
  }

  /** Move the running process's manual clock by `ms`, running the sweeps that fall due (needs `manualClock`). */
  async advance(ms: number): Promise<void> {
    if (this.ask === undefined) throw new Error('advance needs a running server started with manualClock');
    await this.ask({ kind: 'advance', ms });
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** SIGKILL the process (or send `signal`, say SIGTERM for a graceful stop) and wait for it to go. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.current;
    this.current = undefined;
    this.ask = undefined;
    if (child === undefined) return;
    if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill(signal);
    await child.exited;
  }

  /** Kill (or stop with `signal`), then start again on the same port (optionally on another database and epoch). */
  async restart(databasePath = this.databasePath, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.kill(signal);
    this.databasePath = databasePath;
    await (this.manualClock ? this.bootManual() : this.boot());
  }

  private async bootManual(): Promise<void> {
    const forked = forkInspectableServer({
      ...this.env,
      PORT: String(this.port),
      DATABASE_PATH: this.databasePath,
      MANUAL_CLOCK: '1',
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      forked.proc.once('exit', (code, signal) => resolve({ code, signal })),
    );
    this.current = {
      proc: forked.proc,
      port: this.port,
      base: this.base,
      wsBase: `ws://127.0.0.1:${this.port}`,
      exited,
      output: () => '(output goes to the test run)',
    };
    await forked.listening;
    this.ask = forked.ask;
  }

  private async boot(): Promise<void> {
    const { proc, exited, output } = spawnMain({
      HOST: '127.0.0.1',
      PORT: String(this.port),
      DATABASE_PATH: this.databasePath,
      LOG_LEVEL: 'warn',
      ...this.env,
    });
    this.current = {
      proc,
      port: this.port,
      base: this.base,
      wsBase: `ws://127.0.0.1:${this.port}`,
      exited,
      output,
    };
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`server exited before it was ready:\n${output()}`);
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
