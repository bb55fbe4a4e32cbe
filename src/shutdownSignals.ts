/** What stopping on a signal needs from the process and the server. */
export interface ShutdownSignalsOptions {
  /** Where the signals come from (`process`). */
  readonly signals: { on(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown };
  readonly logger: {
    info(fields: object, message: string): void;
    warn(fields: object, message: string): void;
  };
  /** The clean shutdown: commits what waits, acks it, closes the sockets. */
  readonly close: () => Promise<void>;
  /** After the shutdown: flush the log and exit 0. */
  readonly exit: () => void;
}

/**
 * Shut down cleanly on the first SIGTERM or SIGINT, and only note the later ones. Hint: a listener for every signal,
 * not `once`: a second SIGTERM or Ctrl-C (a process group signalled twice, `timeout`, an impatient operator) met
 * Node's default action and ended the process mid-shutdown, its log lines unwritten and its sockets cut (1006, not
 * 1001). SIGKILL still stops it at once.
 */
export function stopOnSignals(options: ShutdownSignalsOptions): void {
  const { logger } = options;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'already shutting down; SIGKILL stops at once (acknowledged events are kept either way)');
      return;
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void options.close().then(() => {
      logger.info({}, 'stopped');
      options.exit();
    });
  };
  options.signals.on('SIGTERM', () => stop('SIGTERM'));
  options.signals.on('SIGINT', () => stop('SIGINT'));
}
