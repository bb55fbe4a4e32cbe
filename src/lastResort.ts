/** What the last-resort handler needs: a logger with a fatal level (pino has one), and a way to stop. */
export interface LastResortOptions {
  readonly logger: { fatal(obj: object, msg?: string): void };
  /** Push buffered log lines out now; the process may be about to abort (uWS aborts after a throwing HTTP handler). */
  readonly flushLog: () => void;
  /** The clean shutdown (stop accepting, commit and ack what is in flight, close the log); null before the server runs. */
  readonly shutdown: () => Promise<void> | null;
  readonly exit: (code: number) => void;
  /** How long the clean shutdown may take before the process exits anyway. */
  readonly graceMs: number;
}

/** An error with its stack when it has one; a rejection can carry any value. */
function describe(error: unknown): object {
  if (error instanceof Error) return { err: error };
  return { err: { type: typeof error, message: String(error) } };
}

/**
 * The handler for 'uncaughtException' and 'unhandledRejection'. Every uWS callback already runs inside a boundary,
 * so reaching here is a bug: the error is logged at fatal level with its stack (never silent), then the server shuts
 * down cleanly and exits 1 so a supervisor restarts it. It does not keep serving: a throw that unwound half an update
 * leaves in-memory state (routing, sessions, pending acks) that may disagree with the log, and the log on disk is
 * what a restart rebuilds everything from.
 */
export function lastResortHandler(options: LastResortOptions): (error: unknown, origin: string) => void {
  let stopping = false;
  return (error, origin) => {
    options.logger.fatal(
      { ...describe(error), origin },
      stopping ? 'uncaught error while shutting down; exiting now' : 'uncaught error; shutting down',
    );
    try {
      options.flushLog();
    } catch {
      // Hint: nothing better to do; the line may still be in the buffer, the exit handler flushes it.
    }
    if (stopping) {
      options.exit(1);
      return;
    }
    stopping = true;
    const shutdown = options.shutdown();
    if (shutdown === null) {
      options.exit(1);
      return;
    }
    setTimeout(() => options.exit(1), options.graceMs);
    void shutdown.then(
      () => options.exit(1),
      () => options.exit(1),
    );
  };
}
